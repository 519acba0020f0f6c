"""Time limits as departments write them: every form of the spec read field by field, every error quoted."""

from __future__ import annotations

import pytest

from powerlists.limits import (
    MAX_VALUE,
    Limit,
    LimitError,
    Unit,
    chinese_number,
    fold,
    parse_combined,
    parse_limit,
    promise_exceeds_statute,
)

WORKDAY, DAY, HOUR, MONTH, IMMEDIATE = Unit.workday, Unit.day, Unit.hour, Unit.month, Unit.immediate
NOTE = "不含听证、检测时间"


def _fields(limit: Limit | None) -> tuple[int, Unit, str] | None:
    return None if limit is None else (limit.value, limit.unit, limit.note)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("零", 0),
        ("〇", 0),
        ("一", 1),
        ("两", 2),
        ("九", 9),
        ("十", 10),
        ("十五", 15),
        ("一十五", 15),
        ("二十", 20),
        ("二十五", 25),
        ("两百", 200),
        ("一百", 100),
        ("一百一十", 110),
        ("一百二十", 120),
        ("一百零五", 105),
        ("一千", 1000),
        ("两千", 2000),
        ("一千零五", 1005),
        ("一千零二十", 1020),
        ("三千五百", 3500),
        ("九千九百九十九", 9999),
    ],
)
def test_chinese_numerals_are_read(text: str, expected: int) -> None:
    assert chinese_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "二三",
        "一〇五",
        "零五",
        "百",
        "一百十",
        "一百五",
        "十十",
        "二十零",
        "一百零",
        "一百零十",
        "五百千",
        "二十a",
        "20",
    ],
)
def test_malformed_or_ambiguous_chinese_numerals_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        chinese_number(text)


def test_folding_makes_full_width_characters_half_width_and_trims() -> None:
    assert fold("\u3000 ２０个工作日（不含听证）\n") == "20个工作日(不含听证)"
    assert fold("法定：２０；承诺，ＡＢＣ") == "法定:20;承诺,ABC"


@pytest.mark.parametrize(
    ("text", "value", "unit", "note"),
    [
        ("20个工作日", 20, WORKDAY, ""),
        ("二十个工作日", 20, WORKDAY, ""),
        ("５个工作日", 5, WORKDAY, ""),
        ("２０个工作日", 20, WORKDAY, ""),
        ("20 个工作日", 20, WORKDAY, ""),
        (" 20个工作日\n", 20, WORKDAY, ""),
        ("20个\n工作日", 20, WORKDAY, ""),
        ("20工作日", 20, WORKDAY, ""),
        ("两个工作日", 2, WORKDAY, ""),
        ("一百二十个工作日", 120, WORKDAY, ""),
        ("自受理之日起15日内", 15, DAY, ""),
        ("自受理之日起20个工作日内作出决定", 20, WORKDAY, ""),
        ("受理后十个工作日内办结", 10, WORKDAY, ""),
        ("15日", 15, DAY, ""),
        ("90日", 90, DAY, ""),
        ("15天", 15, DAY, ""),
        ("30个自然日", 30, DAY, ""),
        ("3个月", 3, MONTH, ""),
        ("三个月", 3, MONTH, ""),
        ("24小时", 24, HOUR, ""),
        ("四十八个小时", 48, HOUR, ""),
        ("即办", 0, IMMEDIATE, ""),
        ("当场办结", 0, IMMEDIATE, ""),
        ("当场办理", 0, IMMEDIATE, ""),
        ("即时办结", 0, IMMEDIATE, ""),
        ("立即", 0, IMMEDIATE, ""),
        ("即来即办", 0, IMMEDIATE, ""),
        ("15个工作日（不含听证、检测时间）", 15, WORKDAY, NOTE),
        ("15个工作日(不含听证、检测时间)", 15, WORKDAY, NOTE),
        ("15个工作日\n（不含听证、检测时间）", 15, WORKDAY, NOTE),
        ("15个工作日（ 不含听证、\n检测时间 ）", 15, WORKDAY, "不含听证、 检测时间"),
        ("20个工作日（不含法定节假日）", 20, WORKDAY, "不含法定节假日"),
        ("20个工作日（可延长10个工作日）", 20, WORKDAY, "可延长10个工作日"),
        ("即办（资料齐全的）", 0, IMMEDIATE, "资料齐全的"),
        ("20个工作日(不含听证)(不含公示)", 20, WORKDAY, "不含听证; 不含公示"),
        ("20个工作日内受理，20个工作日内办结", 20, WORKDAY, ""),
        ("20.0个工作日", 20, WORKDAY, ""),
        (f"{MAX_VALUE}日", MAX_VALUE, DAY, ""),
    ],
)
def test_a_limit_is_read_from_what_departments_write(text: str, value: int, unit: Unit, note: str) -> None:
    limit = parse_limit(text)
    assert limit is not None
    assert limit.value == value
    assert limit.unit is unit
    assert limit.note == note


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        " ",
        "\n\t",
        "\u3000",
        "/",
        "／",
        "—",
        "-",
        "——",
        "－",
        "无",
        "无期限",
        " 无 ",
        "/（无）",
    ],
)
def test_no_limit_is_none(text: object) -> None:
    assert parse_limit(text) is None


@pytest.mark.parametrize(
    ("text", "quoted", "message"),
    [
        ("二十", "二十", "Cannot read"),
        ("20个", "20个", "Cannot read"),
        ("三周", "三周", "Cannot read"),
        ("1年", "1年", "Cannot read"),
        ("按规定办理", "按规定办理", "Cannot read"),
        ("3月", "3月", "Cannot read"),
        ("2024年3月1日前", "2024年3月1日前", "Cannot read"),
        ("15-20个工作日", "15-20个工作日", "Cannot read"),
        ("-5个工作日", "-5个工作日", "Cannot read"),
        ("1.5个工作日", "1.5个工作日", "Cannot read"),
        ("一百五个工作日", "一百五个工作日", "Cannot read"),
        ("15个工作日（不含听证", "15个工作日（不含听证", "Cannot read"),
        ("（不含听证时间）", "（不含听证时间）", "Cannot read"),
        ("20个工作日，10日", "20个工作日，10日", "more than one limit"),
        ("即办或3个工作日", "即办或3个工作日", "more than one limit"),
        ("法定：20个工作日；承诺：10个工作日", "法定：20个工作日；承诺：10个工作日", "more than one limit"),
        ("0个工作日", "0个工作日", "is zero"),
        ("零日", "零日", "is zero"),
        (f"{MAX_VALUE + 1}个工作日", f"{MAX_VALUE + 1}个工作日", "too long"),
        ("20", "20", "has no unit"),
        ("２０", "２０", "has no unit"),
        (20, "20", "has no unit"),
        (20.0, "20", "has no unit"),
        (0, "0", "is zero"),
        (20.5, "20.5", "Cannot read"),
        (-3, "-3", "Cannot read"),
        (True, "True", "Cannot read"),
    ],
)
def test_an_unreadable_limit_is_an_error_that_quotes_the_text(
    text: object, quoted: str, message: str
) -> None:
    with pytest.raises(LimitError) as caught:
        parse_limit(text)
    error = caught.value
    assert error.args_["text"] == quoted
    assert repr(quoted) in str(error)
    assert message in str(error)
    assert str(error) == error.message % error.args_


def test_a_limit_error_carries_an_english_message_id_for_translation() -> None:
    with pytest.raises(LimitError) as caught:
        parse_limit("三周")
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.message.startswith("Cannot read the time limit %(text)r")
    assert error.args_ == {"text": "三周"}
    assert str(error) == (
        "Cannot read the time limit '三周': write e.g. 20个工作日, 90日, 3个月, 24小时 or 即办."
    )


def test_a_bare_number_error_suggests_units() -> None:
    with pytest.raises(LimitError) as caught:
        parse_limit(15)
    assert caught.value.args_ == {"text": "15", "number": "15"}
    assert "15个工作日" in str(caught.value) and "15日" in str(caught.value)


@pytest.mark.parametrize(
    ("limit", "text"),
    [
        (Limit(20, WORKDAY), "20个工作日"),
        (Limit(90, DAY), "90日"),
        (Limit(3, MONTH), "3个月"),
        (Limit(24, HOUR), "24小时"),
        (Limit(0, IMMEDIATE), "即办"),
        (Limit(15, WORKDAY, NOTE), "15个工作日（不含听证、检测时间）"),
        (Limit(0, IMMEDIATE, "资料齐全的"), "即办（资料齐全的）"),
        (Limit(1, HOUR, "a; b"), "1小时（a; b）"),
    ],
)
def test_the_canonical_text_reads_back_to_an_equal_limit(limit: Limit, text: str) -> None:
    assert limit.text() == text
    assert parse_limit(limit.text()) == limit


@pytest.mark.parametrize(
    "text",
    [
        "二十个工作日",
        "５个工作日",
        "自受理之日起15日内",
        "15天",
        "三个月",
        "四十八个小时",
        "当场办结",
        "15个工作日(不含听证、检测时间)",
        "20个工作日(不含听证)(不含公示)",
        "即办（资料齐全，当场）",
    ],
)
def test_what_was_read_reads_back_the_same_from_its_canonical_text(text: str) -> None:
    limit = parse_limit(text)
    assert limit is not None
    assert parse_limit(limit.text()) == limit


def test_a_limit_exports_its_value_and_unit() -> None:
    assert Limit(20, WORKDAY, NOTE).as_dict() == {"value": 20, "unit": "workday"}
    assert Limit(0, IMMEDIATE).as_dict() == {"value": 0, "unit": "immediate"}
    assert type(Limit(3, MONTH).as_dict()["unit"]) is str


def test_an_immediate_limit_is_always_zero_and_others_at_least_one() -> None:
    with pytest.raises(ValueError):
        Limit(1, IMMEDIATE)
    with pytest.raises(ValueError):
        Limit(0, WORKDAY)
    with pytest.raises(ValueError):
        Limit(-1, DAY)


def test_units_are_the_slugs_of_the_spec() -> None:
    assert [unit.value for unit in Unit] == ["workday", "day", "hour", "month", "immediate"]


@pytest.mark.parametrize(
    ("text", "statutory", "promised"),
    [
        ("法定：20个工作日；承诺：10个工作日", (20, WORKDAY, ""), (10, WORKDAY, "")),
        ("法定:20个工作日;承诺:10个工作日", (20, WORKDAY, ""), (10, WORKDAY, "")),
        ("法定20个工作日，承诺7个工作日", (20, WORKDAY, ""), (7, WORKDAY, "")),
        ("法定20个工作日,承诺7个工作日", (20, WORKDAY, ""), (7, WORKDAY, "")),
        ("法定期限：20个工作日 承诺期限：5个工作日", (20, WORKDAY, ""), (5, WORKDAY, "")),
        ("法定时限：二十个工作日\n承诺时限：５个工作日", (20, WORKDAY, ""), (5, WORKDAY, "")),
        ("法定办结时限：20个工作日、承诺办结时限：即办", (20, WORKDAY, ""), (0, IMMEDIATE, "")),
        ("承诺：10个工作日；法定：20个工作日", (20, WORKDAY, ""), (10, WORKDAY, "")),
        ("承诺：即办", None, (0, IMMEDIATE, "")),
        ("法定：90日", (90, DAY, ""), None),
        ("法定：无；承诺：3个工作日", None, (3, WORKDAY, "")),
        ("法定：；承诺：3个工作日", None, (3, WORKDAY, "")),
        (
            "法定：20个工作日（不含法定节假日）；承诺：10个工作日（不含听证、检测时间）",
            (20, WORKDAY, "不含法定节假日"),
            (10, WORKDAY, NOTE),
        ),
        ("办理时限：法定20个工作日，承诺10个工作日。", (20, WORKDAY, ""), (10, WORKDAY, "")),
        ("20个工作日", (20, WORKDAY, ""), None),
        ("20个工作日，不含法定节假日", (20, WORKDAY, ""), None),
        ("即办", (0, IMMEDIATE, ""), None),
    ],
)
def test_one_cell_gives_the_statutory_and_the_promised_limit(
    text: str,
    statutory: tuple[int, Unit, str] | None,
    promised: tuple[int, Unit, str] | None,
) -> None:
    got_statutory, got_promised = parse_combined(text)
    assert _fields(got_statutory) == statutory
    assert _fields(got_promised) == promised


@pytest.mark.parametrize("text", [None, "", "  ", "/", "—", "无"])
def test_a_combined_cell_with_no_limit_gives_neither(text: object) -> None:
    assert parse_combined(text) == (None, None)


@pytest.mark.parametrize(
    ("text", "quoted", "message"),
    [
        ("法定：20个工作日；法定：10日", "法定：20个工作日；法定：10日", "twice"),
        ("承诺：5日，承诺：3日", "承诺：5日，承诺：3日", "twice"),
        ("法定：三周；承诺：10个工作日", "法定：三周；承诺：10个工作日", "Cannot read"),
        ("法定：20个工作日 10日；承诺：5日", "法定：20个工作日 10日；承诺：5日", "write only one"),
        ("20个工作日 10个工作日", "20个工作日 10个工作日", "label them"),
        ("5日 法定：20个工作日", "5日 法定：20个工作日", "label them"),
        ("法定：0日", "法定：0日", "is zero"),
        (20, "20", "has no unit"),
        ("按规定", "按规定", "Cannot read"),
    ],
)
def test_an_unreadable_combined_cell_is_an_error_that_quotes_the_whole_cell(
    text: object, quoted: str, message: str
) -> None:
    with pytest.raises(LimitError) as caught:
        parse_combined(text)
    assert caught.value.args_["text"] == quoted
    assert repr(quoted) in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("statutory", "promised", "exceeds"),
    [
        (Limit(20, WORKDAY), Limit(30, WORKDAY), True),
        (Limit(20, WORKDAY), Limit(20, WORKDAY), False),
        (Limit(20, WORKDAY), Limit(10, WORKDAY), False),
        (Limit(20, WORKDAY, "a note"), Limit(21, WORKDAY), True),
        (Limit(2, MONTH), Limit(3, MONTH), True),
        (Limit(24, HOUR), Limit(48, HOUR), True),
        (Limit(90, DAY), Limit(91, DAY), True),
        (Limit(0, IMMEDIATE), Limit(1, WORKDAY), True),
        (Limit(0, IMMEDIATE), Limit(1, HOUR), True),
        (Limit(0, IMMEDIATE), Limit(0, IMMEDIATE), False),
        (Limit(20, WORKDAY), Limit(0, IMMEDIATE), False),
        (Limit(10, WORKDAY), Limit(30, DAY), False),  # not comparable without a calendar
        (Limit(30, DAY), Limit(10, WORKDAY), False),
        (Limit(1, DAY), Limit(48, HOUR), False),
        (Limit(1, WORKDAY), Limit(48, HOUR), False),
        (Limit(1, MONTH), Limit(40, DAY), False),
        (None, Limit(10, WORKDAY), False),
        (Limit(10, WORKDAY), None, False),
        (None, None, False),
    ],
)
def test_a_promise_exceeds_the_statute_only_in_comparable_units(
    statutory: Limit | None, promised: Limit | None, exceeds: bool
) -> None:
    assert promise_exceeds_statute(statutory, promised) is exceeds


def test_a_combined_cell_feeds_the_promise_check() -> None:
    assert promise_exceeds_statute(*parse_combined("法定：10个工作日；承诺：15个工作日"))
    assert not promise_exceeds_statute(*parse_combined("法定：20个工作日；承诺：即办"))
