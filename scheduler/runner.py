"""Starting the scheduler: in the web process (single-process mode) or as its own process."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from powerlists.columns import utcnow
from scheduler.jobs import JOBS, run_job
from tracker.settings import Settings

log = logging.getLogger("scheduler")


def _add_jobs(scheduler: Any, engine: Engine, settings: Settings) -> None:
    for job in JOBS:
        scheduler.add_job(
            run_job,
            IntervalTrigger(seconds=int(job.every.total_seconds())),
            args=(engine, settings, job),
            id=job.name,
            # Run once at start: a scheduler that was down catches up from the database at once.
            next_run_time=utcnow(),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )


def start_in_process(engine: Engine, settings: Settings) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=settings.timezone)
    _add_jobs(scheduler, engine, settings)
    scheduler.start()
    log.info("in-process scheduler started with %d jobs", len(JOBS))
    return scheduler


def run_soon(scheduler: BaseScheduler, job_name: str) -> None:
    """Run a job now instead of at its next tick (the event scan right after an ingested batch)."""
    scheduler.modify_job(job_name, next_run_time=utcnow())


def run_forever(engine: Engine, settings: Settings) -> None:
    scheduler = BlockingScheduler(timezone=settings.timezone)
    _add_jobs(scheduler, engine, settings)

    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        # A scan is one transaction: let the running one finish (or roll back) rather than cut it.
        if stopping.is_set():
            return
        stopping.set()
        log.info("%s: stopping after the running jobs", signal.Signals(signum).name)
        # Not from the handler itself: it runs in the main thread between two bytecodes, possibly
        # while the scheduler's loop is inside the thread pool's submit() holding the pool's
        # (non-reentrant) lock, which shutdown() takes too: the process would hang for ever.
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, name="scheduler-stop").start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler process started with %d jobs", len(JOBS))
    scheduler.start()
    log.info("scheduler stopped")
