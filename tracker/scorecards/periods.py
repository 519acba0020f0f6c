"""Periods of a scorecard: a month (2026-03), a quarter (2026-Q1), a year (2026), the last 12 months."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from powerlists.messages import N_

ROLLING = "R12"
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


class BadPeriod(ValueError):
    def __init__(self, value: str) -> None:
        self.message = N_(
            "“%(value)s” is not a period: write 2026-03 (a month), 2026-Q1 (a quarter), 2026 or R12."
        )
        self.value = value
        super().__init__(self.message % {"value": value})


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def shift_month(key: str, n: int) -> str:
    year, month = int(key[:4]), int(key[5:7])
    index = year * 12 + month - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_bounds(key: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, local midnight in ``tz``."""
    start = date(int(key[:4]), int(key[5:7]), 1)
    nxt = shift_month(key, 1)
    end = date(int(nxt[:4]), int(nxt[5:7]), 1)
    return datetime.combine(start, time(), tz), datetime.combine(end, time(), tz)


@dataclass(frozen=True)
class Period:
    key: str  # as written in addresses and the scorecard table
    kind: str  # month, quarter, year, rolling
    months: tuple[str, ...]

    @property
    def quarterly(self) -> bool:
        return self.kind == "quarter"


def parse_period(value: str, today: date) -> Period:
    """``value`` as a Period; R12 is the twelve months ending with ``today``'s."""
    value = value.strip()
    if value.upper() == ROLLING:
        last = month_key(today)
        return Period(ROLLING, "rolling", tuple(shift_month(last, -i) for i in range(11, -1, -1)))
    if m := _MONTH.match(value):
        return Period(value, "month", (value,))
    if m := _QUARTER.match(value):
        year, q = m.group(1), int(m.group(2))
        return Period(value, "quarter", tuple(f"{year}-{3 * (q - 1) + i:02d}" for i in (1, 2, 3)))
    if m := _YEAR.match(value):
        return Period(value, "year", tuple(f"{value}-{i:02d}" for i in range(1, 13)))
    raise BadPeriod(value)


def periods_of(month: str) -> list[str]:
    """The month's own period keys: itself, its quarter and its year."""
    quarter = (int(month[5:7]) - 1) // 3 + 1
    return [month, f"{month[:4]}-Q{quarter}", month[:4]]
