"""`tracker export`: open data as files (xlsx by default, CSV or JSON), as /open-data serves it.

A file is written to a temporary name beside it and renamed when complete, so a failed export
never leaves a partial file behind. Errors are one line naming the option and its value.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from powerlists.safecells import CellTooLong
from tracker.calendar import FIRST_YEAR, LAST_YEAR
from tracker.cli.context import Failure, open_context
from tracker.exports.tables import FORMATS, Field, infer_format, write_table

PROGRESS_EVERY = 10_000  # rows between two progress lines
_T = TypeVar("_T")


@click.group()
def export() -> None:
    """Export open data: cases and flags (no personal data)."""


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise Failure(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # local midnights at the edges overflow in UTC
        raise Failure(f"{option}: {day.isoformat()} is not between {FIRST_YEAR} and {LAST_YEAR}")
    return day


def _date_range(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    first, last = _date("--from", start), _date("--to", end)
    if first and last and first > last:
        raise Failure(f"--from: {first.isoformat()} is after --to ({last.isoformat()})")
    return first, last


def _format(fmt: str | None, output: str) -> str:
    if fmt is None:
        return "xlsx" if output == "-" else infer_format(output)
    if fmt not in FORMATS:
        raise Failure(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    return fmt


def _check_output(output: str) -> None:
    """Refuse a path that cannot be written before any work is done."""
    if output == "-":
        return
    path = Path(output)
    parent = path.parent
    if path.is_dir():
        raise Failure(f"--output: {output!r} is a directory")
    if not parent.is_dir():
        raise Failure(f"--output: cannot write {output!r}: the directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise Failure(f"--output: cannot write {output!r}: the directory is not writable")


def _counted(rows: Iterable[_T]) -> Iterator[_T]:
    """The rows, with a progress line on stderr every PROGRESS_EVERY rows (only on a terminal)."""
    show = sys.stderr.isatty()
    n = 0
    for n, row in enumerate(rows, start=1):
        if show and n % PROGRESS_EVERY == 0:
            click.echo(f"\r{n:,} rows …", nl=False, err=True)
        yield row
    if show and n >= PROGRESS_EVERY:
        click.echo("", err=True)


def _atomic(output: str, write: Callable[[IO[bytes]], int]) -> int:
    """Run ``write`` into a temporary file, then move it to ``output`` (or copy it to standard
    output): all or nothing, whatever stops it. Returns what ``write`` returned."""
    # Standard output gets the finished file too: a failed xlsx would otherwise be half a zip.
    directory = None if output == "-" else str(Path(output).parent)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".export-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            count = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if output == "-":
            with open(tmp, "rb") as done:
                shutil.copyfileobj(done, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            os.unlink(tmp)
        else:
            os.replace(tmp, output)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, CellTooLong):
            raise Failure(str(exc)) from None
        raise
    return count


def _write(
    output: str,
    fmt: str,
    title: str,
    fields: Sequence[Field],
    rows: Iterable[Sequence[object]],
    meta: dict[str, object],
) -> int:
    """Write the table to ``output`` (a path, or - for standard output) all or nothing."""
    from tracker.i18n import gettext

    return _atomic(
        output, lambda handle: write_table(fmt, handle, title, fields, _counted(rows), gettext, meta)
    )


def _department(db: Any, code: str) -> Any:
    from powerlists.departments import by_code

    department = by_code(db, code)
    if department is None:
        raise Failure(f"--department: no department has the code {code!r}")
    return department


def _done(count: int, output: str, fmt: str) -> None:
    if output != "-":
        click.echo(f"wrote {count:,} rows to {output} ({fmt})", err=True)


_OUTPUT = click.option(
    "--output", required=True, metavar="FILE|-", help="File to write, or - for standard output."
)
_FORMAT = click.option(
    "--format",
    "fmt",
    default=None,
    metavar="xlsx|csv|json",
    help="Default: from the output's suffix (.csv, .json), otherwise xlsx.",
)


@export.command("cases")
@click.option("--department", "department_code", required=True, metavar="CODE", help="Department code.")
@click.option(
    "--from", "start", required=True, metavar="YYYY-MM-DD", help="Received on or after (local date)."
)
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD", help="Received on or before (local date).")
@_OUTPUT
@_FORMAT
def cases_command(department_code: str, start: str, end: str, output: str, fmt: str | None) -> None:
    """A department's cases received between two dates: codes, times, deadlines; no personal data."""
    from tracker.calendar_store import load_calendar
    from tracker.db import session_factory
    from tracker.exports.cases import FIELDS, case_rows

    first, last = _date_range(start, end)
    assert first is not None and last is not None
    fmt = _format(fmt, output)
    _check_output(output)
    ctx = open_context()
    with session_factory(ctx.engine)() as db:
        department = _department(db, department_code)
        rows = case_rows(db, department.id, department.code, first, last, ctx.settings.tz, load_calendar(db))
        meta: dict[str, object] = {
            "department": department.code,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "timezone": ctx.settings.tz.key,
        }
        count = _write(output, fmt, department.code, FIELDS, rows, meta)
    _done(count, output, fmt)


@export.command("flags")
@click.option(
    "--department", "department_code", default=None, metavar="CODE", help="Only this department's flags."
)
@click.option(
    "--from", "start", default=None, metavar="YYYY-MM-DD", help="Detected on or after (local date)."
)
@click.option("--to", "end", default=None, metavar="YYYY-MM-DD", help="Detected on or before (local date).")
@click.option("--status", default=None, metavar="STATUS", help="Only flags in this status.")
@click.option("--kind", default=None, metavar="KIND", help="Only flags of this kind.")
@click.option(
    "--violations",
    is_flag=True,
    help="Only confirmed violations (confirmed, rectification_submitted, closed).",
)
@_OUTPUT
@_FORMAT
def flags_command(
    department_code: str | None,
    start: str | None,
    end: str | None,
    status: str | None,
    kind: str | None,
    violations: bool,
    output: str,
    fmt: str | None,
) -> None:
    """Flags in every status (or only violations), oldest detected first; no free text."""
    from tracker.db import session_factory
    from tracker.exports.flags import FIELDS, flag_rows
    from tracker.flags.models import VIOLATION, FlagStatus
    from tracker.flags.queries import KINDS, FlagFilter

    first, last = _date_range(start, end)
    _choice("--status", status, [s.value for s in FlagStatus])
    _choice("--kind", kind, list(KINDS))
    fmt = _format(fmt, output)
    _check_output(output)
    ctx = open_context()
    with session_factory(ctx.engine)() as db:
        if department_code is not None:
            _department(db, department_code)
        f = FlagFilter(
            department=department_code or "",
            status=status or "",
            kind=kind or "",
            detected_from=first,
            detected_to=last,
            sort="detected",
            tz=ctx.settings.tz,
        )
        rows = flag_rows(db, f, ctx.settings.tz, VIOLATION if violations else ())
        meta: dict[str, object] = {
            "department": department_code,
            "from": first.isoformat() if first else None,
            "to": last.isoformat() if last else None,
            "status": status,
            "kind": kind,
            "violations_only": violations,
            "timezone": ctx.settings.tz.key,
        }
        count = _write(output, fmt, "flags", FIELDS, rows, meta)
    _done(count, output, fmt)


def _choice(option: str, value: str | None, allowed: list[str]) -> None:
    if value is not None and value not in allowed:
        raise Failure(f"{option}: {value!r} is not one of {', '.join(allowed)}")


@export.command("scorecards")
@click.option("--period", required=True, metavar="2026-Q1|2026-03|2026|R12", help="The period.")
@_OUTPUT
@_FORMAT
def scorecards_command(period: str, output: str, fmt: str | None) -> None:
    """Every department's scorecard of a period: the ranking (with a chart in xlsx) and the months."""
    from tracker.db import session_factory
    from tracker.exports.scorecards import export_scorecards
    from tracker.i18n import current_language, gettext
    from tracker.scorecards.periods import BadPeriod, parse_period

    fmt = _format(fmt, output)
    _check_output(output)
    ctx = open_context()
    try:
        chosen = parse_period(period, datetime.now(ctx.settings.tz).date())
    except BadPeriod as exc:
        raise Failure(f"--period: {gettext(exc.message, value=exc.value)}") from None
    english = current_language() == "en"
    with session_factory(ctx.engine)() as db:
        count = _atomic(output, lambda handle: export_scorecards(db, chosen, fmt, handle, english, gettext))
    _done(count, output, fmt)
