"""`tracker calendar`: deadline arithmetic and loading next year's holiday notice."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from powerlists.columns import utcnow
from powerlists.limits import Limit, Unit
from powerlists.zipcheck import WorkbookRefused
from tracker.calendar_store import CalendarFileError, load_calendar, read_calendar_file, store
from tracker.cases.ingest import recompute_after_calendar_change
from tracker.cli.context import Failure, open_context
from tracker.db import session_scope
from tracker.i18n import gettext as _
from tracker.sla import due


@click.group()
def calendar() -> None:
    """The official working-day calendar."""


def parse_start(text: str, tz: object) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Failure(_("START %(text)r: write YYYY-MM-DD or YYYY-MM-DDTHH:MM.", text=text)) from None
    return value if value.tzinfo else value.replace(tzinfo=tz)  # type: ignore[arg-type]


@calendar.command("due")
@click.argument("start")
@click.argument("value", type=click.IntRange(0, 9999))
@click.option("--unit", type=click.Choice([u.value for u in Unit]), required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def due_command(start: str, value: int, unit: str, fmt: str) -> None:
    """When a limit of VALUE units starting at START (a date or a time) runs out."""
    ctx = open_context()
    tz = ctx.settings.tz
    try:
        limit = Limit(value, Unit(unit))
    except ValueError as exc:
        raise Failure(str(exc)) from None
    with session_scope(ctx.engine) as db:
        cal = load_calendar(db)
    try:
        result = due(parse_start(start, tz), limit, cal, tz)
    except OverflowError:  # past the year 9999
        raise Failure(_("The deadline would fall after the year 9999.")) from None
    data = result.as_dict()
    data.pop("due_at")
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(
        _("Due: %(due)s (ends 23:59:59 that day)", due=data["due"])
        if result.due_date
        else _("Due: %(due)s", due=data["due"])
    )
    if result.provisional:
        click.echo(_("Provisional: it crosses a year whose official holidays are not loaded yet."))
    for skipped in result.skipped:
        why = _("weekend") if skipped.why == "weekend" else _("holiday")
        click.echo(f"  {_('skipped')} {skipped.date.isoformat()} ({why})")


@calendar.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--local", is_flag=True, help="Local days off (overrides), not a State Council notice.")
def load_command(file: Path, local: bool) -> None:
    """Load days from an .ics, .xlsx or .csv file (date, holiday|workday)."""
    ctx = open_context()
    try:
        entries = read_calendar_file(file)
        with session_scope(ctx.engine) as db:
            source = "local" if local else "notice"
            years = store(db, entries, source=source, source_name=file.name, now=utcnow(), by=None)
            recomputed = recompute_after_calendar_change(
                db, load_calendar(db), ctx.settings.tz, source=source, days=[e.day for e in entries]
            )
    except CalendarFileError as exc:
        raise Failure(_(exc.message, **exc.args_)) from None
    except WorkbookRefused as exc:
        raise Failure(f"{file.name}: {_(exc.message, **exc.args_)}") from None
    click.echo(
        _(
            "Loaded %(days)d days for %(years)s.",
            days=len({e.day for e in entries}),
            years=", ".join(map(str, sorted(years))),
        )
    )
    if recomputed:
        click.echo(_("Recomputed the deadlines of %(count)d open cases.", count=recomputed))
