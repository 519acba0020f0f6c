"""The jobs: each calls one idempotent domain step, under a lease so no two processes run it at once."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from powerlists.columns import utcnow
from tracker.accounts.sessions import SessionPolicy, purge_ended_sessions
from tracker.accounts.throttle import purge_old_attempts
from tracker.db import session_scope
from tracker.leases import acquire, release
from tracker.settings import Settings

log = logging.getLogger("scheduler")

LOGIN_ATTEMPT_RETENTION = timedelta(days=90)

Step = Callable[[Engine, Settings, datetime], int]


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    step: Step


def housekeeping(engine: Engine, settings: Settings, now: datetime) -> int:
    """Delete ended sessions and sign-in attempts past retention; returns rows removed."""
    policy = SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_max_hours),
    )
    with session_scope(engine) as db:
        return purge_ended_sessions(db, now, policy) + purge_old_attempts(db, now, LOGIN_ATTEMPT_RETENTION)


JOBS: tuple[Job, ...] = (Job("housekeeping", timedelta(minutes=15), housekeeping),)


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(engine: Engine, settings: Settings, job: Job, now: datetime | None = None) -> int | None:
    """Run one job if no other process holds its lease; None when it was skipped."""
    now = now or utcnow()
    holder = holder_id()
    if not acquire(engine, f"job:{job.name}", holder, now, ttl=job.every * 2):
        log.info("job %s skipped: another process holds it", job.name)
        return None
    try:
        done = job.step(engine, settings, now)
        log.info("job %s done: %d", job.name, done)
        return done
    finally:
        release(engine, f"job:{job.name}", holder)
