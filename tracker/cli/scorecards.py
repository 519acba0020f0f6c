"""`tracker scorecards`: refresh the rollups and scorecards now."""

from __future__ import annotations

import re
from datetime import timedelta

import click

from tracker.calendar import FIRST_YEAR, LAST_YEAR
from tracker.cli.context import Failure, open_context

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@click.group()
def scorecards() -> None:
    """Department scorecards (the scheduler refreshes them hourly)."""


@scorecards.command("refresh")
@click.option("--month", "months", multiple=True, metavar="YYYY-MM", help="Only these months (repeatable).")
def refresh_command(months: tuple[str, ...]) -> None:
    """Refresh the months that changed since the last refresh (or the given ones) and their scorecards."""
    from powerlists.columns import utcnow
    from scheduler.jobs import job_lock
    from tracker.calendar_store import load_calendar
    from tracker.db import session_scope
    from tracker.scorecards.refresh import refresh

    for month in months:
        if not _MONTH.match(month):
            raise Failure(f"--month: {month!r} is not a month (YYYY-MM)")
        if not FIRST_YEAR <= int(month[:4]) <= LAST_YEAR:
            raise Failure(f"--month: {month} is not between {FIRST_YEAR} and {LAST_YEAR}")
    ctx = open_context()
    now = utcnow()
    with job_lock(ctx.engine, "scorecards", now, ttl=timedelta(hours=2)) as held:
        if not held:
            raise Failure("the scheduler is refreshing the scorecards; try again in a minute")
        with session_scope(ctx.engine) as db:
            done = refresh(db, now, load_calendar(db), ctx.settings.tz, months=sorted(months) or None)
    click.echo(
        f"refreshed {len(done.months)} month(s) ({', '.join(done.months)}) and {done.scorecards} scorecards"
    )
