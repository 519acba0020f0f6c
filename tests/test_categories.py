"""Categories of power: every name DOMAIN.md lists reads as its slug; anything else is left to the caller."""

from __future__ import annotations

import pytest

from powerlists.categories import CHINESE, ENGLISH, Category, recognise_category

C = Category


def test_the_slugs_are_those_of_the_spec() -> None:
    assert [category.value for category in Category] == [
        "licensing",
        "penalty",
        "coercion",
        "levy",
        "payment",
        "inspection",
        "confirmation",
        "reward",
        "adjudication",
        "other",
        "public_service",
    ]


def test_every_category_has_a_chinese_and_an_english_name() -> None:
    assert set(CHINESE) == set(Category) == set(ENGLISH)
    assert len(set(CHINESE.values())) == len(Category) == len(set(ENGLISH.values()))
    assert CHINESE[C.licensing] == "行政许可"
    assert CHINESE[C.other] == "其他行政权力"
    assert CHINESE[C.public_service] == "公共服务"
    assert ENGLISH[C.licensing] == "Administrative licensing"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("行政许可", C.licensing),
        ("许可", C.licensing),
        ("行政审批", C.licensing),
        ("行政处罚", C.penalty),
        ("处罚", C.penalty),
        ("行政强制", C.coercion),
        ("强制", C.coercion),
        ("行政征收", C.levy),
        ("征收", C.levy),
        ("行政给付", C.payment),
        ("给付", C.payment),
        ("行政检查", C.inspection),
        ("检查", C.inspection),
        ("行政监督", C.inspection),
        ("行政确认", C.confirmation),
        ("确认", C.confirmation),
        ("行政奖励", C.reward),
        ("奖励", C.reward),
        ("行政裁决", C.adjudication),
        ("裁决", C.adjudication),
        ("其他行政权力", C.other),
        ("其他权力", C.other),
        ("其他", C.other),
        ("公共服务", C.public_service),
        ("公共服务事项", C.public_service),
    ],
)
def test_every_name_in_the_domain_table_is_recognised(text: str, expected: Category) -> None:
    assert recognise_category(text) is expected


@pytest.mark.parametrize("category", list(Category))
def test_the_canonical_names_slugs_and_english_names_are_recognised(category: Category) -> None:
    assert recognise_category(CHINESE[category]) is category
    assert recognise_category(category.value) is category
    assert recognise_category(category.value.upper()) is category
    assert recognise_category(ENGLISH[category]) is category
    assert recognise_category(ENGLISH[category].lower()) is category
    assert recognise_category(ENGLISH[category].upper()) is category


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" 行政许可 ", C.licensing),
        ("\n行政处罚\n", C.penalty),
        ("行政\n许可", C.licensing),
        ("行政 强制", C.coercion),
        ("\u3000行政征收\u3000", C.levy),
        ("\t其他行政权力\r\n", C.other),
        ("ＬＩＣＥＮＳＩＮＧ", C.licensing),
        ("ｐｕｂｌｉｃ＿ｓｅｒｖｉｃｅ", C.public_service),
        ("public service", C.public_service),
        ("Public-Service", C.public_service),
        ("  administrative  LICENSING ", C.licensing),
        ("Administrative\npenalty", C.penalty),
    ],
)
def test_spaces_line_breaks_and_full_width_characters_are_tolerated(text: str, expected: Category) -> None:
    assert recognise_category(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        " ",
        "\n",
        "\u3000",
        "行政",
        "行政许可证",
        "审批",
        "监督",
        "服务",
        "行政复议",
        "licence",
        "42",
        42,
        0.5,
    ],
)
def test_blank_or_unknown_text_is_not_a_category(text: object) -> None:
    assert recognise_category(text) is None


def test_a_category_is_its_slug_as_a_string() -> None:
    assert C.public_service == "public_service"
    assert f"{C.licensing}" == "licensing"
    assert Category("reward") is C.reward
