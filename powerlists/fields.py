"""The columns of a power list and every header under which departments write them.

Files are found and read by these names, never by column positions. Headers are
compared after ``header_key``: full-width folded, spaces and line breaks removed,
parenthesised notes and required-field stars dropped, lower-cased.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    field: str
    zh: str  # the header the Chinese template writes
    en: str  # the header the English template writes
    aliases: tuple[str, ...] = ()
    help_zh: str = ""
    help_en: str = ""

    def header_keys(self) -> set[str]:
        return {header_key(h) for h in (self.zh, self.en, *self.aliases)}


ITEM_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        "权力编码",
        "Code",
        ("职权编码", "事项编码", "权力代码", "编码"),
        "必填。本地区内唯一的权力事项编码。",
        "Required. The power's code, unique in the region.",
    ),
    Column(
        "name",
        "权力名称",
        "Name",
        ("职权名称", "事项名称", "名称"),
        "必填。权力事项名称。",
        "Required. The power's name.",
    ),
    Column(
        "category",
        "权力类型",
        "Category",
        ("权力类别", "职权类型", "职权类别", "事项类型", "事项类别", "类型", "类别"),
        "必填。从下拉列表选择，如：行政许可、行政处罚。",
        "Required. Choose from the list, e.g. 行政许可 (licensing).",
    ),
    Column(
        "parent_code",
        "上级编码",
        "Parent code",
        ("主项编码", "父项编码", "所属主项编码", "上级事项编码"),
        "子项填写其主项的权力编码；主项留空。",
        "For a sub-item (子项): the code of its main item. Blank otherwise.",
    ),
    Column(
        "legal_basis",
        "实施依据",
        "Legal basis",
        ("设定依据", "法律依据", "法定依据"),
        "法律法规名称及条款，可多行。",
        "Laws and articles; one citation per line.",
    ),
    Column(
        "implementing_body",
        "实施主体",
        "Implementing body",
        ("实施机关", "行使主体"),
        "行使该权力的机关。",
        "The body that exercises the power.",
    ),
    Column(
        "responsible_unit",
        "承办机构",
        "Responsible unit",
        ("内设机构", "责任科室", "承办科室"),
        "具体承办的内设机构。",
        "The internal unit that handles cases.",
    ),
    Column(
        "statutory_limit",
        "法定期限",
        "Statutory limit",
        ("法定时限", "法定办结时限"),
        "如：20个工作日、90日、即办；无期限填“无”。",
        "E.g. 20个工作日, 90日, 即办; 无 for none.",
    ),
    Column(
        "promised_limit",
        "承诺期限",
        "Promised limit",
        ("承诺时限", "承诺办结时限"),
        "不得长于法定期限。",
        "Must not be longer than the statutory limit.",
    ),
    Column(
        "time_limit",
        "办理时限",
        "Time limit",
        ("办理期限",),
        "可同时填写，如：法定：20个工作日；承诺：10个工作日。",
        "May hold both, e.g. 法定：20个工作日；承诺：10个工作日.",
    ),
    Column(
        "fee",
        "收费依据及标准",
        "Fee",
        ("收费标准", "是否收费", "收费依据"),
        "不收费填“不收费”；收费写明依据与金额（元）。",
        "不收费 for no fee; otherwise the basis and the amount in yuan.",
    ),
    Column(
        "supervision_phone",
        "监督电话",
        "Supervision phone",
        ("咨询/监督电话", "投诉电话", "咨询监督电话"),
        "",
        "",
    ),
    Column("responsibilities", "责任事项", "Responsibilities", (), "每行一项。", "One per line."),
    Column("accountability", "追责情形", "Accountability", (), "每行一项。", "One per line."),
)

STEP_COLUMNS: tuple[Column, ...] = (
    Column(
        "item_code",
        "权力编码",
        "Code",
        ("职权编码", "事项编码", "编码"),
        "必填。所属权力事项的编码。",
        "Required. The code of the power the step belongs to.",
    ),
    Column("seq", "环节序号", "Step", ("序号", "步骤"), "必填。1、2、3……", "Required. 1, 2, 3, ..."),
    Column(
        "name",
        "环节名称",
        "Step name",
        ("环节",),
        "必填。如：受理、审查、决定、送达。",
        "Required. E.g. 受理 accept, 审查 review, 决定 decide, 送达 deliver.",
    ),
    Column("limit", "办理时限", "Limit", ("时限", "环节时限"), "如：1个工作日。", "E.g. 1个工作日."),
    Column("role", "承办岗位", "Responsible post", ("岗位", "责任岗位"), "", ""),
    Column(
        "mandatory",
        "是否必经",
        "Mandatory",
        ("必经环节", "必经"),
        "是/否，默认为“是”。",
        "Yes/no; yes when blank.",
    ),
)

# A sheet holds items when its header row names these; steps when it names those.
ITEM_SHEET_REQUIRED = ("code", "name")
STEP_SHEET_REQUIRED = ("item_code", "name")
# The item sheet's "name" header (权力名称) must not make a steps sheet, nor 环节名称 an items sheet.
STEP_SHEET_MARKERS = frozenset({"seq", "name"})
HEADER_SEARCH_ROWS = 10

_PARENTHESES = re.compile(r"[（(][^）)]*[）)]")
_NOISE = re.compile(r"[\s*＊:：]+")


def header_key(text: object) -> str:
    """The comparable form of a header cell."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text))
    folded = _PARENTHESES.sub("", folded)
    return _NOISE.sub("", folded).lower()


def _index(columns: tuple[Column, ...]) -> dict[str, str]:
    index: dict[str, str] = {}
    for column in columns:
        for key in column.header_keys():
            index.setdefault(key, column.field)
    return index


ITEM_HEADERS = _index(ITEM_COLUMNS)
STEP_HEADERS = _index(STEP_COLUMNS)


def match_headers(cells: list[object], index: dict[str, str]) -> dict[str, int]:
    """Field → 0-based column of a candidate header row (the first column wins for a repeated field)."""
    found: dict[str, int] = {}
    for position, cell in enumerate(cells):
        field = index.get(header_key(cell))
        if field is not None and field not in found:
            found[field] = position
    return found
