"""A case's deadlines from its facts: the clock rules of a case and its steps, exactly.

Pure: plain values in, plain values out; no database, no web, no "now". Dates are in ``tz``
(TRACKER_TIMEZONE).

- The case deadlines (promised and statutory) run from acceptance (``sla.due``).
- A lawful suspension (every reason but ``other``) from date S to resume date R moves them later
  by the working days in (S, R] (``sla.working_days_between``). Only suspensions that began at or
  after acceptance count. A date deadline moved by k working days ends on the k-th working day
  after its original date (``sla.add_working_days``), at the end of that day; ``immediate`` is a
  date deadline. An hour deadline is an instant and moves by the suspensions' elapsed duration.
- While a lawful suspension is open, the clock is frozen: the deadlines stay as computed from the
  closed suspensions only, and ``frozen`` tells callers not to flag anyone as late meanwhile. The
  open suspension moves the deadlines once its ``resumed`` arrives and the case is recomputed.
- A suspension with reason ``other`` moves nothing and never freezes.
- Each step's clock starts at its ``step_started``; when that is not reported, at the completion
  of the previous step (by seq); the first step's at acceptance. A step whose previous step is not
  completed and that has not reported its start has no deadline yet. A step is moved, by the same
  rule, by the closed lawful suspensions that began while it was in progress (at or after its
  clock start, and before its completion if it is completed).
- Suspensions that overlap (only bad data can make them) are merged before counting, so that no
  day moves a deadline twice; for suspensions that do not overlap this is the plain sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from powerlists.limits import Limit
from tracker.calendar import WorkCalendar
from tracker.sla import Due, add_working_days, due, end_of_day, working_day_before, working_days_between

UNLAWFUL_REASON = "other"


def lawful(reason: str) -> bool:
    """Whether a suspension for ``reason`` stops the clock: every reason but ``other`` does."""
    return reason != UNLAWFUL_REASON


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{name} must be an aware datetime")


@dataclass(frozen=True)
class Suspension:
    start: datetime  # aware
    end: datetime | None  # None: still suspended
    lawful: bool  # every reason but "other" is lawful; an unlawful suspension does not stop the clock

    def __post_init__(self) -> None:
        _require_aware("a suspension's start", self.start)
        _require_aware("a suspension's end", self.end)


def stored_suspensions(stored: Iterable[Sequence[Any]]) -> list[Suspension]:
    """A case's ``suspensions`` column ([start, end or null, lawful] with ISO times) as Suspensions."""
    return [
        Suspension(datetime.fromisoformat(s), datetime.fromisoformat(e) if e else None, bool(lawful))
        for s, e, lawful in stored
    ]


@dataclass(frozen=True)
class StepFacts:
    seq: int
    limit: Limit | None
    started_at: datetime | None
    completed_at: datetime | None

    def __post_init__(self) -> None:
        _require_aware("a step's start", self.started_at)
        _require_aware("a step's completion", self.completed_at)


@dataclass(frozen=True)
class CaseFacts:
    accepted_at: datetime  # acceptance (or receipt when no acceptance was reported)
    statutory: Limit | None
    promised: Limit | None
    suspensions: tuple[Suspension, ...] = ()
    steps: tuple[StepFacts, ...] = ()  # in seq order

    def __post_init__(self) -> None:
        _require_aware("acceptance", self.accepted_at)


@dataclass(frozen=True)
class Deadlines:
    statutory: Due | None  # None when the item has no statutory limit
    promised: Due | None
    steps: dict[int, Due | None]  # seq → the step's deadline (None: no limit, or its clock has not started)
    frozen: bool  # a lawful suspension is open: the clock is stopped, nobody is late meanwhile
    shift_workdays: int  # working days the case deadlines moved for closed lawful suspensions
    provisional: bool  # any deadline was computed across a year no calendar source covers


@dataclass(frozen=True)
class _Shift:
    """How far a set of closed lawful suspensions moves a deadline."""

    workdays: int  # for date deadlines: working days in the union of their (S, R]
    provisional: bool  # one of those days lies in a year no calendar source covers
    elapsed: timedelta  # for hour deadlines: the union of their [start, end) instants


_T = TypeVar("_T", date, datetime)


def _merge(spans: Iterable[tuple[_T, _T]]) -> list[tuple[_T, _T]]:
    """The union of spans, as disjoint spans in order; empty or reversed spans are dropped."""
    merged: list[tuple[_T, _T]] = []
    for lo, hi in sorted(span for span in spans if span[1] > span[0]):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _shift(suspensions: Iterable[Suspension], cal: WorkCalendar, tz: ZoneInfo) -> _Shift:
    closed = [(s.start, s.end) for s in suspensions if s.lawful and s.end is not None]
    days = _merge((start.astimezone(tz).date(), end.astimezone(tz).date()) for start, end in closed)
    workdays, provisional = 0, False
    for after, through in days:
        workdays += working_days_between(cal, after, through)
        span = (through - after).days
        provisional = provisional or any(
            not cal.day(after + timedelta(days=i)).covered for i in range(1, span + 1)
        )
    instants = _merge((start.astimezone(UTC), end.astimezone(UTC)) for start, end in closed)
    elapsed = sum((hi - lo for lo, hi in instants), timedelta())
    return _Shift(workdays, provisional, elapsed)


def _moved(base: Due, shift: _Shift, cal: WorkCalendar, tz: ZoneInfo) -> Due:
    """``base`` moved later by ``shift``. The moved deadline keeps the start and the days the original
    skipped (``skipped`` explains the deadline before any suspension; ``shift_workdays`` the move)."""
    if base.due_date is None:  # an hour limit: an instant, moved by elapsed time
        if not shift.elapsed:
            return base
        due_at = (base.due_at.astimezone(UTC) + shift.elapsed).astimezone(tz)
        return Due(base.start, due_at, None, base.provisional, base.skipped)
    if not shift.workdays:
        return base
    moved, walk = add_working_days(cal, base.due_date, shift.workdays)
    provisional = base.provisional or shift.provisional or walk.provisional
    return Due(base.start, end_of_day(moved, tz), moved, provisional, base.skipped)


def _deadline(
    start: datetime, limit: Limit | None, shift: _Shift, cal: WorkCalendar, tz: ZoneInfo
) -> Due | None:
    if limit is None:
        return None
    return _moved(due(start, limit, cal, tz), shift, cal, tz)


def _step_clock_starts(facts: CaseFacts) -> list[tuple[StepFacts, datetime | None]]:
    """Each step with the start of its clock (None: it waits for its predecessor)."""
    starts: list[tuple[StepFacts, datetime | None]] = []
    previous: StepFacts | None = None
    for step in sorted(facts.steps, key=lambda s: s.seq):
        if step.started_at is not None:
            start: datetime | None = step.started_at
        elif previous is None:
            start = facts.accepted_at
        else:
            start = previous.completed_at
        starts.append((step, start))
        previous = step
    return starts


def _during(suspension: Suspension, start: datetime, end: datetime | None) -> bool:
    """Whether a suspension began while a clock from ``start`` to ``end`` (None: still running) ran."""
    return suspension.start >= start and (end is None or suspension.start < end)


def compute(facts: CaseFacts, cal: WorkCalendar, tz: ZoneInfo) -> Deadlines:
    """The case's deadlines and its steps' under the clock rules (see the module's docstring)."""
    accepted = facts.accepted_at
    case_suspensions = [s for s in facts.suspensions if _during(s, accepted, None)]
    case_shift = _shift(case_suspensions, cal, tz)
    statutory = _deadline(accepted, facts.statutory, case_shift, cal, tz)
    promised = _deadline(accepted, facts.promised, case_shift, cal, tz)

    steps: dict[int, Due | None] = {}
    for step, start in _step_clock_starts(facts):
        if start is None or step.limit is None:
            steps[step.seq] = None
            continue
        during = [s for s in facts.suspensions if _during(s, start, step.completed_at)]
        steps[step.seq] = _deadline(start, step.limit, _shift(during, cal, tz), cal, tz)

    computed = [d for d in (statutory, promised, *steps.values()) if d is not None]
    return Deadlines(
        statutory=statutory,
        promised=promised,
        steps=steps,
        frozen=any(s.lawful and s.end is None for s in case_suspensions),
        shift_workdays=case_shift.workdays,
        provisional=any(d.provisional for d in computed),
    )


def warning_from(deadline: Due | None, workdays: int, cal: WorkCalendar, tz: ZoneInfo) -> datetime | None:
    """When a "due soon" warning starts: the start of the working day ``workdays`` working days before
    the due date (with 0, the start of the due date itself)."""
    if deadline is None:
        return None
    day = deadline.due_date or deadline.due_at.astimezone(tz).date()
    return datetime.combine(working_day_before(cal, day, workdays), time.min, tzinfo=tz)


def stalled_from(last_event_at: datetime, workdays: int, cal: WorkCalendar, tz: ZoneInfo) -> datetime:
    """When a case with no event since ``last_event_at`` counts as stalled: at the end of the
    ``workdays``-th working day after that event's date."""
    day, _walk = add_working_days(cal, last_event_at.astimezone(tz).date(), workdays)
    return end_of_day(day, tz)


def workdays_used(
    start: datetime, decided: datetime, suspensions: Sequence[Suspension], cal: WorkCalendar, tz: ZoneInfo
) -> int:
    """Working days from acceptance to decision (those after the start day, through the decision
    day), less the working days lawful suspensions stopped the clock (行政许可法 art. 45)."""
    after, through = start.astimezone(tz).date(), decided.astimezone(tz).date()
    key = ("working_days_between", after, through)
    if key not in cal.memo:
        cal.memo[key] = working_days_between(cal, after, through)
    between: int = cal.memo[key]
    if not suspensions:  # most cases: spare the merging (the exports call this once per row)
        return between
    return max(0, between - _shift(suspensions, cal, tz).workdays)
