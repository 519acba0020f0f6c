"""Masking personal data in citizens' comments before they are published.

Ratings (好差评) and complaints are shown to the public; the people who wrote them, and the
officials they write about, must not be identifiable there. ``mask_personal_data`` finds and
replaces, keeping only a hint of each datum's shape:

============  ==========================================  =================================
kind          what is found                                becomes
============  ==========================================  =================================
phone         mobile numbers 1[3-9]x (11 digits, spaced    ``138****5678`` (first 3, last 4:
              or hyphenated, +86/86 in front)              the usual receipt form)
phone         landlines with an area code (010-12345678,   ``010-******78`` (area, last 2)
              (0755)1234567), and 7-8 digit numbers right
              after 电话/座机/固话/联系方式/tel
id_card       18-digit resident ID numbers (last may be    ``1****************X`` (first and
              X) and 15-digit old ones, with a valid        last character only: the region
              province code and birth date                 and birthday would narrow it down)
bank_card     16-19 digits starting 3-6 that pass the      ``***************0123`` (last 4)
              Luhn check, or any such run right after
              卡/账/帐 (a card number typed wrongly is
              still somebody's)
email         e-mail addresses                             ``z***@example.com``
plate         vehicle plates (粤B12345, 京A·D12345)         ``粤B*****``
name          the names the caller gives (≥ 2 characters)  ``张某`` (first character + 某),
                                                           ``J.`` for Latin names
name          a common surname directly followed by an     ``某科长``
              official's title (王科长, 李副主任, 张警官)
============  ==========================================  =================================

Digits count only as a whole run: a number inside a longer run of digits (an order number
such as 2026031412345678901234) is neither a phone nor an ID. Detection reads the text with
full-width and other compatibility forms folded (NFKC, one character at a time so positions
stay put): ``１３８１２３４５６７８`` is a phone. What is not masked is returned exactly as
written, full-width punctuation included; what is masked is written in ASCII.

A masked text contains nothing that is found again, so masking is idempotent. A surname
followed by a title is left alone where the surname character ends an ordinary word (语文老师,
对方经理, 感谢主任, 工程处长): see ``_WORDS_ENDING_IN_A_SURNAME``. Generic words that are not
titles of a named person (工作人员, 窗口) are not in ``TITLES``: "我向工作人员咨询" would lose
its preposition. Nicknames (小王, 老李), addresses and chat ids (QQ, 微信) are not detected.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

# About the 120 most common single-character surnames (公安部 户籍 statistics).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁"
    "任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付傅方邹熊白孟秦邱侯江尹薛闫阎段雷龙黎史陶贺毛郝顾龚邵万覃武钱"
    "戴严欧莫孔向常汤康易乔赖文施洪辛柯庄樊牛齐葛邢温聂倪颜鲁毕"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "长孙",
    "宇文",
    "司徒",
    "司空",
    "夏侯",
    "轩辕",
    "端木",
    "独孤",
    "南宫",
    "呼延",
    "澹台",
    "公冶",
    "太史",
    "申屠",
    "万俟",
    "闻人",
    "拓跋",
    "赫连",
    "钟离",
    "宗政",
    "濮阳",
    "淳于",
    "单于",
    "东郭",
)
# How comments refer to an official (or a citizen) by surname; each may be preceded by 副.
TITLES = (
    "科长",
    "主任",
    "局长",
    "处长",
    "所长",
    "队长",
    "股长",
    "站长",
    "院长",
    "部长",
    "厅长",
    "县长",
    "区长",
    "市长",
    "镇长",
    "乡长",
    "村长",
    "校长",
    "行长",
    "馆长",
    "书记",
    "经理",
    "主管",
    "组长",
    "专员",
    "干事",
    "秘书",
    "会计",
    "警官",
    "民警",
    "辅警",
    "协警",
    "法官",
    "检察官",
    "律师",
    "医生",
    "护士",
    "老师",
    "师傅",
    "同志",
    "先生",
    "女士",
)
# Characters before a surname character that make the two an ordinary word, so that the title
# after them names nobody: 语文|老师, 对方|经理, 感谢|主任, 上周|科长说, 十分钟|科长才来.
_WORDS_ENDING_IN_A_SURNAME = {
    "方": "对双警官甲乙各地校院厂资买卖军药一",
    "文": "语中英日法德公发条",
    "史": "历",
    "于": "关由对至在等属用终过",
    "向": "一方面转走导意志动倾风",
    "常": "非经正日异平通反",
    "白": "明空坦表",
    "金": "现资押基租奖罚黄",
    "万": "千一",
    "高": "提最",
    "余": "其多业",
    "林": "园森树",
    "田": "农油",
    "程": "工过流规课进日章",
    "任": "主责担信",
    "何": "任如为几",
    "周": "上下本每一两几四",
    "谢": "感多致答鸣",
    "贺": "祝庆道",
    "许": "允也或少几特",
    "曾": "未不何",
    "钟": "分点时闹",
    "范": "规示模典防",
    "付": "支应交预对",
    "段": "阶路时手地",
    "顾": "照回光",
    "梁": "桥",
    "易": "贸容交简轻",
    "洪": "防山",
    "辛": "艰",
    "赖": "依信",
    "施": "实设措",
    "康": "健",
    "温": "体气水室高低常",
}

# The first two digits of an ID number: a province (71 Taiwan, 81 Hong Kong, 82 Macao, 83 the
# residence permits of Taiwan residents).
_PROVINCE = re.compile(r"1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3]")
_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# A separator a person may type inside a number: one space or hyphen (after folding). At a
# number's edges "*" counts as a digit: it is what a masked digit became, so that a second pass
# sees the same edges as the first.
_SEP = r"[ \-]"
# The patterns of numbers start with a lookahead for the characters they can start with: re then
# skips the rest of a comment quickly instead of trying the lookbehind at every character.

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])(?P<local>[A-Za-z0-9._%+\-]+)@(?P<domain>[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})"
)
_ID_CARD = re.compile(
    rf"(?=\d)(?<![\d*])(?:\d{{6}}{_SEP}?\d{{8}}{_SEP}?\d{{3}}[\dXx]|\d{{6}}{_SEP}?\d{{6}}{_SEP}?\d{{3}})(?![\dXx*])"
)
_MOBILE = re.compile(
    rf"(?=[+\d])(?<![\d*])(?P<prefix>\+?86{_SEP}?)?(?P<number>1[3-9]\d(?:{_SEP}?\d){{8}})(?![\d*])"
)
# Area codes 01x and 02x have three digits and eight-digit numbers; the others have four
# digits and seven- or eight-digit numbers (which some write as 8888-6666).
_LANDLINE = re.compile(
    rf"(?=[(\d])(?<![\d*])(?:\(?(?P<area3>0[12]\d)\)?{_SEP}?(?P<local8>[1-9]\d{{3}}{_SEP}?\d{{4}})"
    rf"|\(?(?P<area4>0[3-9]\d{{2}})\)?{_SEP}?(?P<local>[1-9]\d{{2,3}}{_SEP}?\d{{4}}))(?![\d*])"
)
_LANDLINE_AFTER_WORD = re.compile(
    r"(?=[联电座固Tt])(?P<word>(?:联系电话|电话|座机|固话|联系方式|(?<![A-Za-z])(?i:tel))(?:号码|号)?\s*(?:是|为)?\s*[:]?\s*)"
    r"(?P<local>[1-9]\d{6,7})(?![\d*])"
)
_BANK_CARD = re.compile(
    rf"(?=\d)(?<![\d*])(?:\d{{16,19}}|\d{{4}}(?:{_SEP}\d{{4}}){{3}}(?:{_SEP}\d{{1,3}})?)(?![\d*])"
)
_CARD_WORDS = ("卡", "账", "帐")
_PLATE = re.compile(
    rf"(?P<region>[{_PLATE_PROVINCES}][A-Z])[·•・ ]?"
    r"(?P<serial>[A-Z0-9]{5,6}|[A-Z0-9]{4}[挂学警港澳])(?![A-Za-z0-9*])"
)
_SURNAME_TITLE = re.compile(
    f"(?=[{SURNAMES}{''.join(s[0] for s in COMPOUND_SURNAMES)}])"
    "(?P<surname>"
    + "|".join(COMPOUND_SURNAMES)
    + f"|[{SURNAMES}])(?P<title>副?(?:"
    + "|".join(sorted(TITLES, key=len, reverse=True))
    + "))"
)
_DIGIT = re.compile(r"\d")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"


class _Folding(dict[int, str]):
    """A ``str.translate`` table that folds each character to its one-character NFKC form (and
    dashes to "-"), leaving characters whose NFKC form is longer alone so positions line up."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = "-" if char in _DASHES else unicodedata.normalize("NFKC", char)
        self[code] = folded if len(folded) == 1 else char
        return self[code]


_FOLDING = _Folding()


def _fold(text: str) -> str:
    return text.translate(_FOLDING)


@dataclass(frozen=True)
class Masked:
    text: str  # the comment with each personal datum replaced
    kinds: tuple[str, ...]  # what was masked, sorted and unique: see the module's table


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    replacement: str
    kind: str


class _Hits:
    """The replacements found so far; an earlier (more specific) detector's claim wins."""

    def __init__(self) -> None:
        self.found: list[_Hit] = []  # in order, none overlapping

    def claim(self, start: int, end: int, replacement: str, kind: str) -> bool:
        i = bisect_left(self.found, start, key=_start)
        if (i and self.found[i - 1].end > start) or (i < len(self.found) and self.found[i].start < end):
            return False
        self.found.insert(i, _Hit(start, end, replacement, kind))
        return True


def _start(hit: _Hit) -> int:
    return hit.start


def mask_personal_data(text: str, names: Iterable[str] = ()) -> Masked:
    """``text`` with phones, ID and bank card numbers, e-mail addresses, plates and names masked.

    ``names`` are people the caller knows to be involved (the applicant, the department's
    officials); names shorter than two characters are ignored.
    """
    folded = _fold(text)
    hits = _Hits()
    if "@" in folded:
        _find_emails(folded, hits)
    if _DIGIT.search(folded):
        for detect in _NUMBER_DETECTORS:
            detect(folded, hits)
    pattern = _names_pattern(_clean_names(names))
    if pattern is not None:
        for m in pattern.finditer(folded):
            hits.claim(m.start(), m.end(), _masked_name(m.group()), "name")
    _find_surname_titles(folded, hits)
    if not hits.found:
        return Masked(text, ())
    pieces: list[str] = []
    at = 0
    for hit in hits.found:
        pieces += [text[at : hit.start], hit.replacement]
        at = hit.end
    pieces.append(text[at:])
    return Masked("".join(pieces), tuple(sorted({hit.kind for hit in hits.found})))


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text).upper()


def _find_emails(text: str, hits: _Hits) -> None:
    for m in _EMAIL.finditer(text):
        hits.claim(m.start(), m.end(), f"{m['local'][0]}***@{m['domain']}", "email")


def _find_id_cards(text: str, hits: _Hits) -> None:
    for m in _ID_CARD.finditer(text):
        number = _digits(m.group())
        if _is_id_number(number):
            hits.claim(m.start(), m.end(), number[0] + "*" * (len(number) - 2) + number[-1], "id_card")


def _is_id_number(number: str) -> bool:
    if not _PROVINCE.fullmatch(number[:2]):
        return False
    birth = number[6:14] if len(number) == 18 else "19" + number[6:12]
    try:
        born = date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2099


def _find_mobiles(text: str, hits: _Hits) -> None:
    for m in _MOBILE.finditer(text):
        number = _digits(m["number"])
        prefix = m["prefix"] or ""
        hits.claim(m.start(), m.end(), f"{prefix}{number[:3]}****{number[-4:]}", "phone")


def _find_landlines(text: str, hits: _Hits) -> None:
    for m in _LANDLINE.finditer(text):
        area, local = (m["area3"], m["local8"]) if m["area3"] else (m["area4"], m["local"])
        local = _digits(local)
        hits.claim(m.start(), m.end(), f"{area}-{'*' * (len(local) - 2)}{local[-2:]}", "phone")
    for m in _LANDLINE_AFTER_WORD.finditer(text):
        local = m["local"]
        hits.claim(m.start("local"), m.end(), "*" * (len(local) - 2) + local[-2:], "phone")


def _find_bank_cards(text: str, hits: _Hits) -> None:
    for m in _BANK_CARD.finditer(text):
        start = m.start()
        context = text[max(0, start - 6) : start]  # 银行卡号：, 卡号是, 账户
        after_card_word = any(word in context for word in _CARD_WORDS)
        # A trailing group may belong to the next number ("…7890 138 1234 5678"): drop it and retry.
        ends = [g.end() for g in re.finditer(r"\d+", m.group())]
        while ends:
            end = start + ends.pop()
            number = _digits(text[start:end])
            if len(number) < 16:
                break
            if (after_card_word or (number[0] in "3456" and _luhn(number))) and hits.claim(
                start, end, "*" * (len(number) - 4) + number[-4:], "bank_card"
            ):
                break


def _luhn(number: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(number)):
        digit = int(char) * (2 if i % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def _find_plates(text: str, hits: _Hits) -> None:
    for m in _PLATE.finditer(text):
        serial = m["serial"]
        if sum(char.isdigit() for char in serial) >= 3:
            masked = "*" * len(serial) if serial[-1].isascii() else "*" * (len(serial) - 1) + serial[-1]
            hits.claim(m.start(), m.end(), m["region"] + masked, "plate")


# In order of precedence, after e-mail addresses (which may hold a phone number): an ID number
# that is not one may still be a bank card's; a bank card's last group may start a phone number.
_NUMBER_DETECTORS: tuple[Callable[[str, _Hits], None], ...] = (
    _find_id_cards,
    _find_mobiles,
    _find_landlines,
    _find_bank_cards,
    _find_plates,
)


def _clean_names(names: Iterable[str]) -> tuple[str, ...]:
    cleaned = {" ".join(_fold(name).split()) for name in names}
    # Longest first, so that 张三丰 is masked whole rather than as 张三 followed by 丰.
    return tuple(sorted((n for n in cleaned if len(n.replace(" ", "")) >= 2), key=lambda n: (-len(n), n)))


@lru_cache(maxsize=256)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    if not names:
        return None
    alternatives = []
    for name in names:
        if _CJK.match(name):
            # Written as 张 三 as well as 张三.
            alternatives.append(r"\s?".join(re.escape(char) for char in name.replace(" ", "")))
        else:
            parts = r"\s+".join(re.escape(part) for part in name.split())
            alternatives.append(rf"(?i:(?<![A-Za-z]){parts}(?![A-Za-z]))")
    return re.compile("|".join(alternatives))


def _masked_name(found: str) -> str:
    return found[0] + "某" if _CJK.match(found) else found[0].upper() + "."


def _find_surname_titles(text: str, hits: _Hits) -> None:
    for m in _SURNAME_TITLE.finditer(text):
        before = text[m.start() - 1] if m.start() else ""
        # After 某 the surname may be the tail of a name masked in the first pass.
        if before and (before == "某" or before in _WORDS_ENDING_IN_A_SURNAME.get(m["surname"], "")):
            continue
        hits.claim(m.start(), m.end(), "某" + m["title"], "name")
