"""The categories of power (权力类型) and every way departments write them.

Lists from different provinces and years name the same category differently:
the canonical name (行政许可), a short form (许可) or the name older lists used
before the 2015 reform (行政审批 for licensing, 行政监督 for inspection). All of
them read as one slug, so statistics and filters do not split one category in two.
"""

from __future__ import annotations

import enum
import re
import unicodedata


class Category(enum.StrEnum):
    licensing = "licensing"
    penalty = "penalty"
    coercion = "coercion"
    levy = "levy"
    payment = "payment"
    inspection = "inspection"
    confirmation = "confirmation"
    reward = "reward"
    adjudication = "adjudication"
    other = "other"
    public_service = "public_service"


CHINESE: dict[Category, str] = {
    Category.licensing: "行政许可",
    Category.penalty: "行政处罚",
    Category.coercion: "行政强制",
    Category.levy: "行政征收",
    Category.payment: "行政给付",
    Category.inspection: "行政检查",
    Category.confirmation: "行政确认",
    Category.reward: "行政奖励",
    Category.adjudication: "行政裁决",
    Category.other: "其他行政权力",
    Category.public_service: "公共服务",
}

ENGLISH: dict[Category, str] = {
    Category.licensing: "Administrative licensing",
    Category.penalty: "Administrative penalty",
    Category.coercion: "Administrative coercion",
    Category.levy: "Administrative levy",
    Category.payment: "Administrative payment",
    Category.inspection: "Administrative inspection",
    Category.confirmation: "Administrative confirmation",
    Category.reward: "Administrative reward",
    Category.adjudication: "Administrative adjudication",
    Category.other: "Other administrative power",
    Category.public_service: "Public service",
}

# The short and older forms of DOMAIN.md; the canonical names, slugs and English names are added below.
_ALSO_WRITTEN: dict[Category, tuple[str, ...]] = {
    Category.licensing: ("许可", "行政审批"),
    Category.penalty: ("处罚",),
    Category.coercion: ("强制",),
    Category.levy: ("征收",),
    Category.payment: ("给付",),
    Category.inspection: ("检查", "行政监督"),
    Category.confirmation: ("确认",),
    Category.reward: ("奖励",),
    Category.adjudication: ("裁决",),
    Category.other: ("其他权力", "其他"),
    Category.public_service: ("公共服务事项",),
}

# Spaces and line breaks fall anywhere in a hand-typed cell ("行政\n许可"), and the
# slug may come as "public_service", "public-service" or "Public service": none of
# these characters tells categories apart, so they are all dropped before comparing.
_NOISE = re.compile(r"[\s_\-]+")


def _key(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def _index() -> dict[str, Category]:
    index: dict[str, Category] = {}
    for category in Category:
        names = (category.value, CHINESE[category], ENGLISH[category], *_ALSO_WRITTEN[category])
        for name in names:
            key = _key(name)
            assert index.setdefault(key, category) is category, f"{name!r} names two categories"
    return index


_INDEX = _index()


def recognise_category(text: object) -> Category | None:
    """The category a cell names, or None for a blank or unknown one (the caller reports it, quoted)."""
    if text is None:
        return None
    return _INDEX.get(_key(str(text)))
