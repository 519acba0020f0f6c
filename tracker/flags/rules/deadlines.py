"""Deadline rules: due soon, a step late, the promise broken, the law's limit broken, stalled.

The deadline scan applies the same conditions as set-based SQL (``flags/deadline_sql.py``); a
test checks that both give the same flags. Change them together.

A clock that stands still (a lawful suspension is open) makes nobody late, unless the deadline
had already passed when the suspension began.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from tracker.flags.models import Level
from tracker.flags.view import CaseView, Finding

DUE_SOON = "due_soon"
STEP_OVERDUE = "step_overdue"
PROMISE_OVERDUE = "promise_overdue"
STATUTORY_OVERDUE = "statutory_overdue"
STALLED = "stalled"


def _stopped_before(case: CaseView, due: datetime) -> bool:
    """Whether the clock is standing still and stopped before ``due`` passed."""
    return case.frozen and case.suspended_since is not None and case.suspended_since <= due


def _clock_start(case: CaseView) -> tuple[int, ...]:
    event = case.first("accepted") or case.first("received")
    return (event.id,) if event else ()


def _late(case: CaseView, due: datetime | None, ended: datetime | None, now: datetime) -> bool:
    if due is None:
        return False
    if ended is not None:
        return ended > due
    return now > due and not _stopped_before(case, due)


def _case_deadline(
    kind: str, level: Level, case: CaseView, due: datetime | None, now: datetime
) -> Iterator[Finding]:
    if due is not None and _late(case, due, case.closed_at, now):
        yield Finding(kind, level, since=due, evidence=_clock_start(case))


def promise_overdue(case: CaseView, _thresholds: Mapping[str, int], now: datetime) -> Iterator[Finding]:
    """Not decided by the promised deadline."""
    return _case_deadline(PROMISE_OVERDUE, Level.yellow, case, case.promised_due_at, now)


def statutory_overdue(case: CaseView, _thresholds: Mapping[str, int], now: datetime) -> Iterator[Finding]:
    """Not decided by the statutory deadline."""
    return _case_deadline(STATUTORY_OVERDUE, Level.red, case, case.statutory_due_at, now)


def step_overdue(case: CaseView, _thresholds: Mapping[str, int], now: datetime) -> Iterator[Finding]:
    """A step not completed by its deadline, even while the case as a whole is on time."""
    for step in case.steps:
        if step.due_at is None or not _late(case, step.due_at, step.completed_at or case.closed_at, now):
            continue
        started = next(
            (e.id for e in case.events if e.type == "step_started" and e.data.get("step") == step.seq), None
        )
        yield Finding(
            STEP_OVERDUE,
            Level.yellow,
            since=step.due_at,
            step=step.seq,
            evidence=(started,) if started else _clock_start(case),
        )


def due_soon(case: CaseView, thresholds: Mapping[str, int], now: datetime) -> Iterator[Finding]:
    """An open case whose deadline (the promised one, else the statutory one) ends within the
    warning's working days."""
    if case.closed_at is None and not case.frozen and case.warn_at is not None and now >= case.warn_at:
        yield Finding(
            DUE_SOON,
            Level.warning,
            since=case.warn_at,
            params={"warning_workdays": thresholds["warning_workdays"]},
            evidence=_clock_start(case),
        )


def stalled(case: CaseView, thresholds: Mapping[str, int], now: datetime) -> Iterator[Finding]:
    """An open, unsuspended case with no event for the stall threshold's working days."""
    if case.status == "open" and case.stall_at is not None and now > case.stall_at:
        last = case.events[-1].id if case.events else None
        yield Finding(
            STALLED,
            Level.warning,
            since=case.stall_at,
            params={"stall_workdays": thresholds["stall_workdays"]},
            evidence=(last,) if last else (),
        )
