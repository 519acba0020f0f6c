"""Masking personal data in citizens' comments: what is found, what it becomes, what is left alone."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.ratings.masking import Masked, mask_personal_data

# Pass the Luhn check, as real card numbers do.
UNIONPAY_19 = "6222021234567890128"
VISA_16 = "4111111111111111"


def masked(text: str, *names: str) -> str:
    return mask_personal_data(text, names).text


def test_the_example_comment_loses_its_phone_id_number_and_the_clerks_name() -> None:
    result = mask_personal_data("办事员张三态度很差，电话13812345678，身份证110101199003074578", ["张三"])
    assert result == Masked(
        "办事员张某态度很差，电话138****5678，身份证1****************8", ("id_card", "name", "phone")
    )


@pytest.mark.parametrize(
    ("written", "becomes"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+86 138 1234 5678", "+86 138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("8619912345678", "86199****5678"),
    ],
)
def test_a_mobile_number_keeps_its_first_three_and_last_four_digits_however_it_is_written(
    written: str, becomes: str
) -> None:
    assert masked(f"有事请打{written}找我") == f"有事请打{becomes}找我"


@pytest.mark.parametrize(
    ("written", "becomes"),
    [
        ("010-12345678", "010-******78"),
        ("01012345678", "010-******78"),
        ("(021)88886666", "021-******66"),
        ("（０２１）８８８８６６６６", "021-******66"),
        ("0755-1234567", "0755-*****67"),
        ("0571 8888 6666", "0571-******66"),
        ("075512345678", "0755-******78"),
    ],
)
def test_a_landline_keeps_only_its_area_code_and_last_two_digits(written: str, becomes: str) -> None:
    assert masked(f"座机{written}，工作日有人") == f"座机{becomes}，工作日有人"


def test_a_landline_without_an_area_code_is_found_only_right_after_the_word_phone() -> None:
    assert masked("联系电话：87654321，谢谢") == "联系电话：******21，谢谢"
    assert masked("Tel 6543210") == "Tel *****10"
    # The same digits elsewhere are an amount, a date, a case number.
    assert masked("罚款87654321元，受理号20260314") == "罚款87654321元，受理号20260314"


@pytest.mark.parametrize(
    ("written", "becomes"),
    [
        ("110101199003074578", "1****************8"),
        ("11010119900307457X", "1****************X"),
        ("44030519851231002x", "4****************X"),
        ("110101 19900307 4578", "1****************8"),
        ("110101900307457", "1*************7"),
    ],
)
def test_a_resident_id_number_keeps_only_its_first_and_last_character(written: str, becomes: str) -> None:
    assert mask_personal_data(f"身份证号{written}。") == Masked(f"身份证号{becomes}。", ("id_card",))


def test_eighteen_digits_without_a_province_and_birth_date_are_not_an_id_number() -> None:
    for number in ("202603141234567890", "991231199003074578", "110101199013074578"):
        assert mask_personal_data(f"编号{number}") == Masked(f"编号{number}", ())


def test_digits_inside_a_longer_run_are_neither_a_phone_nor_an_id_number() -> None:
    for comment in (
        "订单号2026031412345678901234一直查不到",
        "流水号813812345678",
        "件号13812345678901",
        "凭证1101011990030745781",
    ):
        assert mask_personal_data(comment) == Masked(comment, ())


def test_a_bank_card_keeps_its_last_four_digits() -> None:
    assert masked(f"退款请打到{UNIONPAY_19}") == "退款请打到***************0128"
    assert masked("退款请打到6222 0212 3456 7890 128") == "退款请打到***************0128"
    assert mask_personal_data(f"Visa {VISA_16}") == Masked("Visa ************1111", ("bank_card",))


def test_a_long_number_is_a_bank_card_only_if_it_looks_like_one_or_a_card_is_mentioned() -> None:
    # Case numbers start with the year; a mistyped card fails the Luhn check.
    assert masked("办件编号2026031412345678") == "办件编号2026031412345678"
    assert masked("号码6222021234567891") == "号码6222021234567891"
    assert masked("银行卡号：6222021234567891") == "银行卡号：************7891"
    assert masked("账户 2026031412345678") == "账户 ************5678"


def test_an_email_address_keeps_its_first_letter_and_its_domain() -> None:
    result = mask_personal_data("回复发到 zhang.san@example.com 或 123456789@qq.com。")
    assert result == Masked("回复发到 z***@example.com 或 1***@qq.com。", ("email",))


def test_a_phone_number_used_as_an_email_address_is_masked_once_as_the_address() -> None:
    assert mask_personal_data("13812345678@139.com") == Masked("1***@139.com", ("email",))


def test_a_plate_keeps_its_province_and_city_letters() -> None:
    result = mask_personal_data("车牌粤B12345被拖走，京A·D12345也是，粤Z1234港不在")
    assert result == Masked("车牌粤B*****被拖走，京A******也是，粤Z****港不在", ("plate",))


def test_a_card_number_followed_by_a_phone_number_masks_both() -> None:
    assert masked(f"卡{UNIONPAY_19} 138 1234 5678") == "卡***************0128 138****5678"
    assert masked("6222 0212 3456 7890 128 138 1234 5678") == "***************0128 138****5678"


def test_names_given_by_the_caller_become_their_first_character_and_mou() -> None:
    comment = "张三丰和张三都说欧阳娜娜不在，张 三又让我等"
    assert masked(comment, "张三", "张三丰", "欧阳娜娜") == "张某和张某都说欧某不在，张某又让我等"


def test_a_latin_name_becomes_its_initial_and_is_found_in_any_case_but_not_inside_a_word() -> None:
    comment = "John Smith was rude; JOHN  SMITH again. Johnson was kind, Li too."
    assert masked(comment, "John Smith", "Li") == "J. was rude; J. again. Johnson was kind, L. too."


def test_a_name_shorter_than_two_characters_is_ignored() -> None:
    assert mask_personal_data("王府井的窗口", ["王", " ", ""]) == Masked("王府井的窗口", ())


@pytest.mark.parametrize(
    ("written", "becomes"),
    [
        ("王科长", "某科长"),
        ("李主任", "某主任"),
        ("张警官", "某警官"),
        ("刘局长", "某局长"),
        ("陈处长", "某处长"),
        ("赵所长", "某所长"),
        ("孙队长", "某队长"),
        ("周经理", "某经理"),
        ("李副主任", "某副主任"),
        ("欧阳主任", "某主任"),
        ("司马书记", "某书记"),
        ("王先生", "某先生"),
    ],
)
def test_a_surname_followed_by_a_title_is_masked_without_being_given(written: str, becomes: str) -> None:
    assert mask_personal_data(f"窗口的{written}让我回去等") == Masked(f"窗口的{becomes}让我回去等", ("name",))


@pytest.mark.parametrize(
    "comment",
    [
        "王府井的大厅很干净",
        "办事高效，周末也能办",
        "语文老师陪我来的",
        "对方经理不同意",
        "感谢主任的耐心解答",
        "上周科长说材料齐了",
        "等了十分钟科长才来",
        "工程处长期不在岗",
        "我向工作人员咨询了三次",
        "李四说明天再来",
    ],
)
def test_ordinary_words_that_start_or_end_with_a_surname_stay(comment: str) -> None:
    assert mask_personal_data(comment) == Masked(comment, ())


def test_full_width_digits_are_found_and_the_rest_is_kept_as_written() -> None:
    result = mask_personal_data("电话：１３８１２３４５６７８，身份证１１０１０１１９９００３０７４５７８！")
    assert result == Masked("电话：138****5678，身份证1****************8！", ("id_card", "phone"))


def test_a_comment_without_personal_data_is_returned_as_it_is() -> None:
    comment = "材料一次性告知，３天就办好了！"
    assert mask_personal_data(comment, ["张三"]) == Masked(comment, ())


def test_the_kinds_are_sorted_and_each_named_once() -> None:
    comment = "王科长给了13812345678，李主任给了13912345678和a@b.cn，车牌沪A12345"
    assert mask_personal_data(comment).kinds == ("email", "name", "phone", "plate")


RICH_COMMENT = (
    "张三丰的材料被退回三次，电话+86 138-1234-5678没人接，座机(010)12345678也不通；"
    "王科长让我把身份证11010119900307457X和卡号6222 0212 3456 7890 128发到zhangsf@163.com，"
    "车停在粤B12345旁边。John Smith 说周末不办。"
)


def test_masking_a_masked_comment_changes_nothing() -> None:
    once = mask_personal_data(RICH_COMMENT, ["张三丰", "John Smith"])
    assert once.kinds == ("bank_card", "email", "id_card", "name", "phone", "plate")
    assert mask_personal_data(once.text, ["张三丰", "John Smith"]) == Masked(once.text, ())


_PIECES = st.sampled_from(
    [
        "1", "3", "8", "0", "X", " ", "-", "+86", "@", "a", "Z", ".", "com", "：", "电话", "卡",
        "王", "李", "方", "对", "欧阳", "张三", "科长", "副", "主任", "某", "粤B", "１", "，",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_masking_is_idempotent_for_any_mix_of_digits_separators_surnames_and_titles(comment: str) -> None:
    once = mask_personal_data(comment, ["张三"])
    assert mask_personal_data(once.text, ["张三"]) == Masked(once.text, ())


def test_a_comment_of_500_characters_is_masked_in_well_under_a_millisecond() -> None:
    comment = (RICH_COMMENT * 3)[:500]
    names = ["张三丰", "John Smith", "李四"]
    mask_personal_data(comment, names)
    runs = 200
    started = time.perf_counter()
    for _ in range(runs):
        mask_personal_data(comment, names)
    # Generous against a loaded machine; what it guards against is a regex that backtracks.
    assert (time.perf_counter() - started) / runs < 0.005
