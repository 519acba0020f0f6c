"""One table as a download: xlsx, CSV or JSON, streamed row by row with bounded memory.

Rows are sequences of plain values: ``str``, ``int``, ``Decimal``, ``bool``, ``date``,
``datetime`` (already in local time: the writers drop the zone, JSON keeps the offset) or None.
Every text goes through ``powerlists.safecells``: nothing exported is ever a formula.

- xlsx: openpyxl's write-only mode (rows go to a temporary file as they come), a bold frozen
  header row, an autofilter, column widths fitted to the header and the first rows.
- CSV: UTF-8 with a byte-order mark, because Excel reads a CSV without one in the machine's
  legacy code page and garbles the Chinese (Python readers: ``encoding="utf-8-sig"``). Times are
  local, ``YYYY-MM-DD HH:MM:SS``; yes/no as ``true``/``false``.
- JSON: ``{...meta, "fields": [...], "rows": [[...], ...]}``, times in ISO 8601 with their offset.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell.cell import ERROR_CODES  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from powerlists.messages import N_
from powerlists.safecells import csv_safe, text_row, xlsx_text

FORMATS = ("xlsx", "csv", "json")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
KINDS = ("text", "datetime", "boolean", "integer", "decimal")
SAMPLE_ROWS = 200  # rows read ahead to fit the column widths
MIN_WIDTH, MAX_WIDTH = 8, 50
_BOLD = Font(bold=True)


@dataclass(frozen=True)
class Field:
    """One column: its JSON key, its header and description (English message ids) and its kind."""

    name: str
    label: str
    description: str
    kind: str = "text"

    def as_dict(self, translate: Callable[[str], str]) -> dict[str, str]:
        return {
            "name": self.name,
            "label": translate(self.label),
            "type": self.kind,
            "description": translate(self.description),
        }


# The columns several exports share, described once.
DEPARTMENT = Field("department", N_("Department"), N_("The department's code."))
CASE = Field("case", N_("Case reference"), N_("The department's own reference for the case."))
POWER_CODE = Field("power_code", N_("Power code"), N_("The code of the power the case was filed under."))


def infer_format(path: str) -> str:
    """The format a file name asks for by its suffix (.csv, .json); xlsx for anything else."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return suffix if suffix in FORMATS else "xlsx"


# xlsx


def _display_width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    text = str(value)
    # Chinese characters take two columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit_widths(headers: Sequence[str], sample: Sequence[Sequence[object]]) -> list[int]:
    """Column widths that fit the header and the sample rows, within MIN_WIDTH..MAX_WIDTH."""
    widths = []
    for index, header in enumerate(headers):
        longest = max([_display_width(header), *(_display_width(row[index]) for row in sample)])
        widths.append(max(MIN_WIDTH, min(MAX_WIDTH, longest + 2)))
    return widths


def _peek(
    rows: Iterable[Sequence[object]], n: int
) -> tuple[list[Sequence[object]], Iterator[Sequence[object]]]:
    """The first ``n`` rows, and an iterator over all of them (those first ones included)."""
    iterator = iter(rows)
    head = list(itertools.islice(iterator, n))
    return head, itertools.chain(head, iterator)


_PLAIN = frozenset({type(None), int, float, bool, Decimal, date})


def _xlsx_row(ws: Any, values: Sequence[object]) -> list[object]:
    """The row as write-only ``append`` takes it, as close to plain values as safety allows.

    Plain values cost openpyxl least (a cell object given instead costs it an exception per cell),
    so only text it would turn into a formula or an error value gets a cell of its own.
    """
    row: list[object] = []
    for value in values:
        kind = type(value)
        if kind in _PLAIN:
            row.append(value)
        elif kind is str:
            text = xlsx_text(value)  # type: ignore[arg-type]
            # "=..." would become a formula, "#N/A" an error value.
            if text.startswith("=") or text in ERROR_CODES:
                row.append(text_row(ws, [text])[0])
            else:
                row.append(text)
        elif isinstance(value, datetime) and value.tzinfo is not None:
            row.append(value.replace(tzinfo=None))  # Excel has no time zones: local wall-clock time
        elif isinstance(value, str):  # a str subclass (StrEnum) openpyxl does not know
            row.append(_xlsx_row(ws, [str(value)])[0])
        else:
            row.append(value)
    return row


def write_xlsx(
    stream: IO[bytes] | str,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[int] = (),
) -> int:
    """A sheet with a bold, frozen header row, an autofilter and fitted (or given) widths.

    Returns the number of data rows written.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    if not widths:
        sample, rows = _peek(rows, SAMPLE_ROWS)
        widths = fit_widths(headers, sample)
    # Write-only sheets take widths, panes and filters only before the first row.
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}1"
    header = text_row(ws, list(headers))
    for cell in header:
        if cell is not None:
            cell.font = _BOLD
    ws.append(header)
    count = 0
    for values in rows:
        ws.append(_xlsx_row(ws, values))
        count += 1
    wb.save(stream)
    return count


# CSV


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return csv_safe(value)


def write_csv(stream: IO[str], headers: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """CSV with a BOM (Excel reads the Chinese as UTF-8) and formula-safe fields.

    ``stream`` is a text stream opened with ``newline=""``. Returns the number of data rows.
    """
    stream.write("\ufeff")
    writer = csv.writer(stream)
    writer.writerow([csv_safe(h) for h in headers])
    count = 0
    for values in rows:
        writer.writerow([_csv_value(v) for v in values])
        count += 1
    return count


# JSON


def _json_value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def write_json(
    stream: IO[str],
    fields: Sequence[object],
    rows: Iterable[Sequence[object]],
    meta: Mapping[str, object] | None = None,
) -> int:
    """``{...meta, "fields": fields, "rows": [...]}`` written a row at a time; returns the row count."""
    stream.write("{")
    for key, value in (meta or {}).items():
        stream.write(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n ")
    stream.write(f'"fields": {json.dumps(fields, ensure_ascii=False)},\n "rows": [')
    count = 0
    for values in rows:
        stream.write(",\n  " if count else "\n  ")
        stream.write(json.dumps([_json_value(v) for v in values], ensure_ascii=False))
        count += 1
    stream.write("\n ]}\n")
    return count


# Any of the three


def write_table(
    fmt: str,
    stream: IO[bytes],
    title: str,
    fields: Sequence[Field],
    rows: Iterable[Sequence[object]],
    translate: Callable[[str], str],
    meta: Mapping[str, object] | None = None,
) -> int:
    """``rows`` of ``fields`` in ``fmt`` to a binary stream: headers translated, JSON keyed by name."""
    if fmt == "xlsx":
        return write_xlsx(stream, title, [translate(f.label) for f in fields], rows)
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        if fmt == "csv":
            return write_csv(text, [translate(f.label) for f in fields], rows)
        if fmt == "json":
            return write_json(text, [{"name": f.name, "type": f.kind} for f in fields], rows, meta)
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    finally:
        text.flush()
        text.detach()  # leave the caller's stream open


def table_bytes(
    fmt: str,
    title: str,
    fields: Sequence[Field],
    rows: Iterable[Sequence[object]],
    translate: Callable[[str], str],
    meta: Mapping[str, object] | None = None,
) -> bytes:
    buffer = io.BytesIO()
    write_table(fmt, buffer, title, fields, rows, translate, meta)
    return buffer.getvalue()


# The flags queue's downloads (rows already in memory, at most a few tens of thousands).


def xlsx_bytes(
    title: str, headers: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[int] = ()
) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, title, headers, rows, widths)
    return buffer.getvalue()


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO(newline="")
    write_csv(buffer, headers, rows)
    return buffer.getvalue()
