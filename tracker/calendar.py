"""Mainland China's official working days: which dates count, and whether we really know.

Sources, strongest first:
1. days an admin loaded (the State Council's notice for a year no package has yet, or a
   local day off): they override everything;
2. the ``chinesecalendar`` package's official data (holidays and make-up working days, 调休);
3. for a year no source covers, Monday to Friday, and every answer says it is *not covered*
   so that deadlines computed across it are marked provisional.

Plain values in, plain values out: no database, no web.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import chinese_calendar
from chinese_calendar import constants as official

# The years a date given to the product may fall in (events, calendar days): deadlines are worked
# out from them, years ahead, and at the edges of Python's dates that arithmetic would overflow.
FIRST_YEAR, LAST_YEAR = 1970, 2199


@dataclass(frozen=True)
class DayInfo:
    working: bool
    why: str | None  # for a day off: "weekend" or "holiday"
    covered: bool  # False: no source knows this year; Monday–Friday was assumed


@lru_cache(maxsize=1)
def package_years() -> frozenset[int]:
    """Years for which the package has the official notice (it raises for the others)."""
    first = min(official.holidays).year
    last = max(max(official.holidays).year, max(official.workdays).year)
    return frozenset(range(first, last + 1))


@lru_cache(maxsize=8192)
def _package_day(d: date) -> DayInfo:
    # The package validates every date it is given, which is slow; deadline walks ask for the
    # same few hundred days again and again.
    if chinese_calendar.is_workday(d):
        return DayInfo(True, None, True)
    _is_holiday, name = chinese_calendar.get_holiday_detail(d)
    return DayInfo(False, "holiday" if name else "weekend", True)


def _weekend(d: date) -> bool:
    return d.weekday() >= 5


@dataclass(frozen=True)
class WorkCalendar:
    """The calendar the SLA arithmetic runs on.

    ``overrides``: date → working? for every day an admin loaded (notices and local days off).
    ``loaded_years``: years whose whole notice an admin loaded (covered even past the package).
    """

    overrides: Mapping[date, bool] = field(default_factory=dict)
    loaded_years: frozenset[int] = frozenset()
    # Deadline walks already done on this calendar (see ``sla``): a calendar never changes once
    # built (a change loads a new one), and cases share a few thousand (date, limit) pairs.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def covers(self, year: int) -> bool:
        return year in self.loaded_years or year in package_years()

    def day(self, d: date) -> DayInfo:
        covered = self.covers(d.year)
        if d in self.overrides:
            working = self.overrides[d]
            return DayInfo(working, None if working else ("weekend" if _weekend(d) else "holiday"), True)
        if d.year in package_years() and d.year not in self.loaded_years:
            return _package_day(d)
        return DayInfo(not _weekend(d), "weekend" if _weekend(d) else None, covered)

    def is_working_day(self, d: date) -> bool:
        return self.day(d).working


OFFICIAL = WorkCalendar()
