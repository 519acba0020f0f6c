"""`tracker scheduler`: the watcher process."""

from __future__ import annotations

import json
import logging
from contextlib import ExitStack
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import click

from tracker.cli.context import Failure, open_context


@click.group()
def scheduler() -> None:
    """The scheduler (run exactly one, or TRACKER_RUN_SCHEDULER=on in a single web process)."""


@scheduler.command("run")
def run_command() -> None:
    """Run the scheduler in the foreground until stopped."""
    from scheduler.runner import run_forever  # APScheduler loads only for this command

    ctx = open_context()
    logging.basicConfig(
        level=ctx.settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run_forever(ctx.engine, ctx.settings)


@scheduler.command("once")
@click.option(
    "--now",
    "now_text",
    metavar="ISO-8601",
    help="Scan as of this moment (default: now; without an offset, in TRACKER_TIMEZONE).",
)
def once_command(now_text: str | None) -> None:
    """Run every scan and the review's deadlines once and print the flags raised as JSON."""
    from powerlists.columns import utcnow
    from scheduler.jobs import job_lock
    from tracker.db import session_scope
    from tracker.flags.escalation import JOB, check_deadlines
    from tracker.flags.scans import SCANS, scan_all

    ctx = open_context()
    now = _parse_now(now_text, ctx.settings.tz) if now_text else utcnow()
    with ExitStack() as locks:
        # The scheduler's own runs of the same scans must not overlap this one.
        for name in [*SCANS, JOB]:
            if not locks.enter_context(job_lock(ctx.engine, name, now, ttl=timedelta(minutes=10))):
                raise Failure(f"the scheduler is running its {name}; try again in a minute")
        with session_scope(ctx.engine) as db:
            raised = scan_all(db, now)
            # After the scans, in the same transaction; its reminders are not printed.
            raised += check_deadlines(db, now, ctx.settings.tz, ctx.settings).raised
    click.echo(
        json.dumps(
            [
                {
                    "case": r.ref,
                    "kind": r.kind,
                    "level": r.level,
                    "step": r.step or None,
                    "since": r.since.isoformat(),
                }
                for r in raised
            ],
            ensure_ascii=False,
            indent=2,
        )
    )


def _parse_now(raw: str, tz: ZoneInfo) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise Failure(
            f"--now: {raw!r} is not an ISO-8601 timestamp (e.g. 2026-03-02T09:00:00+08:00)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=tz)
