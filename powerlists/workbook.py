"""Reading a department's workbook into raw rows: which sheets, which header rows, which cells.

Nothing here judges a value (validate.py does): this finds the items sheet and
the optional steps sheet by their header names, wherever they are, and hands
over every non-blank row under the header with Excel's own row numbers.

openpyxl's read-only mode is the only affordable way through large files, but it
knows nothing of merged cells and gives None for a formula that was never
calculated. Both facts are taken from the sheet XML in one streaming pass of our
own (``scan_sheet_xml``), after ``check_xlsx`` has vetted the archive.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

import openpyxl  # type: ignore[import-untyped]
from defusedxml import ElementTree  # type: ignore[import-untyped]

from powerlists.fields import (
    HEADER_SEARCH_ROWS,
    ITEM_COLUMNS,
    ITEM_HEADERS,
    ITEM_SHEET_REQUIRED,
    STEP_HEADERS,
    STEP_SHEET_MARKERS,
    STEP_SHEET_REQUIRED,
    header_key,
    match_headers,
)
from powerlists.messages import N_
from powerlists.zipcheck import WORKBOOK_PART, WorkbookRefused, ZipLimits, check_xlsx

PROGRESS_EVERY = 1_000
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"

# Headers that carry nothing to import and appear on most lists: no warning for them.
_QUIET_HEADERS = frozenset(header_key(h) for h in ("序号", "No.", "No", "#", "备注", "Remarks", "Notes"))

Kind = Literal["items", "steps"]
Values = tuple[object, ...]


@dataclass
class RawRow:
    sheet: str
    row: int  # Excel's 1-based row number, as the user sees it
    cells: dict[str, object]  # field → str (stripped), int, float, datetime, … or None
    missing_formulas: list[str] = field(default_factory=list)  # fields holding a never-calculated formula


@dataclass
class RawSheet:
    name: str
    header_row: int
    headers: dict[str, str]  # field → header text as written in the file
    rows: list[RawRow] = field(default_factory=list)


@dataclass
class RawWorkbook:
    items: RawSheet
    steps: RawSheet | None
    warnings: list[tuple[str, int, str, str]] = field(default_factory=list)  # sheet, row, header, message


def read_workbook(
    path: Path,
    limits: ZipLimits = ZipLimits(),
    progress: Callable[[int], None] | None = None,
) -> RawWorkbook:
    """The items sheet and the optional steps sheet of ``path``; WorkbookRefused when there is none."""
    check_xlsx(path, limits)
    # openpyxl gets a file object, not the path: given a path it refuses any name not
    # ending in .xlsx/.xlsm/…, and uploads are kept under names of our own choosing.
    with zipfile.ZipFile(path) as archive, path.open("rb") as stream:
        parts = sheet_parts(archive)
        book = _load(stream)
        try:
            reader = _Reader(archive, parts, progress)
            for sheet in book.worksheets:
                reader.read(sheet)
        finally:
            book.close()
    return reader.result()


def _load(stream: BinaryIO) -> Any:
    try:
        return openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises anything from KeyError to ParseError on a broken part
        raise _damaged() from exc


def _damaged() -> WorkbookRefused:
    return WorkbookRefused(
        N_(
            "The workbook cannot be read: a part of it is damaged. "
            "Open it in Excel or WPS, save it again as .xlsx and import the new file."
        )
    )


# Where each sheet's XML is


def _local(name: str) -> str:
    """An XML tag or attribute name without its namespace (transitional and strict OOXML differ)."""
    return name.rpartition("}")[2]


def _parse_part(archive: zipfile.ZipFile, part: str) -> Any:
    try:
        return ElementTree.fromstring(archive.read(part))
    except Exception as exc:  # a missing part, bad XML, or an entity attack that defusedxml refused
        raise _damaged() from exc


def _resolve(target: str) -> str:
    """A relationship target of xl/workbook.xml as a zip entry name."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(WORKBOOK_PART), target))


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the zip entry holding its XML."""
    targets: dict[str, str] = {}
    for element in _parse_part(archive, WORKBOOK_RELS).iter():
        if _local(element.tag) == "Relationship" and element.get("TargetMode") != "External":
            targets[element.get("Id", "")] = _resolve(element.get("Target", ""))
    parts: dict[str, str] = {}
    for element in _parse_part(archive, WORKBOOK_PART).iter():
        if _local(element.tag) != "sheet":
            continue
        relation = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        name = element.get("name")
        if name is not None and relation in targets:
            parts[str(name)] = targets[str(relation)]
    return parts


# What read-only openpyxl cannot see: merged ranges and formulas without a cached value


@dataclass
class SheetLayout:
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, col, last row, col
    missing_formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, col), 1-based


_CHUNK_BYTES = 1 << 20
# A buffer this long without one complete cell is absurd; cut anyway rather than grow.
_MAX_PENDING_BYTES = 8 * _CHUNK_BYTES
_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?\bref="([A-Za-z]+)(\d+)(?::([A-Za-z]+)(\d+))?"')
# The schema puts <f> first in a cell; the value is missing when <f> is followed by
# an empty <v>, by <v/> or by the end of the cell. Prefixes (<x:c>) must match.
_FORMULA_WITHOUT_VALUE = re.compile(
    rb"<(\w+:|)c(\s[^>]*)(?<!/)>\s*<\1f\b[^>]*?(?:/>|>[^<]*</\1f>)\s*(?:<\1v\s*/>|<\1v></\1v>|</\1c>)"
)
_CELL_REF = re.compile(rb'(?:^|\s)r="([A-Za-z]+)(\d+)"')
# The end of the last complete cell or row: a cell is never cut in two at such a point.
_LAST_COMPLETE = re.compile(rb"(?s).*(?:</(?:\w+:)?(?:c|row|sheetData)>|<(?:\w+:)?(?:c|row)\s[^>]*/>)")
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def scan_sheet_xml(archive: zipfile.ZipFile, part: str) -> SheetLayout:
    """Merged ranges and value-less formula cells of one sheet, from its XML read in chunks."""
    layout = SheetLayout()
    pending = b""
    in_data = True  # after </sheetData> there are no cells, so any complete tag is a safe cut
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            buffer = pending + chunk
            cut = _safe_cut(buffer, in_data)
            _scan(buffer[:cut], layout)
            if in_data and _SHEET_DATA_END.search(buffer, 0, cut):
                in_data = False
            pending = buffer[cut:]
    _scan(pending, layout)
    return layout


def _safe_cut(buffer: bytes, in_data: bool) -> int:
    """Where the buffer may be split with no cell or merge tag cut in two."""
    if in_data:
        complete = _LAST_COMPLETE.match(buffer)
        if complete is not None:
            return complete.end()
        if len(buffer) < _MAX_PENDING_BYTES:
            return 0
    return buffer.rfind(b">") + 1


def _scan(segment: bytes, layout: SheetLayout) -> None:
    # Cheap substring tests first: most sheets have no formulas and few merges.
    if b"mergeCell" in segment:
        for merge in _MERGE_CELL.finditer(segment):
            first_col, first_row, last_col, last_row = merge.groups()
            top, left = int(first_row), _column_number(first_col)
            bottom = int(last_row) if last_row else top
            right = _column_number(last_col) if last_col else left
            layout.merges.append((top, left, bottom, right))
    if b"<f" in segment or b":f" in segment:
        for cell in _FORMULA_WITHOUT_VALUE.finditer(segment):
            ref = _CELL_REF.search(cell.group(2))
            if ref is not None:  # a cell without r= cannot be placed; rare enough to let go
                layout.missing_formulas.add((int(ref.group(2)), _column_number(ref.group(1))))


# Finding the header


@dataclass
class _Header:
    kind: Kind
    row: int
    columns: dict[str, int]  # field → 0-based column


def _header_of(values: Values, row: int) -> _Header | None:
    """The header a row is, if any. Steps first: a steps sheet may also name the power (权力名称)."""
    cells = list(values)
    steps = match_headers(cells, STEP_HEADERS)
    if all(f in steps for f in STEP_SHEET_REQUIRED) and not STEP_SHEET_MARKERS.isdisjoint(steps):
        return _Header("steps", row, steps)
    items = match_headers(cells, ITEM_HEADERS)
    if all(f in items for f in ITEM_SHEET_REQUIRED):
        return _Header("items", row, items)
    return None


def _header_warnings(sheet: str, header: _Header, values: Values) -> list[tuple[str, int, str, str]]:
    index = STEP_HEADERS if header.kind == "steps" else ITEM_HEADERS
    # A steps sheet often repeats the power's name for the reader's sake.
    quiet = _QUIET_HEADERS | (ITEM_HEADERS.keys() if header.kind == "steps" else frozenset())
    read = set(header.columns.values())
    warnings: list[tuple[str, int, str, str]] = []
    for column, value in enumerate(values):
        key = header_key(value)
        if not key or column in read or key in quiet:
            continue
        message = (
            N_("This column repeats one found before it; only the first is read.")
            if key in index
            else N_("This column is not one the import knows; its values are not read.")
        )
        warnings.append((sheet, header.row, str(value).strip(), message))
    return warnings


# Reading rows


def _blank(values: Values) -> bool:
    for value in values:
        if value is None or (type(value) is str and not value.strip()):
            continue
        return False
    return True


@dataclass
class _Span:
    first_col: int  # 0-based
    last_col: int  # 0-based, inclusive, clipped to the columns read
    last_row: int
    value: object
    missing: bool  # the top-left cell is a formula with no cached value


class _Merges:
    """Spreads the top-left value of each merged range over its cells, row by row as they stream past."""

    def __init__(self, layout: SheetLayout, header_row: int, width: int) -> None:
        self._width = width
        self._missing = layout.missing_formulas
        self._starting: dict[int, list[tuple[int, int, int]]] = {}
        for top, left, bottom, right in layout.merges:
            # Ranges from the header up are the table's own layout (a title, a header cell
            # drawn over two rows): spreading them would make header text look like data.
            if top > header_row and left <= width and (bottom > top or right > left):
                self._starting.setdefault(top, []).append((left - 1, min(right, width) - 1, bottom))
        self._active: list[_Span] = []

    def apply(self, row: int, values: Values) -> tuple[Values, set[int]]:
        """The row with merged values filled in, and the 0-based columns that inherit a missing formula."""
        starting = self._starting.pop(row, None)
        if starting is not None:
            for first_col, last_col, last_row in starting:
                value = values[first_col] if first_col < len(values) else None
                missing = (row, first_col + 1) in self._missing
                self._active.append(_Span(first_col, last_col, last_row, value, missing))
        if not self._active:
            return values, set()
        self._active = [span for span in self._active if span.last_row >= row]
        filled = list(values)
        filled.extend([None] * (self._width - len(filled)))
        missing_cols: set[int] = set()
        for span in self._active:
            for column in range(span.first_col, span.last_col + 1):
                filled[column] = span.value
                if span.missing:
                    missing_cols.add(column)
        return tuple(filled), missing_cols


def _sheet_rows(sheet: Any) -> Generator[Values, None, None]:
    """openpyxl's rows (row 1 first, gaps filled), its failures turned into one refusal."""
    sheet.reset_dimensions()  # read-only mode trusts the declared size, which writers get wrong
    rows = sheet.iter_rows(values_only=True)
    try:
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # broken XML inside a sheet
                raise _damaged() from exc
            yield values
    finally:
        rows.close()


class _SheetReader:
    """The rows under one sheet's header."""

    def __init__(self, name: str, header: _Header, header_values: Values, layout: SheetLayout) -> None:
        self.columns = list(header.columns.items())
        self.width = max(header.columns.values()) + 1
        self.merges = _Merges(layout, header.row, self.width)
        self.missing_by_row: dict[int, set[int]] = {}
        for row, column in layout.missing_formulas:
            self.missing_by_row.setdefault(row, set()).add(column - 1)
        headers = {f: str(header_values[c]).strip() for f, c in header.columns.items()}
        self.sheet = RawSheet(name, header.row, headers)

    def row(self, number: int, values: Values) -> None:
        missing = self.missing_by_row.get(number)
        filled, inherited = self.merges.apply(number, values)
        if inherited:
            missing = (missing or set()) | inherited
        missing_fields = [f for f, c in self.columns if c in missing] if missing else []
        # Blank is judged on the row's own cells: a row that only sits inside a merged
        # range (a tall item drawn over two rows) carries no data of its own.
        if not missing_fields and _blank(values):
            return
        self.sheet.rows.append(RawRow(self.sheet.name, number, self._cells(filled), missing_fields))

    def _cells(self, values: Values) -> dict[str, object]:
        cells: dict[str, object] = {}
        size = len(values)
        for name, column in self.columns:
            value = values[column] if column < size else None
            if type(value) is str:
                value = value.strip() or None
            cells[name] = value
        return cells


class _Reader:
    """Walks the sheets in order, reading each once, and keeps the first items and steps sheets."""

    def __init__(
        self,
        archive: zipfile.ZipFile,
        parts: dict[str, str],
        progress: Callable[[int], None] | None,
    ) -> None:
        self.archive = archive
        self.parts = parts
        self.progress = progress
        self.rows_read = 0
        self.saw_cells = False
        self.items: RawSheet | None = None
        self.steps: RawSheet | None = None
        self.warnings: list[tuple[str, int, str, str]] = []

    def _tick(self) -> None:
        self.rows_read += 1
        if self.progress is not None and self.rows_read % PROGRESS_EVERY == 0:
            self.progress(self.rows_read)

    def read(self, sheet: Any) -> None:
        name = str(sheet.title)
        rows = _sheet_rows(sheet)
        try:
            header_values, header = self._find_header(rows)
            if header is None:
                return
            if (self.items if header.kind == "items" else self.steps) is not None:
                self._warn_ignored(name, header)
                return
            self._read_data(name, header, header_values, rows)
        finally:
            rows.close()

    def _find_header(self, rows: Iterator[Values]) -> tuple[Values, _Header | None]:
        """The header row's values and what they name. Rows are read past the search window only
        while no cell at all has been seen, to tell an empty workbook from one without a header."""
        for number, values in enumerate(rows, start=1):
            self._tick()
            if not self.saw_cells and not _blank(values):
                self.saw_cells = True
            if number <= HEADER_SEARCH_ROWS:
                header = _header_of(values, number)
                if header is not None:
                    return values, header
            elif self.saw_cells:
                break
        return (), None

    def _warn_ignored(self, name: str, header: _Header) -> None:
        message = (
            N_("This sheet also has the header of a list of powers; only the first such sheet is read.")
            if header.kind == "items"
            else N_("This sheet also has the header of a list of steps; only the first such sheet is read.")
        )
        self.warnings.append((name, header.row, "", message))

    def _read_data(self, name: str, header: _Header, header_values: Values, rows: Iterator[Values]) -> None:
        part = self.parts.get(name)
        layout = scan_sheet_xml(self.archive, part) if part is not None else SheetLayout()
        reader = _SheetReader(name, header, header_values, layout)
        for number, values in enumerate(rows, start=header.row + 1):
            self._tick()
            reader.row(number, values)
        self.warnings.extend(_header_warnings(name, header, header_values))
        if header.kind == "items":
            self.items = reader.sheet
        else:
            self.steps = reader.sheet

    def result(self) -> RawWorkbook:
        if self.items is None:
            if not self.saw_cells:
                raise WorkbookRefused(N_("The workbook is empty: no sheet has any cell filled in."))
            raise WorkbookRefused(
                N_(
                    "No sheet has a header row with the power's code (%(code)s) and name (%(name)s) "
                    "in its first %(rows)d rows."
                ),
                code=_header_names("code"),
                name=_header_names("name"),
                rows=HEADER_SEARCH_ROWS,
            )
        return RawWorkbook(self.items, self.steps, self.warnings)


def _header_names(field_name: str) -> str:
    column = next(c for c in ITEM_COLUMNS if c.field == field_name)
    return " / ".join((column.zh, *column.aliases, column.en))
