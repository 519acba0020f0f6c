"""What the rules read about a case, and what they find: plain values, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tracker.flags.models import NO_STEP, Level


@dataclass(frozen=True)
class StepView:
    seq: int
    name: str
    mandatory: bool
    started_at: datetime | None
    completed_at: datetime | None
    due_at: datetime | None


@dataclass(frozen=True)
class EventView:
    id: int
    type: str
    at: datetime
    recorded_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class CaseView:
    """A case as stored (its deadlines already computed by ingestion), with its item's fee rules."""

    id: int
    department_id: int
    ref: str
    power_code: str
    on_list: bool  # the code was on the department's published list the day the case was received
    status: str
    outcome: str | None
    decision_reason: str
    received_at: datetime
    accepted_at: datetime | None
    decided_at: datetime | None
    withdrawn_at: datetime | None
    promised_due_at: datetime | None
    statutory_due_at: datetime | None
    warn_at: datetime | None
    stall_at: datetime | None
    frozen: bool  # a lawful suspension is open: the clock stands still, nobody is late meanwhile
    suspended_since: datetime | None
    fee_charged: Decimal
    no_fee: bool  # the item says it charges nothing
    fee_amount: Decimal | None  # the item's standard fee, when it has one
    steps: tuple[StepView, ...] = ()
    events: tuple[EventView, ...] = ()  # in order of ``at``

    @property
    def closed_at(self) -> datetime | None:
        """When the clock stopped for good: the decision, or the withdrawal."""
        return self.decided_at or self.withdrawn_at

    def first(self, *types: str) -> EventView | None:
        return next((e for e in self.events if e.type in types), None)

    def last(self, *types: str) -> EventView | None:
        return next((e for e in reversed(self.events) if e.type in types), None)


@dataclass(frozen=True)
class Finding:
    kind: str
    level: Level
    since: datetime  # when the condition became true (for a deadline: the end of the due date)
    step: int = NO_STEP
    params: dict[str, Any] = field(default_factory=dict)
    evidence: tuple[int, ...] = ()  # case_event ids
