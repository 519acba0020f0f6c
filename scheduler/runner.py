"""Starting the scheduler: in the web process (single-process mode) or as its own process."""

from __future__ import annotations

import logging
import signal
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

    def stop(signum: int, _frame: FrameType | None) -> None:
        # A scan is one transaction: let the running one finish (or roll back) rather than cut it.
        log.info("%s: stopping after the running jobs", signal.Signals(signum).name)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler process started with %d jobs", len(JOBS))
    scheduler.start()
    log.info("scheduler stopped")
