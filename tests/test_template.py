"""The project's own spreadsheet format: safe cells, the export, the blank template, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest

from powerlists.categories import CHINESE, ENGLISH, Category, recognise_category
from powerlists.limits import Limit, Unit
from powerlists.safecells import MAX_CELL_TEXT, CellTooLong, csv_safe, text_row, write_cell, xlsx_text
from powerlists.template import (
    EXPORT_ITEM_COLUMNS,
    SHEETS,
    example_item,
    to_json,
    write_csv,
    write_template,
    write_workbook,
)
from powerlists.validate import ItemData, Report, StepData, validate
from powerlists.workbook import read_workbook

LANGUAGES = ["zh-CN", "en"]
FORMULA_LIKE = ['=HYPERLINK("http://evil","x")', "+1", "-1", "@SUM(A1)", "=1+1"]


def reimport(path: Path) -> Report:
    return validate(read_workbook(path))


def sheet_xml(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {
            name: archive.read(name)
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        }


def has_formula(path: Path) -> bool:
    return any(re.search(rb"<f[\s>/]", xml) for xml in sheet_xml(path).values())


def item(code: str, name: str, category: Category = Category.licensing, **more: Any) -> ItemData:
    return ItemData(code=code, name=name, category=category, **more)


def full_list() -> list[ItemData]:
    """Items that use every field and every shape of limit, fee and step."""
    items = [
        item(
            "XK-1001",
            "建筑工程施工许可",
            legal_basis="《中华人民共和国建筑法》第七条\n《建筑工程施工许可管理办法》第二条、第四条",
            implementing_body="某某市住房和城乡建设局",
            responsible_unit="行政审批科",
            statutory_limit=Limit(20, Unit.workday, "不含听证、检测时间"),
            promised_limit=Limit(10, Unit.workday),
            fee="不收费",
            no_fee=True,
            supervision_phone="0571-87654321",
            responsibilities="1.受理责任：一次性告知补正材料。\n2.审查责任：审查申请材料。",
            accountability="不在法定期限内作出决定的；\n擅自收费的。",
            steps=[
                StepData(1, "受理", Limit(1, Unit.workday), "窗口受理岗", True),
                StepData(2, "审查", None, "", True),
                StepData(3, "现场核查", Limit(5, Unit.day, "不含整改时间"), "核查岗", False),
                StepData(4, "决定", Limit(0, Unit.immediate), "科长", True),
            ],
        ),
        item(
            "XK-1001-01",
            "建筑工程施工许可（变更）",
            parent_code="XK-1001",
            statutory_limit=Limit(3, Unit.day),
            promised_limit=Limit(0, Unit.immediate),
            fee="工本费每证50元",
            fee_amount=Decimal("50"),
        ),
        item(
            "CF-2001",
            "对未取得施工许可擅自施工的处罚",
            Category.penalty,
            statutory_limit=Limit(3, Unit.month),
            fee="",
            no_fee=True,
        ),
        item(
            "GG-3001",
            '=HYPERLINK("http://evil","x")',
            Category.public_service,
            statutory_limit=Limit(24, Unit.hour),
            promised_limit=Limit(12, Unit.hour),
            fee="收费标准：10.5元/件\n依据：某价费字〔2020〕1号",
            fee_amount=Decimal("10.5"),
            responsibilities="+1 窗口服务\n-1 差评整改\n@所有岗位",
            steps=[StepData(1, "@SUM(A1)", None, "=A1", False)],
        ),
    ]
    # One item for every other category, so every category name is read back in both languages.
    used = {i.category for i in items}
    for number, category in enumerate((c for c in Category if c not in used), start=1):
        name = f"{CHINESE[category]}事项"
        items.append(item(f"QT-{number:04d}", name, category, fee="不收费", no_fee=True))
    return items


# Safe cells


def test_a_string_starting_with_equals_is_written_as_text_not_a_formula(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    for row, text in enumerate(FORMULA_LIKE, start=1):
        assert write_cell(wb.active, row, 1, text).data_type == "s"
    path = tmp_path / "cells.xlsx"
    wb.save(path)
    reloaded = openpyxl.load_workbook(path).active
    for row, text in enumerate(FORMULA_LIKE, start=1):
        assert reloaded.cell(row, 1).data_type == "s"
        assert reloaded.cell(row, 1).value == text
    assert not has_formula(path)


def test_numbers_bools_and_dates_stay_typed(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    values: list[object] = [5, 2.5, True, datetime(2025, 3, 1, 9, 30), Decimal("10.5")]
    for column, value in enumerate(values, start=1):
        write_cell(wb.active, 1, column, value)
    path = tmp_path / "typed.xlsx"
    wb.save(path)
    row = [cell.value for cell in openpyxl.load_workbook(path).active[1]]
    assert row == [5, 2.5, True, datetime(2025, 3, 1, 9, 30), 10.5]


def test_write_only_rows_keep_formula_like_strings_as_text(tmp_path: Path) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append(text_row(ws, [*FORMULA_LIKE, 7, None, datetime(2025, 1, 2), "#N/A"]))
    path = tmp_path / "write_only.xlsx"
    wb.save(path)
    cells = list(openpyxl.load_workbook(path).active[1])
    assert [c.value for c in cells] == [*FORMULA_LIKE, 7, None, datetime(2025, 1, 2), "#N/A"]
    assert [c.data_type for c in cells[: len(FORMULA_LIKE)]] == ["s"] * len(FORMULA_LIKE)
    assert cells[-1].data_type == "s"  # an error code written by a user is text too
    assert not has_formula(path)


def test_control_characters_become_replacement_characters() -> None:
    assert xlsx_text("a\x00b\x08c\x0bd\x0ce\x1ff") == "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf"
    assert xlsx_text("tab\tand\nnew line\r") == "tab\tand\nnew line\r"
    # Not refused by openpyxl, but a file holding them cannot be opened again.
    assert xlsx_text("a\ufffeb\uffffc\ud800d") == "a\ufffdb\ufffdc\ufffdd"


def test_xlsx_text_refuses_more_than_an_xlsx_cell_holds() -> None:
    assert xlsx_text("法" * MAX_CELL_TEXT) == "法" * MAX_CELL_TEXT
    with pytest.raises(CellTooLong, match="32,768"):
        xlsx_text("法" * (MAX_CELL_TEXT + 1))
    # Excel counts characters outside the BMP twice.
    with pytest.raises(CellTooLong):
        xlsx_text("\U00020000" * 16_384)


@pytest.mark.parametrize("text", [*FORMULA_LIKE, "\tTAB", "\rCR"])
def test_csv_safe_quotes_values_a_spreadsheet_would_run(text: str) -> None:
    assert csv_safe(text) == "'" + text


def test_csv_safe_leaves_other_values_alone() -> None:
    assert csv_safe(None) == ""
    assert csv_safe("a=b") == "a=b"
    assert csv_safe("行政许可") == "行政许可"
    assert csv_safe(-5) == "-5"
    assert csv_safe(Decimal("-1.5")) == "-1.5"


# The export


@pytest.mark.parametrize("name", FORMULA_LIKE)
def test_an_export_keeps_formula_like_text_as_text(tmp_path: Path, name: str) -> None:
    items = [item("XK-1", name, steps=[StepData(1, name, None, name, True)], fee="不收费", no_fee=True)]
    path = tmp_path / "export.xlsx"
    write_workbook(items, path)
    wb = openpyxl.load_workbook(path)
    name_cell = wb[SHEETS["zh-CN"]["items"]]["B2"]
    assert (name_cell.value, name_cell.data_type) == (name, "s")
    step_cells = [c for c in wb[SHEETS["zh-CN"]["steps"]][2] if c.value == name]
    assert [c.data_type for c in step_cells] == ["s", "s"]
    assert not has_formula(path)


def test_control_characters_are_replaced_without_aborting_the_export(tmp_path: Path) -> None:
    items = [item("XK-1", "食品\x00经营\x1f许可", legal_basis="第一条\x0b第二条\ufffe")]
    path = tmp_path / "export.xlsx"
    write_workbook(items, path)
    ws = openpyxl.load_workbook(path)[SHEETS["zh-CN"]["items"]]
    assert ws["B2"].value == "食品\ufffd经营\ufffd许可"
    assert ws["E2"].value == "第一条\ufffd第二条\ufffd"


def test_a_40000_character_legal_basis_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    items = [item("XK-1", "许可"), item("XK-2", "长依据", legal_basis="依据" * 20_000)]
    with pytest.raises(CellTooLong) as caught:
        write_workbook(items, tmp_path / "export.xlsx")
    assert isinstance(caught.value, ValueError)
    assert not (tmp_path / "export.xlsx").exists()
    message = str(caught.value)
    assert "40,000" in message and "32,767" in message
    assert "row 3" in message and "XK-2" in message and "实施依据" in message


def test_the_export_writes_statutory_and_promised_limits_but_no_combined_column(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    write_workbook(full_list(), path)
    ws = openpyxl.load_workbook(path)[SHEETS["zh-CN"]["items"]]
    header = [c.value for c in ws[1]]
    assert "办理时限" not in header
    row = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert row["法定期限"] == "20个工作日（不含听证、检测时间）"
    assert row["承诺期限"] == "10个工作日"
    assert row["权力类型"] == "行政许可"


def test_an_english_export_has_english_headers_categories_and_yes_no(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    write_workbook(full_list(), path, language="en")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SHEETS["en"]["items"], SHEETS["en"]["steps"]]
    items = wb[SHEETS["en"]["items"]]
    assert [c.value for c in items[1]] == [c.en for c in EXPORT_ITEM_COLUMNS]
    assert items["C2"].value == ENGLISH[Category.licensing]
    mandatory = [row[-1].value for row in wb[SHEETS["en"]["steps"]].iter_rows(min_row=2)]
    assert set(mandatory) == {"yes", "no"}


def test_an_unknown_language_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="language"):
        write_workbook([], tmp_path / "x.xlsx", language="fr")


def test_ten_thousand_items_are_written(tmp_path: Path) -> None:
    items = [
        item(f"XK-{n:05d}", f"许可事项{n}", legal_basis=f"《某条例》第{n}条", steps=[StepData(1, "受理")])
        for n in range(10_000)
    ]
    path = tmp_path / "big.xlsx"
    write_workbook(items, path)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert sum(1 for _ in wb[SHEETS["zh-CN"]["items"]].iter_rows()) == 10_001
    assert sum(1 for _ in wb[SHEETS["zh-CN"]["steps"]].iter_rows()) == 10_001
    wb.close()


# Round trip


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_export_reimports_to_the_same_list(tmp_path: Path, language: str) -> None:
    originals = full_list()
    path = tmp_path / f"export-{language}.xlsx"
    write_workbook(originals, path, language=language)
    report = reimport(path)
    assert report.errors == []
    assert report.warnings == []
    assert [i.code for i in report.items] == [i.code for i in originals]
    for got, want in zip(report.items, originals, strict=True):
        for field in fields(ItemData):
            assert getattr(got, field.name) == getattr(want, field.name), (want.code, field.name)
    assert report.items == originals


def test_a_blank_fee_is_exported_blank_and_reimports_as_no_fee(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    write_workbook([item("CF-1", "处罚", Category.penalty, fee="", no_fee=True)], path)
    assert openpyxl.load_workbook(path)[SHEETS["zh-CN"]["items"]]["J2"].value is None
    (back,) = reimport(path).items
    assert (back.fee, back.no_fee, back.fee_amount) == ("", True, None)


# The blank template


def template(tmp_path: Path, language: str) -> tuple[Path, Any]:
    path = tmp_path / f"template-{language}.xlsx"
    write_template(path, language=language)
    return path, openpyxl.load_workbook(path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_template_has_a_category_drop_down_listing_all_eleven_categories(
    tmp_path: Path, language: str
) -> None:
    _path, wb = template(tmp_path, language)
    ws = wb[SHEETS[language]["items"]]
    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list"
    assert str(validation.sqref) == "C2:C5000"
    assert ws["C1"].value == (EXPORT_ITEM_COLUMNS[2].zh if language == "zh-CN" else EXPORT_ITEM_COLUMNS[2].en)
    sheet, cells = validation.formula1.rsplit("!", 1)
    listed = [row[0].value for row in wb[sheet.strip("'")][cells.replace("$", "")]]
    names = CHINESE if language == "zh-CN" else ENGLISH
    assert listed == [names[c] for c in Category]
    assert len(listed) == 11
    assert all(recognise_category(name) is not None for name in listed)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_template_has_a_comment_on_every_header(tmp_path: Path, language: str) -> None:
    _path, wb = template(tmp_path, language)
    for sheet in ("items", "steps"):
        headers = list(wb[SHEETS[language][sheet]][1])
        assert headers
        for cell in headers:
            assert cell.comment is not None and cell.comment.text.strip(), cell.value
    expected = EXPORT_ITEM_COLUMNS[0].help_zh if language == "zh-CN" else EXPORT_ITEM_COLUMNS[0].help_en
    assert wb[SHEETS[language]["items"]]["A1"].comment.text == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_template_has_an_example_row_a_steps_sheet_and_instructions_last(
    tmp_path: Path, language: str
) -> None:
    _path, wb = template(tmp_path, language)
    names = SHEETS[language]
    assert wb.sheetnames == [names["items"], names["steps"], names["notes"]]
    items = wb[names["items"]]
    category = CHINESE[Category.licensing] if language == "zh-CN" else ENGLISH[Category.licensing]
    assert [c.value for c in items[2]][:3] == ["XK-0001", "食品经营许可", category]
    assert items.max_row == 2
    assert items.freeze_panes == "A2"
    steps = wb[names["steps"]]
    assert steps.max_row == 3
    assert [steps["A2"].value, steps["A3"].value] == ["XK-0001", "XK-0001"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_template_imports_to_exactly_its_example_item(tmp_path: Path, language: str) -> None:
    path, _wb = template(tmp_path, language)
    report = reimport(path)
    assert report.errors == []
    assert report.items == [example_item()]
    (only,) = report.items
    assert (only.code, only.name, only.category) == ("XK-0001", "食品经营许可", Category.licensing)
    assert (only.statutory_limit, only.promised_limit) == (Limit(20, Unit.workday), Limit(10, Unit.workday))
    assert (only.fee, only.no_fee) == ("不收费", True)
    assert [s.name for s in only.steps] == ["受理", "审查与决定"]


# CSV and JSON


def test_the_csv_has_a_bom_the_item_columns_and_quoted_formula_like_values() -> None:
    stream = io.StringIO(newline="")
    write_csv(full_list(), stream)
    text = stream.getvalue()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert rows[0] == [c.zh for c in EXPORT_ITEM_COLUMNS]
    by_code = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert len(by_code) == len(full_list())
    assert by_code["GG-3001"]["权力名称"] == "'" + '=HYPERLINK("http://evil","x")'
    assert by_code["GG-3001"]["责任事项"] == "'+1 窗口服务\n-1 差评整改\n@所有岗位"
    assert by_code["XK-1001"]["实施依据"] == full_list()[0].legal_basis  # line breaks kept
    assert by_code["XK-1001"]["法定期限"] == "20个工作日（不含听证、检测时间）"


def test_an_english_csv_has_english_headers() -> None:
    stream = io.StringIO(newline="")
    write_csv(full_list(), stream, language="en")
    header = next(csv.reader(io.StringIO(stream.getvalue()[1:], newline="")))
    assert header == [c.en for c in EXPORT_ITEM_COLUMNS]


def test_to_json_has_the_export_shape() -> None:
    exported = to_json("SJ-01", 3, date(2025, 1, 1), full_list())
    assert list(exported) == ["department", "version", "effective", "items"]
    assert (exported["department"], exported["version"], exported["effective"]) == ("SJ-01", 3, "2025-01-01")
    first = exported["items"][0]
    assert set(first) == {
        "code",
        "name",
        "category",
        "parent_code",
        "legal_basis",
        "implementing_body",
        "responsible_unit",
        "statutory_limit",
        "promised_limit",
        "fee",
        "no_fee",
        "fee_amount",
        "supervision_phone",
        "responsibilities",
        "accountability",
        "steps",
    }
    assert first["category"] == "licensing"
    assert first["statutory_limit"] == {"value": 20, "unit": "workday"}
    assert first["steps"][1] == {"seq": 2, "name": "审查", "limit": None, "role": "", "mandatory": True}
    assert first["steps"][2]["mandatory"] is False
    assert exported["items"][1]["parent_code"] == "XK-1001"
    assert exported["items"][2]["promised_limit"] is None
    assert exported["items"][1]["promised_limit"] == {"value": 0, "unit": "immediate"}
    json.dumps(exported, ensure_ascii=False)  # plain JSON values only
