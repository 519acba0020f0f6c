"""Reading departments' workbooks: finding the sheets and headers, the raw cells, and the refusals.

Workbooks are built with openpyxl in normal mode (so cells can be merged and
formulas written) and, where openpyxl cannot write what real files hold (cached
formula values, macros, external links, bombs), the zip is edited afterwards.
"""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest

from powerlists import workbook
from powerlists.fields import HEADER_SEARCH_ROWS, ITEM_COLUMNS, STEP_COLUMNS
from powerlists.workbook import RawRow, RawWorkbook, read_workbook, scan_sheet_xml, sheet_parts
from powerlists.zipcheck import WorkbookRefused, ZipLimits, check_xlsx

MiB = 1024 * 1024
HEADER = ["权力编码", "权力名称", "权力类型", "法定期限"]
STEPS_HEADER = ["权力编码", "环节序号", "环节名称", "办理时限"]
Rows = Sequence[Sequence[object]]


def build(
    tmp_path: Path,
    *sheets: tuple[str, Rows],
    adjust: Callable[[Any], None] | None = None,
    name: str = "list.xlsx",
) -> Path:
    """A workbook with the given sheets, rows appended from row 1 ([] leaves a blank row)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    if adjust is not None:
        adjust(book)
    path = tmp_path / name
    book.save(path)
    return path


def items_file(tmp_path: Path, rows: Rows, adjust: Callable[[Any], None] | None = None) -> Path:
    return build(tmp_path, ("权力清单", [HEADER, *rows]), adjust=adjust)


def rewrite_part(path: Path, part: str, edit: Callable[[str], str]) -> None:
    """Edit one entry of the zip in place, keeping the others as they are."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w") as target:
        for info, data in entries:
            target.writestr(info, edit(data.decode()).encode() if info.filename == part else data)


def replace_cell(path: Path, sheet: str, ref: str, cell_xml: str) -> None:
    """Replace the XML of one cell, to write what openpyxl cannot (a cached formula value)."""
    with zipfile.ZipFile(path) as archive:
        part = sheet_parts(archive)[sheet]
    pattern = re.compile(rf'<c r="{ref}"(?: [^>]*)?>.*?</c>|<c r="{ref}"(?: [^>]*)?/>')

    def edit(xml: str) -> str:
        edited, count = pattern.subn(lambda _match: cell_xml, xml, count=1)
        assert count == 1, f"no cell {ref} in {part}"
        return edited

    rewrite_part(path, part, edit)


def add_entry(path: Path, name: str, data: bytes) -> None:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)


def refusal(path: Path, limits: ZipLimits = ZipLimits()) -> WorkbookRefused:
    with pytest.raises(WorkbookRefused) as refused:
        read_workbook(path, limits)
    return refused.value


def codes(raw: RawWorkbook) -> list[object]:
    return [row.cells.get("code") for row in raw.items.rows]


def row_numbers(rows: list[RawRow]) -> list[int]:
    return [row.row for row in rows]


# Finding the sheet and the header


def test_a_title_row_and_a_filing_unit_row_above_the_header_do_not_matter(tmp_path: Path) -> None:
    def merge_title(book: Any) -> None:
        book["清单"].merge_cells("A1:D1")

    path = build(
        tmp_path,
        (
            "清单",
            [
                ["某市交通运输局权力清单"],
                ["填报单位：某市交通运输局（盖章）"],
                HEADER,
                ["XK-1", "道路运输许可"],
            ],
        ),
        adjust=merge_title,
    )

    raw = read_workbook(path)

    assert raw.items.name == "清单"
    assert raw.items.header_row == 3
    assert [(row.row, row.cells["code"], row.cells["name"]) for row in raw.items.rows] == [
        (4, "XK-1", "道路运输许可")
    ]


def test_a_notes_sheet_before_the_data_sheet_is_passed_over(tmp_path: Path) -> None:
    notes: Rows = [["填报说明"], ["1. 权力编码：必填，本地区唯一。"], ["2. 权力名称：必填。"]]
    path = build(tmp_path, ("填报说明", notes), ("权力清单", [HEADER, ["XK-1", "许可"]]))

    raw = read_workbook(path)

    assert raw.items.name == "权力清单"
    assert codes(raw) == ["XK-1"]


@pytest.mark.parametrize("header_row", [1, 7, HEADER_SEARCH_ROWS])
def test_the_header_is_found_on_any_of_the_first_rows(tmp_path: Path, header_row: int) -> None:
    # A title on row 1, then blank rows down to the header.
    above: Rows = ([["某局权力清单"]] + [[] for _ in range(header_row - 2)]) if header_row > 1 else []
    path = build(tmp_path, ("清单", [*above, HEADER, ["XK-1", "许可"], ["XK-2", "处罚"]]))

    raw = read_workbook(path)

    assert raw.items.header_row == header_row
    assert row_numbers(raw.items.rows) == [header_row + 1, header_row + 2]


def test_a_header_below_the_search_window_is_not_a_header(tmp_path: Path) -> None:
    above: Rows = [["某局权力清单"]] + [[] for _ in range(HEADER_SEARCH_ROWS)]
    path = build(tmp_path, ("清单", [*above, HEADER, ["XK-1", "许可"]]))

    assert "权力编码" in str(refusal(path))


def test_header_variants_are_recognised(tmp_path: Path) -> None:
    header = [
        "职权编码",
        "事项名称",
        "权力类别",
        "实施机关",
        "内设机构",
        "法定时限",
        "承诺办结时限",
        "咨询/监督电话",
    ]
    values = ["ZQ-1", "事项一", "行政许可", "某局", "审批科", "20个工作日", "5个工作日", "0571-1234567"]
    path = build(tmp_path, ("清单", [header, values]))

    raw = read_workbook(path)

    assert raw.items.rows[0].cells == {
        "code": "ZQ-1",
        "name": "事项一",
        "category": "行政许可",
        "implementing_body": "某局",
        "responsible_unit": "审批科",
        "statutory_limit": "20个工作日",
        "promised_limit": "5个工作日",
        "supervision_phone": "0571-1234567",
    }
    assert raw.items.headers["promised_limit"] == "承诺办结时限"


def test_the_english_template_headers_are_recognised(tmp_path: Path) -> None:
    header = [column.en for column in ITEM_COLUMNS]
    path = build(tmp_path, ("Powers", [header, ["XK-1", "Licence", "行政许可"]]))

    raw = read_workbook(path)

    assert raw.items.headers == {column.field: column.en for column in ITEM_COLUMNS}
    assert raw.items.rows[0].cells["code"] == "XK-1"
    assert raw.items.rows[0].cells["category"] == "行政许可"


def test_headers_with_line_breaks_full_width_characters_and_required_marks_are_recognised(
    tmp_path: Path,
) -> None:
    header = ["权力\n编码", "权力名称（必填）", "＊权力类型", " 法定期限\n(工作日) ", "Ｎａｍｅ"]
    path = build(tmp_path, ("清单", [header, ["XK-1", "许可", "行政许可", "20"]]))

    raw = read_workbook(path)

    assert raw.items.headers == {
        "code": "权力\n编码",
        "name": "权力名称（必填）",
        "category": "＊权力类型",
        "statutory_limit": "法定期限\n(工作日)",
    }
    assert raw.items.rows[0].cells == {
        "code": "XK-1",
        "name": "许可",
        "category": "行政许可",
        "statutory_limit": "20",
    }
    # The second "name" column (Ｎａｍｅ) is not read; the clerk is told.
    assert raw.warnings == [
        ("清单", 1, "Ｎａｍｅ", "This column repeats one found before it; only the first is read.")
    ]


def test_an_unknown_column_is_warned_about_but_a_serial_number_column_is_not(tmp_path: Path) -> None:
    path = build(tmp_path, ("清单", [["序号", *HEADER, "联系人"], [1, "XK-1", "许可"]]))

    raw = read_workbook(path)

    assert raw.warnings == [
        ("清单", 1, "联系人", "This column is not one the import knows; its values are not read.")
    ]


def test_the_first_of_two_sheets_with_an_items_header_is_read(tmp_path: Path) -> None:
    path = build(tmp_path, ("2024", [HEADER, ["NEW-1", "新"]]), ("2023", [HEADER, ["OLD-1", "旧"]]))

    raw = read_workbook(path)

    assert codes(raw) == ["NEW-1"]
    assert [(w[0], w[1]) for w in raw.warnings] == [("2023", 1)]


def test_a_workbook_stored_under_a_name_without_the_xlsx_extension_is_read(tmp_path: Path) -> None:
    path = items_file(tmp_path, [["XK-1", "许可"]])
    upload = path.rename(tmp_path / "upload-7f3a.tmp")

    assert codes(read_workbook(upload)) == ["XK-1"]


# Rows and cells


def test_a_category_merged_down_three_rows_applies_to_each_row(tmp_path: Path) -> None:
    rows: Rows = [
        ["XK-1", "许可一", "行政许可"],
        ["XK-2", "许可二"],
        ["XK-3", "许可三"],
        ["CF-1", "处罚一", "行政处罚"],
    ]
    path = items_file(tmp_path, rows, adjust=lambda book: book["权力清单"].merge_cells("C2:C4"))

    raw = read_workbook(path)

    assert [row.cells["category"] for row in raw.items.rows] == [
        "行政许可",
        "行政许可",
        "行政许可",
        "行政处罚",
    ]


def test_a_value_merged_across_columns_applies_to_each_column(tmp_path: Path) -> None:
    path = items_file(
        tmp_path,
        [["XK-1", "许可", "行政许可", "即办"]],
        adjust=lambda book: book["权力清单"].merge_cells("B2:C2"),
    )

    raw = read_workbook(path)

    assert raw.items.rows[0].cells["category"] == "许可"


def test_merged_header_cells_do_not_spill_into_the_rows_under_the_header(tmp_path: Path) -> None:
    def two_row_header(book: Any) -> None:
        sheet = book["清单"]
        for cells in ("A1:A2", "B1:B2", "C1:C2", "D1:E1"):
            sheet.merge_cells(cells)

    rows: Rows = [["权力编码", "权力名称", "权力类型", "办理时限"], [None, None, None, "法定", "承诺"]]
    path = build(
        tmp_path,
        ("清单", [*rows, ["XK-1", "许可", "行政许可", "20个工作日", "10个工作日"]]),
        adjust=two_row_header,
    )

    raw = read_workbook(path)

    assert [(row.row, row.cells) for row in raw.items.rows] == [
        (2, {"code": None, "name": None, "category": None, "time_limit": "法定"}),
        (3, {"code": "XK-1", "name": "许可", "category": "行政许可", "time_limit": "20个工作日"}),
    ]


def test_blank_rows_inside_the_data_are_skipped_and_later_row_numbers_stay_right(tmp_path: Path) -> None:
    rows: Rows = [
        ["XK-1", "许可一"],
        [],
        ["", "  ", None, "\u3000"],
        ["XK-2", "许可二"],
        [],
        [],
        ["XK-3", "许可三"],
    ]
    path = build(tmp_path, ("清单", [["标题"], ["填报单位：某局"], HEADER, *rows]))

    raw = read_workbook(path)

    assert [(row.row, row.cells["code"]) for row in raw.items.rows] == [
        (4, "XK-1"),
        (7, "XK-2"),
        (10, "XK-3"),
    ]


def test_a_footnote_row_under_the_data_is_kept_for_the_validator(tmp_path: Path) -> None:
    path = items_file(tmp_path, [["XK-1", "许可"], [], ["注：本清单自2024年1月1日起施行。"]])

    raw = read_workbook(path)

    assert raw.items.rows[-1].row == 4
    assert raw.items.rows[-1].cells == {
        "code": "注：本清单自2024年1月1日起施行。",
        "name": None,
        "category": None,
        "statutory_limit": None,
    }


def test_codes_typed_as_numbers_keep_their_numeric_value(tmp_path: Path) -> None:
    path = items_file(tmp_path, [[1001, "许可一"], [1002.0, "许可二"], [12.5, "许可三"]])

    raw = read_workbook(path)

    assert codes(raw) == [1001, 1002, 12.5]
    assert type(codes(raw)[0]) is int


def test_strings_are_stripped_but_keep_their_inner_line_breaks(tmp_path: Path) -> None:
    basis = "  《行政许可法》第十二条\n《道路运输条例》第八条\n "
    path = build(tmp_path, ("清单", [["权力编码", "权力名称", "实施依据"], ["\u3000XK-1 ", "许可", basis]]))

    raw = read_workbook(path)

    assert raw.items.rows[0].cells == {
        "code": "XK-1",
        "name": "许可",
        "legal_basis": "《行政许可法》第十二条\n《道路运输条例》第八条",
    }


def test_dates_come_as_datetimes(tmp_path: Path) -> None:
    path = build(
        tmp_path, ("清单", [["权力编码", "权力名称", "法定期限"], ["XK-1", "许可", datetime(2024, 3, 1)]])
    )

    raw = read_workbook(path)

    assert raw.items.rows[0].cells["statutory_limit"] == datetime(2024, 3, 1)


@pytest.mark.parametrize("steps_first", [True, False])
def test_a_steps_sheet_keyed_by_item_code_is_found_whatever_its_position(
    tmp_path: Path, steps_first: bool
) -> None:
    items = ("权力清单", [["标题"], HEADER, ["XK-1", "许可"]])
    steps = (
        "办理流程",
        [["环节表"], [], STEPS_HEADER, ["XK-1", 1, "受理", "1个工作日"], ["XK-1", 2, "决定", "即办"]],
    )
    path = build(tmp_path, *((steps, items) if steps_first else (items, steps)))

    raw = read_workbook(path)

    assert raw.items.name == "权力清单"
    assert raw.steps is not None
    assert raw.steps.name == "办理流程"
    assert raw.steps.header_row == 3
    assert [
        (row.row, row.cells["item_code"], row.cells["seq"], row.cells["name"]) for row in raw.steps.rows
    ] == [
        (4, "XK-1", 1, "受理"),
        (5, "XK-1", 2, "决定"),
    ]


def test_the_english_steps_template_is_recognised(tmp_path: Path) -> None:
    steps_header = [column.en for column in STEP_COLUMNS]
    path = build(
        tmp_path, ("Powers", [["Code", "Name"], ["XK-1", "Licence"]]), ("Steps", [steps_header, ["XK-1", 1]])
    )

    raw = read_workbook(path)

    assert raw.steps is not None
    assert raw.steps.headers == {column.field: column.en for column in STEP_COLUMNS}


def test_the_items_sheets_power_name_does_not_make_it_a_steps_sheet(tmp_path: Path) -> None:
    path = build(
        tmp_path, ("清单", [["序号", "权力编码", "权力名称", "办理时限"], [1, "XK-1", "许可", "20个工作日"]])
    )

    raw = read_workbook(path)

    assert raw.steps is None
    assert codes(raw) == ["XK-1"]


def test_a_steps_sheet_naming_the_power_too_is_still_the_steps_sheet(tmp_path: Path) -> None:
    steps = ["权力编码", "权力名称", "环节序号", "环节名称"]
    path = build(
        tmp_path, ("环节", [steps, ["XK-1", "许可", 1, "受理"]]), ("清单", [HEADER, ["XK-1", "许可"]])
    )

    raw = read_workbook(path)

    assert raw.items.name == "清单"
    assert raw.steps is not None
    assert raw.steps.name == "环节"
    assert raw.warnings == []


def test_progress_is_reported_every_thousand_rows(tmp_path: Path) -> None:
    path = items_file(tmp_path, [[f"XK-{i}", "许可"] for i in range(2_500)])
    calls: list[int] = []

    raw = read_workbook(path, progress=calls.append)

    assert len(raw.items.rows) == 2_500
    assert calls == [1_000, 2_000]


# Formulas


def test_a_formula_with_a_cached_value_gives_the_value(tmp_path: Path) -> None:
    path = items_file(tmp_path, [["=1000+1", "许可", None, '="20个"&"工作日"']])
    replace_cell(path, "权力清单", "A2", '<c r="A2"><f>1000+1</f><v>1001</v></c>')
    replace_cell(path, "权力清单", "D2", '<c r="D2" t="str"><f>"20个"&amp;"工作日"</f><v>20个工作日</v></c>')

    raw = read_workbook(path)

    assert raw.items.rows[0].cells["code"] == 1001
    assert raw.items.rows[0].cells["statutory_limit"] == "20个工作日"
    assert raw.items.rows[0].missing_formulas == []


@pytest.mark.parametrize(
    "cell_xml",
    [
        '<c r="D2"><f>1+1</f><v /></c>',  # as openpyxl writes it
        '<c r="D2"><f>1+1</f><v></v></c>',
        '<c r="D2" s="0"><f>1+1</f></c>',
        '<c r="D2"><f t="shared" si="0"/></c>',
        '<c r="D2" t="str">\n  <f t="shared" ref="D2:D3" si="0">B2&amp;"x"</f>\n  <v/>\n</c>',
    ],
)
def test_a_formula_without_a_cached_value_is_reported_with_its_field(tmp_path: Path, cell_xml: str) -> None:
    path = items_file(tmp_path, [["XK-1", "许可", "行政许可", "=1+1"], ["XK-2", "许可二", "行政许可", "5日"]])
    replace_cell(path, "权力清单", "D2", cell_xml)

    raw = read_workbook(path)

    assert raw.items.rows[0].missing_formulas == ["statutory_limit"]
    assert raw.items.rows[0].cells["statutory_limit"] is None
    assert raw.items.rows[1].missing_formulas == []


def test_a_row_whose_only_content_is_a_formula_without_value_is_kept(tmp_path: Path) -> None:
    path = items_file(tmp_path, [["XK-1", "许可"], [None, None, "=A2"]])

    raw = read_workbook(path)

    assert [(row.row, row.missing_formulas) for row in raw.items.rows] == [(2, []), (3, ["category"])]


def test_a_merged_formula_without_value_is_reported_on_every_row_of_the_range(tmp_path: Path) -> None:
    rows: Rows = [["XK-1", "许可一", "=A1"], ["XK-2", "许可二"]]
    path = items_file(tmp_path, rows, adjust=lambda book: book["权力清单"].merge_cells("C2:C3"))

    raw = read_workbook(path)

    assert [row.missing_formulas for row in raw.items.rows] == [["category"], ["category"]]


def _sheet_xml(prefix: str) -> bytes:
    p = f"{prefix}:" if prefix else ""
    ns = f"xmlns{':' + prefix if prefix else ''}"
    cells = []
    for row in range(1, 200):
        cells.append(
            f'<{p}row r="{row}"><{p}c r="A{row}" t="s"><{p}v>0</{p}v></{p}c>'
            f'<{p}c r="B{row}"><{p}f>A{row}*2</{p}f>{"<" + p + "v>4</" + p + "v>" if row % 3 else ""}</{p}c>'
            f'<{p}c r="C{row}" s="1"/></{p}row>'
        )
    merges = "".join(f'<{p}mergeCell ref="C{r}:D{r + 1}"/>' for r in range(1, 200, 2))
    return (
        f'<?xml version="1.0"?><{p}worksheet {ns}="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<{p}sheetData>{''.join(cells)}</{p}sheetData>"
        f'<{p}mergeCells count="100">{merges}</{p}mergeCells></{p}worksheet>'
    ).encode()


@pytest.mark.parametrize("prefix", ["", "x"])
def test_the_sheet_scan_finds_the_same_merges_and_formulas_whatever_the_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    path = tmp_path / "sheet.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sheet.xml", _sheet_xml(prefix))
    expected_missing = {(row, 2) for row in range(3, 200, 3)}
    expected_merges = [(r, 3, r + 1, 4) for r in range(1, 200, 2)]

    for chunk in (1, 7, 64, 333, 4096, 1 << 20):
        monkeypatch.setattr(workbook, "_CHUNK_BYTES", chunk)
        with zipfile.ZipFile(path) as archive:
            layout = scan_sheet_xml(archive, "sheet.xml")
        assert layout.missing_formulas == expected_missing, chunk
        assert layout.merges == expected_merges, chunk


# Refusals


def test_a_plain_text_file_is_refused_as_not_an_xlsx_workbook(tmp_path: Path) -> None:
    path = tmp_path / "list.xls"
    path.write_text("权力编码\t权力名称\nXK-1\t许可\n", encoding="utf-8")

    refused = refusal(path)

    assert "not an xlsx workbook" in str(refused)
    assert ".xls" in str(refused)


def test_an_old_xls_file_is_refused_as_not_an_xlsx_workbook(tmp_path: Path) -> None:
    path = tmp_path / "list.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))

    assert "saved as .xlsx" in str(refusal(path))


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    path.write_bytes(b"")

    assert str(refusal(path)) == "The file is empty."


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = items_file(tmp_path, [["XK-1", "许可"]])

    refused = refusal(path, ZipLimits(max_file_bytes=1_000))

    assert refused.message == "The file is %(size)s; the largest workbook accepted is %(limit)s."
    assert refused.args_["limit"] == "1 KB"


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.txt", "not a workbook")

    refused = refusal(path)

    assert refused.args_ == {"part": "[Content_Types].xml"}
    assert (
        str(refused) == "The file is a zip archive but not an xlsx workbook: it has no [Content_Types].xml."
    )


def test_a_truncated_workbook_is_refused_as_damaged(tmp_path: Path) -> None:
    path = items_file(tmp_path, [["XK-1", "许可"]])
    path.write_bytes(path.read_bytes()[:2_000])

    assert "damaged" in str(refusal(path))


def test_a_workbook_with_a_broken_sheet_is_refused_as_damaged(tmp_path: Path) -> None:
    path = items_file(tmp_path, [["XK-1", "许可"]])
    rewrite_part(
        path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace("</sheetData>", "<row></sheetData>")
    )

    assert "damaged" in str(refusal(path))


def test_a_workbook_with_no_recognisable_header_is_refused_naming_what_was_looked_for(tmp_path: Path) -> None:
    path = build(tmp_path, ("Sheet1", [["甲", "乙", "丙"], ["1", "2", "3"]]))

    refused = refusal(path)

    assert "权力编码" in str(refused)
    assert "权力名称" in str(refused)
    assert refused.args_["rows"] == HEADER_SEARCH_ROWS


def test_an_empty_workbook_is_refused(tmp_path: Path) -> None:
    path = build(tmp_path, ("Sheet1", []), ("Sheet2", []))

    assert str(refusal(path)) == "The workbook is empty: no sheet has any cell filled in."


def test_a_workbook_whose_only_cells_are_far_down_is_not_called_empty(tmp_path: Path) -> None:
    path = build(tmp_path, ("Sheet1", [[] for _ in range(30)] + [["孤零零"]]))

    assert "权力编码" in str(refusal(path))


def test_a_workbook_with_macros_is_refused(tmp_path: Path) -> None:
    path = items_file(tmp_path, [["XK-1", "许可"]])
    add_entry(path, "xl/vbaProject.bin", b"\x00" * 100)

    assert "macros" in str(refusal(path))


def test_a_workbook_with_external_links_is_refused(tmp_path: Path) -> None:
    path = items_file(tmp_path, [["XK-1", "许可"]])
    add_entry(path, "xl/externalLinks/externalLink1.xml", b"<externalLink/>")

    refused = refusal(path)

    assert "links to other files" in str(refused)
    assert refused.args_ == {"part": "xl/externalLinks/externalLink1.xml"}


def test_a_workbook_with_too_many_parts_is_refused(tmp_path: Path) -> None:
    path = items_file(tmp_path, [["XK-1", "许可"]])

    refused = refusal(path, ZipLimits(max_entries=5))

    assert refused.message == "The workbook has %(count)d parts; at most %(limit)d are accepted."
    assert refused.args_["limit"] == 5


def test_a_workbook_over_the_total_inflated_size_is_refused(tmp_path: Path) -> None:
    path = items_file(tmp_path, [["XK-1", "许可"]])
    add_entry(path, "xl/media/image1.png", bytes(range(256)) * 512)

    assert "in all" in str(refusal(path, ZipLimits(max_total_bytes=100_000)))


def test_a_part_compressed_more_than_the_ratio_allows_is_refused(tmp_path: Path) -> None:
    path = items_file(tmp_path, [["XK-1", "许可"]])
    add_entry(path, "xl/media/zeros.bin", bytes(4 * MiB))  # ~4 KB compressed: a ratio of ~1,000

    refused = refusal(path)

    assert refused.args_["part"] == "xl/media/zeros.bin"
    ratio = refused.args_["ratio"]
    assert isinstance(ratio, int)
    assert ratio > 200
    assert "decompression bomb" in str(refused)


def test_a_file_inflating_to_300_mb_is_refused_quickly_before_openpyxl_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = items_file(tmp_path, [["XK-1", "许可"]])
    zeros = bytes(MiB)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/zeros.bin", "w", force_zip64=True) as entry,
    ):
        for _ in range(300):  # streamed: never 300 MB in memory
            entry.write(zeros)
    assert path.stat().st_size < 2 * MiB

    def must_not_open(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("openpyxl opened a decompression bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", must_not_open)
    started = time.perf_counter()
    refused = refusal(path)
    elapsed = time.perf_counter() - started

    assert elapsed < 0.5
    assert refused.args_["part"] == "xl/media/zeros.bin"
    assert "decompression bomb" in str(refused)


def test_check_xlsx_accepts_an_ordinary_workbook(tmp_path: Path) -> None:
    check_xlsx(items_file(tmp_path, [["XK-1", "许可"]]))
