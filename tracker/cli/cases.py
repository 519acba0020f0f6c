"""`tracker cases`: back-fill case events from a file (JSON Lines, CSV or xlsx).

Every row goes through the one validator and the rules of ``POST /api/v1/events``
(``tracker.cases.ingest``): it is stored, found to be a duplicate (its ``id`` was seen
before), or rejected with a reason, and a rejected row never stops the others. A row that
cannot even be read (a line that is not JSON, a step that is not a whole number) is rejected
the same way. Rows are sent in batches of 1,000 and each batch is committed on its own, so a
file of millions of events never holds one giant transaction; the price is that a file which
stops being readable halfway (a damaged workbook part) keeps the batches before that point.
Rows with an ``id`` can always be imported again: they come back as duplicates.

Files, by suffix:

- ``.jsonl`` / ``.ndjson``: one event object per line, the API's JSON schema; blank lines skipped.
- ``.csv``: UTF-8 (a BOM is tolerated); a header row naming the event fields (``case``, ``type``,
  ``at``, ``recorded_at``, ``id``, ``power``, ``step``, ``reason``, ``outcome``, ``amount``,
  ``note``) and ``applicant.<key>`` columns, which build the applicant object. Empty cells are
  absent fields; ``step`` is a whole number.
- ``.xlsx``: the same columns on the first sheet. Date cells are times in TRACKER_TIMEZONE.

Row numbers are those the user sees: the line for JSON Lines, the spreadsheet row (the header
is row 1) for CSV and xlsx. Blank rows are skipped and not counted.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Generator, Iterable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from powerlists.messages import N_
from tracker.cli.context import Failure, open_context
from tracker.i18n import gettext as _
from tracker.i18n import ngettext

BATCH = 1_000
FIELDS = ("case", "type", "at", "recorded_at", "id", "power", "step", "reason", "outcome", "amount", "note")
REQUIRED = ("case", "type", "at")
APPLICANT = "applicant."
UNKNOWN_KIND = N_("Use a .jsonl, .ndjson, .csv or .xlsx file of events.")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}
Rows = Generator["Row", None, None]
_WHOLE = re.compile(r"[+-]?\d+")
_FIELD_FIRST = re.compile(r"([a-z_]+)[: ]")


@click.group()
def cases() -> None:
    """Cases and their events."""


@dataclass
class Row:
    """One row of the file: the event to ingest, or why it could not even be read."""

    number: int
    event: Any = None
    column: str = ""
    message: str = ""
    args: dict[str, Any] = field(default_factory=dict)


class Unreadable(Exception):
    """The file (or its header) cannot be read at all; ``row`` is where reading stopped, if known."""

    def __init__(self, message: str, row: int | None = None, **args: Any) -> None:
        self.message, self.row = message, row
        self.args_: dict[str, Any] = {**args, "row": row} if row is not None else args
        super().__init__(message % self.args_ if self.args_ else message)


@dataclass
class Source:
    name: str  # the file or sheet name errors are reported under
    rows: Rows


# Reading JSON Lines


def _check_utf8(path: Path) -> None:
    """Refuse a file that is not UTF-8 before any row is stored (a GBK export would fail everywhere)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise _not_utf8(offset + exc.start) from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise _not_utf8(offset + exc.start) from None


def _not_utf8(offset: int) -> Unreadable:
    return Unreadable(
        N_("The file is not UTF-8 text (byte %(offset)d). Save it as UTF-8 and import it again."),
        offset=offset,
    )


def _jsonl(path: Path) -> Rows:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                event = json.loads(line.rstrip())
            except json.JSONDecodeError as exc:
                yield Row(
                    number,
                    message=N_("This line is not valid JSON: %(error)s at character %(position)d."),
                    args={"error": exc.msg, "position": exc.colno},
                )
                continue
            yield Row(number, event)


# Reading CSV and xlsx: a header row naming the fields, then one event per row


def _header(cells: tuple[Any, ...] | list[Any]) -> list[str | None]:
    names: list[str | None] = []
    for cell in cells:
        text = "" if cell is None else str(cell).strip()
        if not text:
            names.append(None)
            continue
        lowered = text.lower()
        if lowered.startswith(APPLICANT) and text[len(APPLICANT) :].strip():
            name = APPLICANT + text[len(APPLICANT) :].strip()
        elif lowered in FIELDS:
            name = lowered
        else:
            raise Unreadable(
                N_("The header row names an unknown column %(column)r; the columns are %(columns)s."),
                row=1,
                column=text,
                columns=", ".join([*FIELDS, "applicant.<key>"]),
            )
        if name in names:
            raise Unreadable(N_("The header row names the column %(column)r twice."), row=1, column=name)
        names.append(name)
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise Unreadable(
            N_("The header row has no %(columns)s column; row 1 must name the columns."),
            row=1,
            columns=", ".join(missing),
        )
    return names


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any, tz: ZoneInfo) -> Any:
    """A cell as text: numbers as written (a whole float without its .0), date cells in ISO 8601."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).isoformat()
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=tz).isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value
    return str(value)


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        return int(value) if value == int(value) else None
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _event_row(number: int, names: list[str | None], cells: tuple[Any, ...] | list[Any], tz: ZoneInfo) -> Row:
    event: dict[str, Any] = {}
    applicant: dict[str, Any] = {}
    for position, value in enumerate(cells):
        if _blank(value):
            continue
        name = names[position] if position < len(names) else None
        if name is None:
            return Row(
                number,
                message=N_(
                    "This row has a value in column %(position)d, which the header row does not name."
                ),
                args={"position": position + 1},
            )
        if name.startswith(APPLICANT):
            applicant[name[len(APPLICANT) :]] = _text(value, tz)
        elif name == "step":
            step = _whole(value)
            if step is None:
                return Row(
                    number,
                    column="step",
                    message=N_("step: %(value)r is not a whole number."),
                    args={"value": _text(value, tz)},
                )
            event["step"] = step
        elif name == "amount" and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            event["amount"] = value
        else:
            event[name] = _text(value, tz)
    if not event and not applicant:
        return Row(number)  # blank: skipped by the caller
    if applicant:
        event["applicant"] = applicant
    return Row(number, event)


def _csv(path: Path, tz: ZoneInfo) -> Rows:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):  # records: rows as a spreadsheet shows them
                if number == 1:
                    names = _header(cells)
                    continue
                row = _event_row(number, names, cells, tz)
                if row.event is not None or row.message:
                    yield row
        except csv.Error as exc:
            raise Unreadable(
                N_("The CSV file cannot be read at row %(row)d: %(error)s."),
                row=number + 1,
                error=str(exc),
            ) from None
        if number == 0:
            raise Unreadable(N_("The file is empty."))


def _damaged() -> Unreadable:
    return Unreadable(
        N_(
            "The workbook cannot be read: a part of it is damaged. "
            "Open it in Excel or WPS, save it again as .xlsx and import the new file."
        )
    )


def _xlsx(path: Path, tz: ZoneInfo) -> Source:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    from powerlists.zipcheck import WorkbookRefused, check_xlsx

    try:
        check_xlsx(path)
    except WorkbookRefused as exc:
        refused = Unreadable(exc.message)
        refused.args_ = dict(exc.args_)
        raise refused from None
    handle = path.open("rb")  # a file object: openpyxl judges a path by its name
    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    except Exception:  # openpyxl raises anything from KeyError to ParseError on a broken part
        handle.close()
        raise _damaged() from None
    sheet = book.worksheets[0]

    def rows() -> Rows:
        try:
            sheet.reset_dimensions()  # read-only mode trusts the declared size, which writers get wrong
            cells = sheet.iter_rows(values_only=True)
            number = 0
            while True:
                try:
                    values = next(cells)
                except StopIteration:
                    break
                except Exception:  # broken XML inside the sheet
                    error = _damaged()
                    error.row = number + 1
                    raise error from None
                number += 1
                if number == 1:
                    if all(_blank(v) for v in values):
                        raise Unreadable(N_("The first sheet is empty or its row 1 names no columns."), row=1)
                    names = _header(values)
                    continue
                row = _event_row(number, names, values, tz)
                if row.event is not None or row.message:
                    yield row
            if number == 0:
                raise Unreadable(N_("The first sheet is empty or its row 1 names no columns."), row=1)
        finally:
            book.close()
            handle.close()

    return Source(str(sheet.title), rows())


def open_source(path: Path, tz: ZoneInfo) -> Source:
    """The rows of ``path``; Unreadable for a file of an unknown kind or one that cannot be read."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise Unreadable(UNKNOWN_KIND)
    if kind == "xlsx":
        return _xlsx(path, tz)
    if path.stat().st_size == 0:
        raise Unreadable(N_("The file is empty."))
    _check_utf8(path)
    return Source(path.name, _jsonl(path) if kind == "jsonl" else _csv(path, tz))


# Importing


@dataclass
class Problem:
    row: int
    column: str
    message: str
    args: dict[str, Any]


@dataclass
class Tally:
    rows: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.counts["rejected"] == 0

    def as_dict(self, department: str, sheet: str) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "department": department,
            "rows": self.rows,
            "stored": self.counts["stored"],
            "duplicates": self.counts["duplicate"],
            "rejected": self.counts["rejected"],
            "errors": [
                {"sheet": sheet, "row": p.row, "column": p.column, "message": _(p.message, **p.args)}
                for p in sorted(self.problems, key=lambda p: p.row)
            ],
        }


def _column(message: str, args: dict[str, Any]) -> str:
    """The field a rejection is about: its ``field`` argument, or the field its message opens with."""
    if "field" in args:
        return str(args["field"])
    match = _FIELD_FIRST.match(message)
    if match and match.group(1) in (*FIELDS, "applicant"):
        return match.group(1)
    return "step" if "step" in args else ""


def import_rows(
    db: Any,
    department_id: int,
    rows: Iterable[Row],
    *,
    tz: ZoneInfo,
    progress: Callable[[int], None] | None = None,
    tally: Tally | None = None,
) -> Tally:
    """Ingest the rows in committed batches of BATCH, counting into ``tally``.

    On Unreadable the rows read before it are processed (and committed) first, then it is raised.
    """
    from powerlists.columns import utcnow
    from tracker.calendar_store import load_calendar
    from tracker.cases.ingest import ingest

    cal = load_calendar(db)
    tally = tally if tally is not None else Tally()
    batch: list[Row] = []

    def send() -> None:
        results = ingest(
            db, department_id, [r.event for r in batch], now=utcnow(), channel="file", cal=cal, tz=tz
        )
        db.commit()
        for result in results:
            tally.counts[result.status] += 1
            if result.status == "rejected":
                args = result.reason_args or {}
                message = result.reason or N_("The event conflicts with one stored at the same time.")
                number = batch[result.index].number
                tally.problems.append(Problem(number, _column(message, args), message, args))
        batch.clear()

    try:
        for row in rows:
            tally.rows += 1
            if row.message:
                tally.counts["rejected"] += 1
                tally.problems.append(Problem(row.number, row.column, row.message, row.args))
            else:
                batch.append(row)
                if len(batch) == BATCH:
                    send()
            if progress is not None and tally.rows % BATCH == 0:
                progress(tally.rows)
    except Unreadable:
        if batch:
            send()
        raise
    if batch:
        send()
    return tally


def _progress() -> Callable[[int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(rows: int) -> None:
        label = _("Reading")
        click.echo(f"\r{label}: {rows:,} …", nl=False, err=True)

    return show


def _print_report(report: dict[str, Any]) -> None:
    click.echo(
        ngettext(
            "%(num)d row: %(stored)d stored, %(duplicates)d duplicates, %(rejected)d rejected.",
            "%(num)d rows: %(stored)d stored, %(duplicates)d duplicates, %(rejected)d rejected.",
            report["rows"],
            stored=report["stored"],
            duplicates=report["duplicates"],
            rejected=report["rejected"],
        )
    )
    if report["errors"]:
        click.echo(_("Errors") + ":")
    for error in report["errors"]:
        where = " ".join(
            str(x) for x in (error["sheet"], _("row %(row)s", row=error["row"]), error["column"]) if x
        )
        click.echo(f"  {where}: {error['message']}")


def _failure(name: str, exc: Unreadable, tally: Tally | None = None) -> Failure:
    text = f"{name}: {_(exc.message, **exc.args_)}"
    if tally is not None and tally.rows:
        text += " " + _(
            "The %(rows)d rows before row %(row)s were processed (%(stored)d stored, "
            "%(duplicates)d duplicates, %(rejected)d rejected); import the rest once the file is corrected.",
            rows=tally.rows,
            row=exc.row or "?",
            stored=tally.counts["stored"],
            duplicates=tally.counts["duplicate"],
            rejected=tally.counts["rejected"],
        )
    return Failure(text)


@cases.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--department", "department_code", required=True, help="Department code.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def import_command(file: Path, department_code: str, fmt: str) -> None:
    """Back-fill the department's case events from FILE (.jsonl/.ndjson, .csv or .xlsx).

    Each row is stored, a duplicate (its id was seen before) or rejected with a reason, as in
    the API; a rejected row never stops the others. Rows are committed in batches of 1,000.
    Exit 0 only when every row was stored or a duplicate.
    """
    from powerlists.departments import by_code
    from tracker.db import session_factory

    ctx = open_context()  # first: it activates TRACKER_LANGUAGE for every message
    if file.suffix.lower() not in SUFFIXES:
        raise _failure(file.name, Unreadable(UNKNOWN_KIND))
    tz = ctx.settings.tz
    with session_factory(ctx.engine)() as db:
        department = by_code(db, department_code)
        if department is None:
            raise Failure(_("No department has the code %(value)r.", value=department_code))
        try:
            source = open_source(file, tz)
        except Unreadable as exc:
            raise _failure(file.name, exc) from None
        progress = _progress()
        tally = Tally()
        try:
            with closing(source.rows):
                import_rows(db, department.id, source.rows, tz=tz, progress=progress, tally=tally)  # type: ignore[arg-type]
        except Unreadable as exc:
            if progress:
                click.echo("", err=True)
            raise _failure(source.name, exc, tally) from None
        if progress:
            click.echo("", err=True)
        if tally.rows == 0:
            raise _failure(source.name, Unreadable(N_("The file has no events.")))
        report = tally.as_dict(department.code, source.name)
    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        _print_report(report)
    if not report["ok"]:
        sys.exit(1)
