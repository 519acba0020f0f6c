"""Raw rows → power items and steps, plus a report of every problem at once.

Each problem names the sheet, the Excel row (1-based, as the user sees it), the
column header as written in the file and the offending text, so a clerk can find
and fix it. Messages are English ids (N_) with arguments; callers translate.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from powerlists.categories import Category, recognise_category
from powerlists.fields import ITEM_COLUMNS, STEP_COLUMNS, Column
from powerlists.limits import Limit, LimitError, parse_combined, parse_limit, promise_exceeds_statute
from powerlists.messages import N_
from powerlists.workbook import RawRow, RawSheet, RawWorkbook

MAX_CODE = 64
MAX_NAME = 500
MAX_TEXT = 32_000  # an xlsx cell holds at most 32,767 characters; exports must not truncate
NO_FEE_WORDS = frozenset({"不收费", "无", "否", "免费", "不收取费用", "不收取", "无收费", "零收费", "0"})
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*元")
_MANDATORY_YES = frozenset({"", "是", "y", "yes", "true", "1", "必经", "√"})
_MANDATORY_NO = frozenset({"否", "n", "no", "false", "0", "非必经", "×"})


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str
    message: str
    args: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, translate: Callable[..., str]) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": translate(self.message, **self.args),
        }


@dataclass
class StepData:
    seq: int
    name: str
    limit: Limit | None = None
    role: str = ""
    mandatory: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "name": self.name,
            "limit": self.limit.as_dict() if self.limit else None,
            "role": self.role,
            "mandatory": self.mandatory,
        }


@dataclass
class ItemData:
    code: str
    name: str
    category: Category
    parent_code: str | None = None
    legal_basis: str = ""
    implementing_body: str = ""
    responsible_unit: str = ""
    statutory_limit: Limit | None = None
    promised_limit: Limit | None = None
    fee: str = ""
    no_fee: bool = False
    fee_amount: Decimal | None = None
    supervision_phone: str = ""
    responsibilities: str = ""
    accountability: str = ""
    steps: list[StepData] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The export shape of an item (JSON export, diffs)."""
        return {
            "code": self.code,
            "name": self.name,
            "category": self.category.value,
            "parent_code": self.parent_code,
            "legal_basis": self.legal_basis,
            "implementing_body": self.implementing_body,
            "responsible_unit": self.responsible_unit,
            "statutory_limit": self.statutory_limit.as_dict() if self.statutory_limit else None,
            "promised_limit": self.promised_limit.as_dict() if self.promised_limit else None,
            "fee": self.fee,
            "no_fee": self.no_fee,
            "fee_amount": str(self.fee_amount) if self.fee_amount is not None else None,
            "supervision_phone": self.supervision_phone,
            "responsibilities": self.responsibilities,
            "accountability": self.accountability,
            "steps": [s.as_dict() for s in self.steps],
        }


@dataclass
class Report:
    items: list[ItemData] = field(default_factory=list)
    # Every code in the file, with errors or not: a code that failed a check is not "removed".
    codes: set[str] = field(default_factory=set)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def step_count(self) -> int:
        return sum(len(item.steps) for item in self.items)


# Cell conversion


def normalize_code(value: object) -> str:
    """Codes: trimmed, full-width folded; a code typed as a number reads as its digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def cell_text(value: object, *, multiline: bool = False) -> str:
    """A text cell as stored: trimmed; single-line fields fold line breaks and runs of spaces."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        value = value.isoformat()
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    if multiline:
        return "\n".join(line.strip() for line in text.strip().split("\n") if line.strip())
    return " ".join(text.split())


def parse_fee(text: str) -> tuple[bool, Decimal | None]:
    """(no fee?, the standard amount in yuan when exactly one is stated)."""
    folded = unicodedata.normalize("NFKC", text).strip()
    if not folded or folded in NO_FEE_WORDS or folded.startswith("不收费") or folded.startswith("免收"):
        return True, None
    amounts = {m for m in _AMOUNT.findall(folded.replace(",", ""))}
    if len(amounts) == 1:
        try:
            return False, Decimal(amounts.pop())
        except InvalidOperation:
            return False, None
    return False, None


# Validation


class _Sheet:
    """Reporting helper for one sheet: problems carry its name and the file's own header text."""

    def __init__(self, raw: RawSheet, columns: Iterable[Column], report: Report) -> None:
        self.raw = raw
        self.report = report
        self.default_headers = {c.field: c.zh for c in columns}

    def header(self, field_name: str) -> str:
        return self.raw.headers.get(field_name) or self.default_headers.get(field_name, field_name)

    def error(self, row: int | None, field_name: str, message: str, **args: Any) -> None:
        self.report.errors.append(Problem(self.raw.name, row, self.header(field_name), message, args))

    def warning(self, row: int | None, field_name: str, message: str, **args: Any) -> None:
        self.report.warnings.append(Problem(self.raw.name, row, self.header(field_name), message, args))

    def text(self, row: RawRow, field_name: str, *, multiline: bool = False, limit: int = MAX_TEXT) -> str:
        value = cell_text(row.cells.get(field_name), multiline=multiline)
        if len(value) > limit:
            self.error(row.row, field_name, N_("The text is longer than %(limit)d characters."), limit=limit)
            return value[:limit]
        return value

    def limit(self, row: RawRow, field_name: str) -> Limit | None:
        try:
            return parse_limit(row.cells.get(field_name))
        except LimitError as exc:
            self.error(row.row, field_name, exc.message, **exc.args_)
            return None


def _is_footnote(row: RawRow) -> bool:
    """At most one distinct text in the list's columns: a note (perhaps merged across the table)."""
    return len({cell_text(v) for v in row.cells.values()} - {""}) <= 1


def _item(sheet: _Sheet, row: RawRow, code: str, name: str) -> ItemData | None:
    raw_category = row.cells.get("category")
    category = recognise_category(raw_category)
    if category is None:
        if cell_text(raw_category):
            sheet.error(row.row, "category", N_("Unknown category %(text)r."), text=cell_text(raw_category))
        else:
            sheet.error(row.row, "category", N_("The category is missing."))
    statutory = sheet.limit(row, "statutory_limit")
    promised = sheet.limit(row, "promised_limit")
    if cell_text(row.cells.get("time_limit")):
        try:
            combined_statutory, combined_promised = parse_combined(row.cells.get("time_limit"))
        except LimitError as exc:
            sheet.error(row.row, "time_limit", exc.message, **exc.args_)
        else:
            statutory = statutory or combined_statutory
            promised = promised or combined_promised
    if promise_exceeds_statute(statutory, promised):
        column = "promised_limit" if cell_text(row.cells.get("promised_limit")) else "time_limit"
        sheet.error(
            row.row,
            column,
            N_("The promised limit %(promised)s is longer than the statutory limit %(statutory)s."),
            promised=promised.text() if promised else "",
            statutory=statutory.text() if statutory else "",
        )
    parent = normalize_code(row.cells.get("parent_code")) or None
    if parent == code:
        sheet.error(row.row, "parent_code", N_("Item %(code)r cannot be its own parent."), code=code)
        parent = None
    fee = sheet.text(row, "fee", multiline=True)
    no_fee, amount = parse_fee(fee)
    if category is None:
        return None
    return ItemData(
        code=code,
        name=name,
        category=category,
        parent_code=parent,
        legal_basis=sheet.text(row, "legal_basis", multiline=True),
        implementing_body=sheet.text(row, "implementing_body", limit=MAX_NAME),
        responsible_unit=sheet.text(row, "responsible_unit", limit=MAX_NAME),
        statutory_limit=statutory,
        promised_limit=promised,
        fee=fee,
        no_fee=no_fee,
        fee_amount=amount,
        supervision_phone=sheet.text(row, "supervision_phone", limit=64),
        responsibilities=sheet.text(row, "responsibilities", multiline=True),
        accountability=sheet.text(row, "accountability", multiline=True),
    )


def _formulas(sheet: _Sheet, row: RawRow) -> None:
    for field_name in row.missing_formulas:
        sheet.error(
            row.row,
            field_name,
            N_("A formula with no saved value: open and save the file in Excel or WPS, then import again."),
        )


def _items(raw: RawSheet, report: Report) -> dict[str, ItemData]:
    sheet = _Sheet(raw, ITEM_COLUMNS, report)
    rows_by_code: dict[str, list[int]] = defaultdict(list)
    parsed: list[tuple[RawRow, ItemData]] = []
    for row in raw.rows:
        _formulas(sheet, row)
        code = normalize_code(row.cells.get("code"))
        name = sheet.text(row, "name", limit=MAX_NAME)
        if not code and not name:
            if _is_footnote(row):
                sheet.warning(
                    row.row, "code", N_("Skipped a row with text but no code and no name (a note?).")
                )
                continue
            sheet.error(row.row, "code", N_("The code and the name are missing."))
            continue
        if not code:
            sheet.error(row.row, "code", N_("The code is missing (name %(name)r)."), name=name)
            continue
        if len(code) > MAX_CODE:
            sheet.error(
                row.row,
                "code",
                N_("The code %(code)r is longer than %(limit)d characters."),
                code=code,
                limit=MAX_CODE,
            )
            continue
        if not name:
            sheet.error(row.row, "name", N_("The name is missing (code %(code)r)."), code=code)
        rows_by_code[code].append(row.row)
        report.codes.add(code)
        item = _item(sheet, row, code, name)
        if item is not None and name:
            parsed.append((row, item))
    for code, rows in rows_by_code.items():
        if len(rows) > 1:
            listed = ", ".join(str(r) for r in rows)
            for r in rows:
                sheet.error(
                    r,
                    "code",
                    N_("The code %(code)r appears more than once (rows %(rows)s)."),
                    code=code,
                    rows=listed,
                )
    items = {item.code: item for _row, item in parsed}
    for row, item in parsed:
        if item.parent_code and item.parent_code not in items:
            sheet.error(
                row.row,
                "parent_code",
                N_("The parent code %(code)r is not on this list."),
                code=item.parent_code,
            )
    return items


def _mandatory(sheet: _Sheet, row: RawRow) -> bool:
    text = cell_text(row.cells.get("mandatory")).lower()
    if text in _MANDATORY_YES:
        return True
    if text in _MANDATORY_NO:
        return False
    sheet.error(row.row, "mandatory", N_("Write 是 or 否 (yes or no), not %(text)r."), text=text)
    return True


def _seq(sheet: _Sheet, row: RawRow) -> int | None:
    value = row.cells.get("seq")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        folded = unicodedata.normalize("NFKC", value).strip()
        value = int(folded) if folded.isdigit() else value
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if cell_text(value):
        sheet.error(
            row.row,
            "seq",
            N_("The step number %(text)r is not a whole number from 1."),
            text=cell_text(value),
        )
    else:
        sheet.error(row.row, "seq", N_("The step number is missing."))
    return None


def _steps(raw: RawSheet, items: dict[str, ItemData], item_codes_in_file: set[str], report: Report) -> None:
    sheet = _Sheet(raw, STEP_COLUMNS, report)
    seen: dict[tuple[str, int], int] = {}
    for row in raw.rows:
        _formulas(sheet, row)
        code = normalize_code(row.cells.get("item_code"))
        name = sheet.text(row, "name", limit=200)
        if not code and not name and _is_footnote(row):
            sheet.warning(
                row.row, "item_code", N_("Skipped a row with text but no code and no name (a note?).")
            )
            continue
        if not code:
            sheet.error(row.row, "item_code", N_("The item code of this step is missing."))
            continue
        if code not in item_codes_in_file:
            sheet.error(row.row, "item_code", N_("No item on the list has the code %(code)r."), code=code)
            continue
        seq = _seq(sheet, row)
        if not name:
            sheet.error(row.row, "name", N_("The step name is missing."))
        limit = sheet.limit(row, "limit")
        mandatory = _mandatory(sheet, row)
        if seq is None or not name:
            continue
        if (code, seq) in seen:
            sheet.error(
                row.row,
                "seq",
                N_("Item %(code)r already has a step %(seq)d (row %(other)d)."),
                code=code,
                seq=seq,
                other=seen[(code, seq)],
            )
            continue
        seen[(code, seq)] = row.row
        item = items.get(code)
        if item is not None:
            item.steps.append(StepData(seq, name, limit, sheet.text(row, "role", limit=200), mandatory))
    for item in items.values():
        item.steps.sort(key=lambda s: s.seq)


def validate(raw: RawWorkbook) -> Report:
    report = Report()
    for sheet_name, row, column, message in raw.warnings:
        report.warnings.append(Problem(sheet_name, row, column, message))
    items = _items(raw.items, report)
    if raw.steps is not None:
        codes = {normalize_code(r.cells.get("code")) for r in raw.items.rows}
        _steps(raw.steps, items, codes - {""}, report)
    report.items = list(items.values())
    if not report.items and not report.errors:
        report.errors.append(Problem(raw.items.name, None, "", N_("The list has no items.")))
    return report
