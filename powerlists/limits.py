"""Time limits (办理时限) as departments write them, read into a value and a unit.

A limit keeps its unit instead of being converted to days: the Administrative
Licensing Law counts working days (Art. 82), other laws count natural days,
months or hours, and only the holiday calendar can turn one into another for a
given case. A cell that cannot be read is an error that quotes it: guessing a
unit would put a wrong deadline in front of the supervisors.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from typing import TypedDict

from powerlists.messages import N_


class Unit(enum.StrEnum):
    workday = "workday"  # 工作日: statutory holidays excluded, make-up working days included
    day = "day"  # 日/天: natural days
    hour = "hour"
    month = "month"
    immediate = "immediate"  # 即办: decided on the spot; always value 0


class LimitDict(TypedDict):
    value: int
    unit: str


# A typo ("200000个工作日") must be a clear error, not a number the database cannot hold.
MAX_VALUE = 9999

_TEXT_FORMS: dict[Unit, str] = {
    Unit.workday: "{}个工作日",
    Unit.day: "{}日",
    Unit.hour: "{}小时",
    Unit.month: "{}个月",
    Unit.immediate: "即办",
}


@dataclass(frozen=True)
class Limit:
    value: int
    unit: Unit
    note: str = ""  # what the department wrote in parentheses, e.g. 不含听证、检测时间

    def __post_init__(self) -> None:
        if self.unit is Unit.immediate and self.value != 0:
            raise ValueError(f"an immediate limit has the value 0, not {self.value}")
        if self.unit is not Unit.immediate and self.value < 1:
            raise ValueError(f"a limit in {self.unit} must be at least 1, not {self.value}")

    def as_dict(self) -> LimitDict:
        """The export form; the note is left out, as the export format has no place for it."""
        return {"value": self.value, "unit": self.unit.value}

    def text(self) -> str:
        """The canonical Chinese form; ``parse_limit`` reads it back to an equal Limit."""
        body = _TEXT_FORMS[self.unit].format(self.value)
        return f"{body}（{self.note}）" if self.note else body


class LimitError(ValueError):
    """A limit that cannot be read. ``message`` is an English message id; translate it, then ``% args_``."""

    def __init__(self, message: str, args: dict[str, object]):
        self.message = message
        self.args_ = args
        super().__init__(message % args)


_UNREADABLE = N_("Cannot read the time limit %(text)r: write e.g. 20个工作日, 90日, 3个月, 24小时 or 即办.")
_NO_UNIT = N_("The time limit %(text)r has no unit: write e.g. %(number)s个工作日 or %(number)s日.")
_ZERO = N_("The time limit %(text)r is zero: write 即办 for a case decided on the spot.")
_TOO_LONG = N_("The time limit %(text)r is too long: at most %(max)d days, working days, hours or months.")
_SEVERAL = N_("The time limit %(text)r holds more than one limit: write only one, e.g. 20个工作日.")
_SEVERAL_UNLABELLED = N_(
    "The time limit %(text)r holds more than one limit: label them, e.g. 法定：20个工作日；承诺：10个工作日."
)
_LABEL_TWICE = N_("The time limit %(text)r gives the statutory (法定) or the promised (承诺) limit twice.")


def fold(text: str) -> str:
    """Full-width digits, letters and punctuation made half-width (NFKC), surrounding space removed."""
    return unicodedata.normalize("NFKC", text).strip()


_DIGITS = {char: value for value, char in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_PLACES = {"十": 10, "百": 100, "千": 1000}


def chinese_number(text: str) -> int:
    """The value of a Chinese numeral written with places (二十五, 一百零五, 两千).

    Abbreviations are refused rather than guessed: 一百五 (150 in speech) must be
    written 一百五十, so that it is never taken for 105 (一百零五).
    """
    if text in ("零", "〇"):
        return 0
    total = 0
    digit: int | None = None
    last_place = 10_000  # larger than any place, so the first one is accepted
    zero = False  # a 零 stands for skipped places and must be followed by a smaller one
    for char in text:
        if char in _DIGITS:
            if digit is not None:
                raise ValueError(f"two digits in a row in {text!r}")
            if _DIGITS[char] == 0:
                if zero or total == 0:
                    raise ValueError(f"misplaced zero in {text!r}")
                zero = True
            else:
                digit = _DIGITS[char]
        elif char in _PLACES:
            place = _PLACES[char]
            if place >= last_place or (zero and place * 10 >= last_place):
                raise ValueError(f"places out of order in {text!r}")
            if digit is None:
                if char != "十" or total != 0:  # only a leading 十 stands for 一十
                    raise ValueError(f"{char!r} without a digit in {text!r}")
                digit = 1
            total += digit * place
            last_place, digit, zero = place, None, False
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    if digit is not None:
        if last_place not in (10, 10_000) and not zero:
            raise ValueError(f"ambiguous units digit in {text!r}")
        total += digit
    elif zero or not text:
        raise ValueError(f"not a complete Chinese numeral: {text!r}")
    return total


_NUMERALS = "零〇一二两三四五六七八九十百千"
_AMOUNT = re.compile(
    rf"(?P<number>\d+(?:\.\d+)?|[{_NUMERALS}]+)个?"
    r"(?P<unit>工作日|自然日|日历日|日|天|月|小时|钟头)"
)
_IMMEDIATE = re.compile(r"即来即办|即办|即时办结|即时办理|即时|当场办结|当场办理|当场|立即办结|立即办理|立即")
_UNIT_WORDS = {
    "工作日": Unit.workday,
    "自然日": Unit.day,
    "日历日": Unit.day,
    "日": Unit.day,
    "天": Unit.day,
    "月": Unit.month,
    "小时": Unit.hour,
    "钟头": Unit.hour,
}
_NOTE = re.compile(r"\(([^()]*)\)")  # after folding, （） are ()
_SPACE = re.compile(r"\s+")
_NO_LIMIT = re.compile(r"[/\\\-—–―─]*|无|无期限|无时限|无法定期限|无承诺期限|不限|不限期")
_BARE_NUMBER = re.compile(r"\d+(?:\.0*)?")
_LABEL = re.compile(
    # 法定节假日 in a wrapping sentence is not a label
    r"(?P<label>法定|承诺)(?!节假日|假日|节日|休息日)(?:办结|办理)?(?:期限|时限)?:?"
)
_SEPARATORS = ":;,.、。 \t\r\n"


def _display(text: object) -> str:
    """The text quoted in errors, as the clerk sees it in the cell (20.0 from a spreadsheet is 20)."""
    if isinstance(text, float) and text.is_integer():
        return str(int(text))
    return str(text).strip()


def _error(message: str, shown: str, **more: object) -> LimitError:
    return LimitError(message, {"text": shown, **more})


def _no_unit(shown: str, folded: str) -> LimitError:
    """The error for a bare number, suggesting the units it may have meant."""
    if not _BARE_NUMBER.fullmatch(folded):
        return _error(_UNREADABLE, shown)  # 20.5, -3: no unit would make it a limit
    number = folded.split(".")[0]
    return _error(_ZERO, shown) if int(number) == 0 else _error(_NO_UNIT, shown, number=number)


def _amount(match: re.Match[str], shown: str) -> Limit:
    if match.string[match.start() - 1 : match.start()] in ("-", "−"):
        raise _error(_UNREADABLE, shown)  # a negative limit, or a range "15-20个工作日"
    number = match["number"]
    if number[0].isdigit():
        whole, _, fraction = number.partition(".")
        if fraction.strip("0"):
            raise _error(_UNREADABLE, shown)  # half a working day has no deadline
        value = int(whole)
    else:
        try:
            value = chinese_number(number)
        except ValueError:
            raise _error(_UNREADABLE, shown) from None
    unit = _UNIT_WORDS[match["unit"]]
    if unit is Unit.month and "个" not in match[0]:
        raise _error(_UNREADABLE, shown)  # 3月 is March as often as three months
    if value == 0:
        raise _error(_ZERO, shown)
    if value > MAX_VALUE:
        raise _error(_TOO_LONG, shown, max=MAX_VALUE)
    return Limit(value, unit)


def _parse_one(folded: str, shown: str) -> Limit | None:
    """One limit from folded text, which may wrap it in a sentence and add notes in parentheses."""
    notes = [_SPACE.sub(" ", note).strip() for note in _NOTE.findall(folded)]
    body = _SPACE.sub("", _NOTE.sub("", folded))
    if _NO_LIMIT.fullmatch(body):
        if any(notes) and not body:
            raise _error(_UNREADABLE, shown)  # a note on no limit at all: something is missing
        return None
    if "(" in body or ")" in body:
        raise _error(_UNREADABLE, shown)  # an unclosed parenthesis: where the note ends is unknown
    if _BARE_NUMBER.fullmatch(body):
        raise _no_unit(shown, body)
    found = [_amount(match, shown) for match in _AMOUNT.finditer(body)]
    rest = _AMOUNT.sub("", body)
    if _IMMEDIATE.search(rest):
        found.append(Limit(0, Unit.immediate))
    if not found or re.search(r"\d", rest):
        # a digit outside any limit ("15-20个工作日", a date) means the sentence was not understood
        raise _error(_UNREADABLE, shown)
    if len(set(found)) > 1:
        raise _error(_SEVERAL, shown)
    limit = found[0]
    note = "; ".join(note for note in notes if note)  # folded like the notes, so text() reads back equal
    return Limit(limit.value, limit.unit, note) if note else limit


def parse_limit(text: object) -> Limit | None:
    """One limit from a cell, or None when the cell says there is none (blank, /, —, 无)."""
    if text is None:
        return None
    shown = _display(text)
    if isinstance(text, int | float) and not isinstance(text, bool):
        # a number typed into a cell: the unit is unknown, and guessing it would misstate the deadline
        raise _no_unit(shown, shown)
    return _parse_one(fold(str(text)), shown)


def _paren_spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _NOTE.finditer(text)]


def parse_combined(text: object) -> tuple[Limit | None, Limit | None]:
    """(statutory, promised) from one 办理时限 cell such as 法定：20个工作日；承诺：10个工作日.

    A cell without 法定/承诺 labels holds one limit, and that is the statutory one.
    """
    if text is None:
        return None, None
    shown = _display(text)
    if isinstance(text, int | float) and not isinstance(text, bool):
        raise _no_unit(shown, shown)
    folded = fold(str(text))
    spans = _paren_spans(folded)
    # 法定 inside a note ("不含法定节假日") is part of the note, not a label
    labels = [
        match
        for match in _LABEL.finditer(folded)
        if not any(start <= match.start() < end for start, end in spans)
    ]
    if not labels:
        try:
            return _parse_one(folded, shown), None
        except LimitError as exc:
            if exc.message == _SEVERAL:
                raise _error(_SEVERAL_UNLABELLED, shown) from None
            raise
    prefix = folded[: labels[0].start()]
    if re.search(r"\d", prefix) or _IMMEDIATE.search(prefix):
        raise _error(_SEVERAL_UNLABELLED, shown)  # a limit before the first label: whose is it?
    limits: dict[str, Limit | None] = {}
    for index, label in enumerate(labels):
        end = labels[index + 1].start() if index + 1 < len(labels) else len(folded)
        name = label["label"]
        if name in limits:
            raise _error(_LABEL_TWICE, shown)
        part = folded[label.end() : end].strip(_SEPARATORS)
        limits[name] = _parse_one(part, shown)  # errors quote the whole cell, as the clerk sees it
    return limits.get("法定"), limits.get("承诺")


def promise_exceeds_statute(statutory: Limit | None, promised: Limit | None) -> bool:
    """Whether the promised limit is longer than the statutory one, when the two can be compared.

    Working days and natural days, or hours and days, compare only on a given
    calendar, so they are not compared here. An immediate limit is zero of any unit.
    """
    if statutory is None or promised is None:
        return False
    if promised.unit is Unit.immediate or statutory.unit is Unit.immediate:
        return promised.value > statutory.value
    return promised.unit is statutory.unit and promised.value > statutory.value
