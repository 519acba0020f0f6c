"""Deadline arithmetic, exactly as the rules say. These dates decide who gets a red card.

D is the date, in TRACKER_TIMEZONE, of the event that starts the clock.
- N working days end on the N-th working day after D; D itself never counts.
- N days end on D + N, moved to the next working day when that is not one.
- N months end on the same day number N months later (the month's last day when it has
  no such day), moved forward like days.
- N hours end N hours after the event's timestamp.
- immediate ends at the end of D.
A deadline date ends at 23:59:59.999999 of that date; a case is late only after that instant.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from powerlists.limits import Limit, Unit
from tracker.calendar import WorkCalendar

END_OF_DAY = time(23, 59, 59, 999999)
# A limit past this many days is a data error, not a deadline; stop instead of looping for ever.
MAX_SPAN_DAYS = 20 * 366


@dataclass(frozen=True)
class Skipped:
    date: date
    why: str  # "weekend" or "holiday"


@dataclass(frozen=True)
class Due:
    start: datetime
    due_at: datetime  # the instant after which the case is late (aware, in the calendar's zone)
    due_date: date | None  # None for hour limits, which end at an instant, not on a date
    provisional: bool  # a day on the way lies in a year no calendar source covers
    skipped: tuple[Skipped, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "due": self.due_date.isoformat() if self.due_date else self.due_at.isoformat(),
            "due_at": self.due_at.isoformat(),
            "provisional": self.provisional,
            "skipped": [{"date": s.date.isoformat(), "why": s.why} for s in self.skipped],
        }


def end_of_day(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, END_OF_DAY, tzinfo=tz)


class _Walk:
    """Days visited on the way to a deadline: what was skipped and whether every day was known."""

    def __init__(self, cal: WorkCalendar) -> None:
        self.cal = cal
        self.skipped: list[Skipped] = []
        self.provisional = False

    def working(self, d: date) -> bool:
        info = self.cal.day(d)
        self.provisional = self.provisional or not info.covered
        if not info.working:
            self.skipped.append(Skipped(d, info.why or "holiday"))
        return info.working

    def ended(self, end: date) -> Walked:
        return Walked(end, self.provisional, tuple(self.skipped))


@dataclass(frozen=True)
class Walked:
    """Where a walk over the calendar ended, the days it skipped and whether it crossed unknown days."""

    end: date
    provisional: bool
    skipped: tuple[Skipped, ...]


# Bounds the memo a long-lived calendar keeps (each entry is a few hundred bytes at most).
MEMO_LIMIT = 100_000


def _remembered(cal: WorkCalendar, key: tuple[object, ...], walk: Callable[[], Walked]) -> Walked:
    hit: Walked | None = cal.memo.get(key)
    if hit is None:
        if len(cal.memo) >= MEMO_LIMIT:
            cal.memo.clear()
        hit = cal.memo[key] = walk()
    return hit


def _walk_working_days(cal: WorkCalendar, start: date, n: int) -> Walked:
    walk = _Walk(cal)
    d, counted = start, 0
    for _ in range(MAX_SPAN_DAYS):
        if counted >= n:
            return walk.ended(d)
        d += timedelta(days=1)
        if walk.working(d):
            counted += 1
    raise ValueError(f"{n} working days from {start.isoformat()} is beyond any real deadline")


def _walk_to_working_day(cal: WorkCalendar, d: date) -> Walked:
    walk = _Walk(cal)
    for _ in range(MAX_SPAN_DAYS):
        if walk.working(d):
            return walk.ended(d)
        d += timedelta(days=1)
    raise ValueError(f"no working day within {MAX_SPAN_DAYS} days of {d.isoformat()}")


def add_working_days(cal: WorkCalendar, start: date, n: int) -> tuple[date, Walked]:
    """The n-th working day after ``start`` (``start`` never counts); n = 0 gives ``start``."""
    walked = _remembered(cal, ("workdays", start, n), lambda: _walk_working_days(cal, start, n))
    return walked.end, walked


def forward_to_working_day(cal: WorkCalendar, d: date) -> Walked:
    """``d`` when it is a working day, else the next one."""
    return _remembered(cal, ("forward", d), lambda: _walk_to_working_day(cal, d))


def working_day_before(cal: WorkCalendar, d: date, n: int) -> date:
    """The n-th working day before ``d`` (``d`` never counts); n = 0 gives ``d``."""
    counted = 0
    for _ in range(MAX_SPAN_DAYS):
        if counted >= n:
            return d
        d -= timedelta(days=1)
        if cal.is_working_day(d):
            counted += 1
    raise ValueError(f"{n} working days before {d.isoformat()} is beyond any real deadline")


def add_months(start: date, n: int) -> date:
    month_index = start.month - 1 + n
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, stdlib_calendar.monthrange(year, month)[1]))


def due(start: datetime, limit: Limit, cal: WorkCalendar, tz: ZoneInfo) -> Due:
    """When a clock started at ``start`` under ``limit`` runs out."""
    if start.tzinfo is None:
        raise ValueError("the start of a clock must be an aware datetime")
    local_start = start.astimezone(tz)
    d = local_start.date()
    if limit.unit == Unit.hour:
        return Due(local_start, local_start + timedelta(hours=limit.value), None, False)
    if limit.unit == Unit.immediate:
        return Due(local_start, end_of_day(d, tz), d, not cal.day(d).covered)
    if limit.unit == Unit.workday:
        _end, walked = add_working_days(cal, d, limit.value)
    else:
        target = d + timedelta(days=limit.value) if limit.unit == Unit.day else add_months(d, limit.value)
        walked = forward_to_working_day(cal, target)
    return Due(local_start, end_of_day(walked.end, tz), walked.end, walked.provisional, walked.skipped)


def working_days_between(cal: WorkCalendar, after: date, through: date) -> int:
    """Working days in (after, through]: how far a lawful suspension moves a deadline."""
    count, d = 0, after
    while d < through:
        d += timedelta(days=1)
        if cal.is_working_day(d):
            count += 1
    return count
