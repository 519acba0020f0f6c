"""The jobs: each calls one idempotent domain step, under a lease so no two processes run it at once."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, text

from powerlists.columns import utcnow
from tracker.accounts.sessions import SessionPolicy, purge_ended_sessions
from tracker.accounts.throttle import purge_old_attempts
from tracker.audit import checkpoints, keys
from tracker.calendar_store import load_calendar
from tracker.complaints import handling
from tracker.db import begin_writing, session_scope
from tracker.flags import escalation, scans
from tracker.leases import acquire, release
from tracker.notify import flag_events, mailer
from tracker.ratings import bad_reviews, invitations
from tracker.scorecards.refresh import refresh
from tracker.settings import Settings
from tracker.throttle import prune

log = logging.getLogger("scheduler")

LOGIN_ATTEMPT_RETENTION = timedelta(days=90)
THROTTLE_RETENTION = timedelta(days=1)  # the public forms' windows are minutes long

Step = Callable[[Engine, Settings, datetime], int]


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    step: Step


def housekeeping(engine: Engine, settings: Settings, now: datetime) -> int:
    """Delete ended sessions, sign-in attempts past retention and old rate-limit windows; returns
    rows removed."""
    policy = SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_max_hours),
    )
    with session_scope(engine) as db:
        purged = purge_ended_sessions(db, now, policy) + purge_old_attempts(db, now, LOGIN_ATTEMPT_RETENTION)
    return purged + prune(engine, before=now - THROTTLE_RETENTION)


def deadline_scan(engine: Engine, settings: Settings, now: datetime) -> int:
    """Flag the cases whose deadline, warning or stall moment passed since the last run."""
    with session_scope(engine) as db:
        return len(scans.deadline_scan(db, now))


def event_scan(engine: Engine, settings: Settings, now: datetime) -> int:
    """Flag irregular handling in the cases that received events since the last run."""
    with session_scope(engine) as db:
        return len(scans.event_scan(db, now))


def audit_checkpoint(engine: Engine, settings: Settings, now: datetime) -> int:
    """Sign the audit log's head, unless the latest checkpoint already covers it."""
    key = keys.signing_key(settings.audit_key_file)
    with session_scope(engine) as db:
        return 0 if checkpoints.checkpoint(db, key, now) is None else 1


def scorecards(engine: Engine, settings: Settings, now: datetime) -> int:
    """Refresh the rollups of the months that changed and the scorecards built on them."""
    with session_scope(engine) as db:
        begin_writing(db)  # before the calendar is read: a read first would make the lock come too late
        return refresh(db, now, load_calendar(db), settings.tz).scorecards


def supervision_deadlines(engine: Engine, settings: Settings, now: datetime) -> int:
    """Flag overdue explanations, escalate unrectified yellow cards, send today's reminders."""
    with session_scope(engine) as db:
        outcome = escalation.check_deadlines(db, now, settings.tz, settings)
        return len(outcome.raised) + outcome.reminders


def notify(engine: Engine, settings: Settings, now: datetime) -> int:
    """Tell supervisors about new flags and each side about the other's review actions."""
    with session_scope(engine) as db:
        return flag_events.notify_all(db, settings, now)


def rating_invitations(engine: Engine, settings: Settings, now: datetime) -> int:
    """Record one rating invitation for each case decided three days ago and still unrated."""
    with session_scope(engine) as db:
        return invitations.invite_due(db, now)


def bad_review_follow_ups(engine: Engine, settings: Settings, now: datetime) -> int:
    """Tell departments of their new bad reviews; flag those whose follow-up deadline passed
    without one (or before it came)."""
    with session_scope(engine) as db:
        told = bad_reviews.announce(db, now, settings)
        return told + len(bad_reviews.raise_overdue(db, now))


def complaints(engine: Engine, settings: Settings, now: datetime) -> int:
    """Tell supervisors of new complaints; mark those not accepted or declined in time."""
    with session_scope(engine) as db:
        told = handling.announce(db, now, settings)
        return told + len(handling.mark_overdue(db, now, settings))


def send_mail(engine: Engine, settings: Settings, now: datetime) -> int:
    """Send the e-mails that are due (none without TRACKER_SMTP_URL)."""
    return mailer.send_pending(engine, settings, now)


JOBS: tuple[Job, ...] = (
    Job("deadline_scan", timedelta(minutes=1), deadline_scan),
    Job("event_scan", timedelta(minutes=1), event_scan),
    Job("housekeeping", timedelta(minutes=15), housekeeping),
    Job("audit_checkpoint", timedelta(hours=1), audit_checkpoint),
    Job("scorecards", timedelta(hours=1), scorecards),
    Job(escalation.JOB, timedelta(minutes=15), supervision_deadlines),
    Job("notify", timedelta(minutes=1), notify),
    Job("send_mail", timedelta(minutes=1), send_mail),
    Job("rating_invitations", timedelta(hours=1), rating_invitations),
    Job("bad_reviews", timedelta(minutes=15), bad_review_follow_ups),
    Job("complaints", timedelta(minutes=15), complaints),
)


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(engine: Engine, settings: Settings, job: Job, now: datetime | None = None) -> int | None:
    """Run one job if no other process holds its lease; None when it was skipped."""
    now = now or utcnow()
    with job_lock(engine, job.name, now, ttl=job.every * 2) as held:
        if not held:
            log.info("job %s skipped: another process holds it", job.name)
            return None
        done = job.step(engine, settings, now)
        log.info("job %s done: %d", job.name, done)
        return done


@contextmanager
def job_lock(engine: Engine, name: str, now: datetime, ttl: timedelta) -> Iterator[bool]:
    """Hold the job's lock while the body runs; yields False when another process holds it.

    PostgreSQL: a session advisory lock on a connection kept for the job, released by the server
    should this process die. SQLite: a lease row that expires after ``ttl``.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = conn.execute(text("SELECT hashtext(:name)"), {"name": f"tracker:job:{name}"}).scalar_one()
            held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one())
            conn.commit()
            try:
                yield held
            finally:
                if held:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    conn.commit()
        return
    holder = holder_id()
    held = acquire(engine, f"job:{name}", holder, now, ttl=ttl)
    try:
        yield held
    finally:
        if held:
            release(engine, f"job:{name}", holder)
