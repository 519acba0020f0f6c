"""The project's own spreadsheet format: the export, the blank template, CSV and JSON.

The xlsx files written here are read back by the importer like any department's
file (by their headers, never by position), so an export re-imports to the same
list. That fixes a few choices: limits are written as ``Limit.text()``, which
``parse_limit`` reads back with its note; the statutory and promised limits go
in their own columns, never the combined 办理时限 one; the fee is the text as
written, from which the import derives the no-fee flag and the amount again.
Every cell goes through ``safecells``: exported text never becomes a formula.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from datetime import date
from typing import IO, Any, TextIO

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.comments import Comment  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter, quote_sheetname  # type: ignore[import-untyped]
from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]

from powerlists.categories import CHINESE, ENGLISH, Category
from powerlists.fields import ITEM_COLUMNS, STEP_COLUMNS, Column
from powerlists.limits import Limit, Unit
from powerlists.safecells import MAX_CELL_TEXT, CellTooLong, csv_safe, text_row, write_cell, xlsx_text
from powerlists.validate import ItemData, StepData

LANGUAGES = ("zh-CN", "en")
SHEETS: dict[str, dict[str, str]] = {
    "zh-CN": {"items": "权力清单", "steps": "办理环节", "notes": "填报说明"},
    "en": {"items": "Power list", "steps": "Steps", "notes": "Instructions"},
}
# The combined 办理时限 column exists for departments' files; ours writes both limits separately.
EXPORT_ITEM_COLUMNS: tuple[Column, ...] = tuple(c for c in ITEM_COLUMNS if c.field != "time_limit")
MULTILINE_FIELDS = frozenset({"legal_basis", "fee", "responsibilities", "accountability"})
TEMPLATE_ROWS = 5000  # rows 2..5000 get the category drop-down
_MANDATORY = {"zh-CN": ("是", "否"), "en": ("yes", "no")}  # both pairs are read by validate._mandatory
_WIDTHS = {
    "code": 14,
    "name": 28,
    "category": 16,
    "parent_code": 14,
    "legal_basis": 48,
    "implementing_body": 24,
    "responsible_unit": 16,
    "statutory_limit": 16,
    "promised_limit": 16,
    "fee": 24,
    "supervision_phone": 16,
    "responsibilities": 40,
    "accountability": 40,
    "item_code": 14,
    "seq": 10,
    "limit": 16,
    "role": 18,
    "mandatory": 10,
}
# fields.py leaves these helps blank; every header of the template gets a comment.
_FALLBACK_HELP = {
    "supervision_phone": ("公众咨询、投诉的电话号码。", "The phone number for questions and complaints."),
    "role": ("承办该环节的岗位，如：窗口受理岗。", "The post that handles the step, e.g. the front desk."),
}
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")


def _header(column: Column, language: str) -> str:
    return column.zh if language == "zh-CN" else column.en


def _help(column: Column, language: str) -> str:
    fallback_zh, fallback_en = _FALLBACK_HELP.get(column.field, ("", ""))
    if language == "zh-CN":
        return column.help_zh or fallback_zh
    return column.help_en or fallback_en


def category_name(category: Category, language: str) -> str:
    """The name written in the category column; recognise_category reads both languages' names."""
    return CHINESE[category] if language == "zh-CN" else ENGLISH[category]


def _limit(limit: Limit | None) -> str:
    return limit.text() if limit else ""


def item_values(item: ItemData, language: str) -> list[object]:
    """One item's cells, in the order of EXPORT_ITEM_COLUMNS."""
    by_field: dict[str, object] = {
        "code": item.code,
        "name": item.name,
        "category": category_name(item.category, language),
        "parent_code": item.parent_code or "",
        "legal_basis": item.legal_basis,
        "implementing_body": item.implementing_body,
        "responsible_unit": item.responsible_unit,
        "statutory_limit": _limit(item.statutory_limit),
        "promised_limit": _limit(item.promised_limit),
        # Written as stored, even when blank with no_fee set: a blank fee reads back as no fee,
        # while writing 不收费 would show up as a changed fee on the next import.
        "fee": item.fee,
        "supervision_phone": item.supervision_phone,
        "responsibilities": item.responsibilities,
        "accountability": item.accountability,
    }
    return [by_field[c.field] or None for c in EXPORT_ITEM_COLUMNS]


def step_values(code: str, step: StepData, language: str) -> list[object]:
    """One step's cells, in the order of STEP_COLUMNS."""
    yes, no = _MANDATORY[language]
    by_field: dict[str, object] = {
        "item_code": code,
        "seq": step.seq,
        "name": step.name,
        "limit": _limit(step.limit),
        "role": step.role,
        "mandatory": yes if step.mandatory else no,
    }
    return [by_field[c.field] or None for c in STEP_COLUMNS]


def _refuse_long_text(values: list[object], headers: list[str], where: str) -> None:
    """CellTooLong naming the row and column of a text too long for a cell, so the clerk can find it."""
    for header, value in zip(headers, values, strict=True):
        # len() is at least half the length Excel counts: shorter text cannot be too long.
        if isinstance(value, str) and len(value) > MAX_CELL_TEXT // 2:
            try:
                xlsx_text(value)
            except CellTooLong as exc:
                raise CellTooLong(exc.length, f"{where}, column {header}") from None


def _export_rows(items: list[ItemData], language: str) -> tuple[list[list[object]], list[list[object]]]:
    """The item rows and step rows, checked before any sheet is started.

    A write-only sheet abandoned halfway leaves its temporary file and an open
    writer behind, so a text too long is refused before writing begins.
    """
    names = SHEETS[language]
    item_headers = [_header(c, language) for c in EXPORT_ITEM_COLUMNS]
    step_headers = [_header(c, language) for c in STEP_COLUMNS]
    item_rows: list[list[object]] = []
    step_rows: list[list[object]] = []
    for item in items:
        values = item_values(item, language)
        _refuse_long_text(
            values, item_headers, f"{names['items']} row {len(item_rows) + 2} (item {item.code})"
        )
        item_rows.append(values)
        for step in item.steps:
            values = step_values(item.code, step, language)
            where = f"{names['steps']} row {len(step_rows) + 2} (item {item.code}, step {step.seq})"
            _refuse_long_text(values, step_headers, where)
            step_rows.append(values)
    return item_rows, step_rows


def _write_only_sheet(
    wb: Any, title: str, columns: tuple[Column, ...], rows: list[list[object]], language: str
) -> None:
    ws = wb.create_sheet(title)
    # Write-only sheets take widths and panes only before the first row.
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(column.field, 14)
    ws.freeze_panes = "A2"
    header = [cell for cell in text_row(ws, [_header(c, language) for c in columns]) if cell is not None]
    for cell in header:
        cell.font = _BOLD
    ws.append(header)
    wrapped = [index for index, column in enumerate(columns) if column.field in MULTILINE_FIELDS]
    for values in rows:
        cells = text_row(ws, values)
        for index in wrapped:
            cell = cells[index]
            if cell is not None:
                cell.alignment = _WRAP
        ws.append(cells)


def write_workbook(
    items: list[ItemData], path_or_stream: str | os.PathLike[str] | IO[bytes], *, language: str = "zh-CN"
) -> None:
    """An export of ``items`` in the template's format, written in write-only mode (fast, low memory).

    Raises CellTooLong naming the sheet, row, item and column of a text too long
    for a cell, before anything is written.
    """
    _check_language(language)
    names = SHEETS[language]
    item_rows, step_rows = _export_rows(items, language)
    wb = Workbook(write_only=True)
    _write_only_sheet(wb, names["items"], EXPORT_ITEM_COLUMNS, item_rows, language)
    _write_only_sheet(wb, names["steps"], STEP_COLUMNS, step_rows, language)
    wb.save(path_or_stream)


# The blank template


def example_item() -> ItemData:
    """The example row of the blank template: importing the template as it is gives exactly this."""
    return ItemData(
        code="XK-0001",
        name="食品经营许可",
        category=Category.licensing,
        legal_basis="《中华人民共和国食品安全法》第三十五条\n《食品经营许可和备案管理办法》第二十五条",
        implementing_body="某某市市场监督管理局",
        responsible_unit="行政审批科",
        statutory_limit=Limit(20, Unit.workday),
        promised_limit=Limit(10, Unit.workday),
        fee="不收费",
        no_fee=True,
        supervision_phone="12315",
        responsibilities="1.受理责任：公示应当提交的材料，一次性告知补正材料。\n2.审查责任：审查申请材料，组织现场核查。\n"
        "3.决定责任：作出准予或不予许可的决定，不予许可的说明理由。",
        accountability="对符合条件的申请不予受理、不予许可或不在法定期限内作出决定的；\n"
        "擅自增设条件或收取费用的。",
        steps=[
            StepData(1, "受理", Limit(1, Unit.workday), "窗口受理岗", True),
            StepData(2, "审查与决定", Limit(9, Unit.workday), "行政审批科", True),
        ],
    )


def _write_header(ws: Any, columns: tuple[Column, ...], language: str) -> None:
    for index, column in enumerate(columns, start=1):
        cell = write_cell(ws, 1, index, _header(column, language))
        cell.font = _BOLD
        comment = Comment(_help(column, language), "powerlist-tracker")
        comment.width, comment.height = 240, 90  # points; the default box cuts longer helps off
        cell.comment = comment
        ws.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(column.field, 14)
    ws.freeze_panes = "A2"


def _write_row(ws: Any, row: int, columns: tuple[Column, ...], values: list[object]) -> None:
    for index, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
        cell = write_cell(ws, row, index, value)
        if column.field in MULTILINE_FIELDS:
            cell.alignment = _WRAP


def _write_notes(ws: Any, language: str) -> str:
    """The instructions sheet; returns the range of category names the drop-down lists."""
    zh = language == "zh-CN"
    names = SHEETS[language]
    lines: list[list[object]] = [
        ["填报说明" if zh else "How to fill in this workbook"],
        [
            "每个权力事项占“权力清单”表的一行；办理环节填在“办理环节”表，按权力编码对应。第2行为示例，可删除或覆盖。"
            if zh
            else "One power per row of the Power list sheet; its steps go on the Steps sheet, "
            "matched by code. Row 2 is an example: delete or overwrite it."
        ],
        [],
        ["工作表" if zh else "Sheet", "列" if zh else "Column", "说明" if zh else "Notes"],
    ]
    for sheet, columns in (("items", EXPORT_ITEM_COLUMNS), ("steps", STEP_COLUMNS)):
        lines.extend([names[sheet], _header(c, language), _help(c, language)] for c in columns)
    lines.append([])
    lines.append(["权力类型可选值" if zh else "Categories"])
    first = len(lines) + 1
    lines.extend([None, category_name(category, language)] for category in Category)
    for row, values in enumerate(lines, start=1):
        for column, value in enumerate(values, start=1):
            write_cell(ws, row, column, value)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 28
    ws.column_dimensions["C"].width = 70
    return f"{quote_sheetname(ws.title)}!$B${first}:$B${first + len(Category) - 1}"


def write_template(path_or_stream: str | os.PathLike[str] | IO[bytes], *, language: str = "zh-CN") -> None:
    """The blank template: headers with help comments, an example item and its steps, a category drop-down."""
    _check_language(language)
    names = SHEETS[language]
    item = example_item()
    wb = Workbook()
    ws = wb.active
    ws.title = names["items"]
    _write_header(ws, EXPORT_ITEM_COLUMNS, language)
    _write_row(ws, 2, EXPORT_ITEM_COLUMNS, item_values(item, language))
    steps = wb.create_sheet(names["steps"])
    _write_header(steps, STEP_COLUMNS, language)
    for row, step in enumerate(item.steps, start=2):
        _write_row(steps, row, STEP_COLUMNS, step_values(item.code, step, language))
    # After the data sheets, so the workbook opens on the list; the import finds sheets by header anyway.
    category_range = _write_notes(wb.create_sheet(names["notes"]), language)
    # A range, not a literal list: Excel caps a literal list at 255 characters; the English names are longer.
    validation = DataValidation(type="list", formula1=category_range, allow_blank=True, errorStyle="warning")
    validation.error = (
        "请从下拉列表选择权力类型。" if language == "zh-CN" else "Choose a category from the list."
    )
    column = get_column_letter(1 + [c.field for c in EXPORT_ITEM_COLUMNS].index("category"))
    validation.add(f"{column}2:{column}{TEMPLATE_ROWS}")
    ws.add_data_validation(validation)
    wb.save(path_or_stream)


# CSV and JSON


def write_csv(items: Iterable[ItemData], stream: TextIO, *, language: str = "zh-CN") -> None:
    """The items as CSV: the columns of the xlsx items sheet. Steps are only in the xlsx and JSON exports.

    ``stream`` is a text stream opened with ``newline=""``; a UTF-8 BOM is written
    first so that Excel reads the Chinese text as UTF-8. Open it with
    ``encoding="utf-8"``, not ``"utf-8-sig"``, or the BOM is written twice.
    """
    _check_language(language)
    stream.write("\ufeff")
    writer = csv.writer(stream)
    writer.writerow([csv_safe(_header(c, language)) for c in EXPORT_ITEM_COLUMNS])
    for item in items:
        writer.writerow([csv_safe(value) for value in item_values(item, language)])


def to_json(department_code: str, version: int, effective: date, items: list[ItemData]) -> dict[str, Any]:
    """The JSON export of one version of a department's list."""
    return {
        "department": department_code,
        "version": version,
        "effective": effective.isoformat(),
        "items": [item.as_dict() for item in items],
    }
