"""Builders of the spreadsheets departments keep, for tests: plain rows in, an xlsx file out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

ITEM_HEADERS = [
    "序号",
    "权力编码",
    "权力名称",
    "权力类型",
    "实施依据",
    "实施主体",
    "法定期限",
    "承诺期限",
    "收费标准",
]
STEP_HEADERS = ["权力编码", "环节序号", "环节名称", "办理时限", "承办岗位"]


def item_row(code: str, name: str, category: str = "行政许可", **extra: Any) -> list[Any]:
    """A row under ITEM_HEADERS."""
    return [
        extra.get("seq", ""),
        code,
        name,
        category,
        extra.get("basis", "《中华人民共和国行政许可法》"),
        extra.get("body", "示范市市场监督管理局"),
        extra.get("statutory", "20个工作日"),
        extra.get("promised", "10个工作日"),
        extra.get("fee", "不收费"),
    ]


def build(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    headers: Sequence[str] = ITEM_HEADERS,
    above: Sequence[Sequence[Any]] = (),
    steps: Sequence[Sequence[Any]] | None = None,
    step_headers: Sequence[str] = STEP_HEADERS,
    notes_sheet: bool = False,
    merge: Sequence[str] = (),
) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    if notes_sheet:
        ws.title = "填报说明"
        ws.append(["填报说明：请按模板填写，权力类型从下拉列表选择。"])
        ws = wb.create_sheet("权力清单")
    else:
        ws.title = "权力清单"
    for line in above:
        ws.append(list(line))
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    for cell_range in merge:
        ws.merge_cells(cell_range)
    if steps is not None:
        sheet = wb.create_sheet("办理环节")
        sheet.append(list(step_headers))
        for row in steps:
            sheet.append(list(row))
    wb.save(path)
    return path
