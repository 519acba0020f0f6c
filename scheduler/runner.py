"""Starting the scheduler: in the web process (single-process mode) or as its own process."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
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


def run_forever(engine: Engine, settings: Settings) -> None:
    scheduler = BlockingScheduler(timezone=settings.timezone)
    _add_jobs(scheduler, engine, settings)
    log.info("scheduler process started with %d jobs", len(JOBS))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopped")
