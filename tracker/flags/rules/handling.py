"""How a case was handled: steps out of order or skipped, unlawful suspensions, refusals without reason."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from tracker.flags.models import Level
from tracker.flags.view import CaseView, EventView, Finding

OUT_OF_ORDER = "out_of_order"
SKIPPED_STEP = "skipped_step"
UNLAWFUL_SUSPENSION = "unlawful_suspension"
REFUSED_WITHOUT_REASON = "refused_without_reason"


def _completions(case: CaseView) -> dict[int, EventView]:
    """Each step's first reported completion."""
    first: dict[int, EventView] = {}
    for event in case.events:
        if event.type == "step_completed" and isinstance(event.data.get("step"), int):
            first.setdefault(event.data["step"], event)
    return first


def out_of_order(case: CaseView, _thresholds: Mapping[str, int], _now: datetime) -> Iterator[Finding]:
    """A step completed while a lower-numbered mandatory step was not yet completed (names the step
    completed early)."""
    done = _completions(case)
    mandatory = [s.seq for s in case.steps if s.mandatory]
    for seq, event in sorted(done.items()):
        pending = [m for m in mandatory if m < seq and (m not in done or done[m].at > event.at)]
        if pending:
            yield Finding(
                OUT_OF_ORDER,
                Level.yellow,
                since=event.at,
                step=seq,
                params={"pending": pending},
                evidence=(event.id,),
            )


def skipped_step(case: CaseView, _thresholds: Mapping[str, int], _now: datetime) -> Iterator[Finding]:
    """Decided while a mandatory step other than the last was never completed (one flag per step)."""
    decided = case.last("decided")
    if decided is None or not case.steps:
        return
    done = _completions(case)
    last = max(s.seq for s in case.steps)
    for step in case.steps:
        if step.mandatory and step.seq != last and step.seq not in done:
            yield Finding(
                SKIPPED_STEP,
                Level.yellow,
                since=decided.at,
                step=step.seq,
                params={"step_name": step.name},
                evidence=(decided.id,),
            )


def unlawful_suspension(case: CaseView, _thresholds: Mapping[str, int], _now: datetime) -> Iterator[Finding]:
    """A suspension whose reason is ``other``: no law lets it stop the clock."""
    unlawful = [e for e in case.events if e.type == "suspended" and e.data.get("reason") == "other"]
    if unlawful:
        yield Finding(
            UNLAWFUL_SUSPENSION,
            Level.yellow,
            since=unlawful[0].at,
            params={"note": unlawful[0].data.get("note", "")},
            evidence=tuple(e.id for e in unlawful),
        )


def refused_without_reason(
    case: CaseView, _thresholds: Mapping[str, int], _now: datetime
) -> Iterator[Finding]:
    """Decided as rejected with no reason given."""
    decided = case.last("decided")
    if decided is not None and case.outcome == "rejected" and not case.decision_reason.strip():
        yield Finding(REFUSED_WITHOUT_REASON, Level.yellow, since=decided.at, evidence=(decided.id,))
