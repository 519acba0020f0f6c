"""Applying events to cases: the rules of what may happen when, and the deadlines they move.

Every channel (API, file import, web form) calls ``ingest``. Each event is stored, found to
be a duplicate (its source id was seen before), or rejected with a reason; valid events are
stored even when others in the same batch are rejected. A rejected event changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from powerlists.importer import version_in_force
from powerlists.limits import Limit, Unit
from powerlists.messages import N_
from powerlists.models import PowerItem, PowerStep
from tracker.calendar import WorkCalendar
from tracker.cases.events import EventIn, EventRejected, parse_event
from tracker.cases.models import Case, CaseEvent, CaseStatus, CaseStep, EventType, SuspendReason
from tracker.deadlines import CaseFacts, StepFacts, Suspension, compute

OPEN = (CaseStatus.open, CaseStatus.suspended)


@dataclass(frozen=True)
class EventResult:
    index: int
    status: str  # stored, duplicate, rejected
    reason: str = ""
    reason_args: dict[str, Any] | None = None

    def as_dict(self, translate: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.reason:
            out["reason"] = translate(self.reason, **(self.reason_args or {}))
        return out


def _limit(value: int | None, unit: str | None) -> Limit | None:
    return Limit(value or 0, Unit(unit)) if unit else None


def _case(db: Session, department_id: int, ref: str) -> Case | None:
    return db.exec(select(Case).where(Case.department_id == department_id, Case.ref == ref)).first()


def _steps(db: Session, case_id: int) -> list[CaseStep]:
    return list(db.exec(select(CaseStep).where(CaseStep.case_id == case_id).order_by(col(CaseStep.seq))))


def _open_case(db: Session, department_id: int, ev: EventIn, tz: ZoneInfo) -> Case:
    if _case(db, department_id, ev.case) is not None:
        raise EventRejected(N_("Case %(case)r was already received."), case=ev.case)
    assert ev.power is not None
    received_day = ev.at.astimezone(tz).date()
    power_list = version_in_force(db, department_id, received_day)
    item = None
    if power_list is not None:
        item = db.exec(
            select(PowerItem).where(PowerItem.list_id == power_list.id, PowerItem.code == ev.power)
        ).first()
    # A power not on the list is stored as reported, never refused: refusing would hide the irregularity.
    case = Case(
        department_id=department_id,
        ref=ev.case,
        power_code=ev.power,
        power_item_id=item.id if item else None,
        list_id=power_list.id if item and power_list else None,
        received_at=ev.at,
        applicant=ev.applicant,
    )
    db.add(case)
    db.flush()
    if item is not None:
        for step in db.exec(
            select(PowerStep).where(PowerStep.item_id == item.id).order_by(col(PowerStep.seq))
        ):
            db.add(
                CaseStep(
                    case_id=case.id,  # type: ignore[arg-type]
                    seq=step.seq,
                    name=step.name,
                    mandatory=step.mandatory,
                    limit_value=step.limit_value,
                    limit_unit=step.limit_unit,
                )
            )
    return case


def _step(steps: list[CaseStep], seq: int, case: Case) -> CaseStep:
    for step in steps:
        if step.seq == seq:
            return step
    raise EventRejected(N_("Case %(case)r has no step %(step)d."), case=case.ref, step=seq)


def _apply(case: Case, steps: list[CaseStep], ev: EventIn) -> None:
    """Change the case as the event says, or refuse it."""
    if ev.at < case.received_at:
        raise EventRejected(N_("at: the event is earlier than the case's receipt."))
    decided = case.status in (CaseStatus.decided, CaseStatus.withdrawn)
    t = ev.type
    if (
        t
        in (
            EventType.step_started,
            EventType.step_completed,
            EventType.accepted,
            EventType.suspended,
            EventType.resumed,
            EventType.decided,
            EventType.withdrawn,
        )
        and decided
    ):
        raise EventRejected(N_("Case %(case)r is already %(status)s."), case=case.ref, status=case.status)
    if t == EventType.accepted:
        case.accepted_at = ev.at
    elif t == EventType.step_started:
        _step(steps, ev.step or 0, case).started_at = ev.at
    elif t == EventType.step_completed:
        _step(steps, ev.step or 0, case).completed_at = ev.at
    elif t == EventType.suspended:
        if case.status == CaseStatus.suspended:
            raise EventRejected(N_("Case %(case)r is already suspended."), case=case.ref)
        lawful = ev.suspend_reason != SuspendReason.other
        case.status, case.suspended_since, case.suspended_lawfully = CaseStatus.suspended, ev.at, lawful
        case.suspensions = [*case.suspensions, [ev.at.isoformat(), None, lawful]]
    elif t == EventType.resumed:
        if case.status != CaseStatus.suspended:
            raise EventRejected(N_("Case %(case)r is not suspended."), case=case.ref)
        _close_suspension(case, ev.at)
    elif t == EventType.fee_charged:
        case.fee_charged = (case.fee_charged or Decimal(0)) + (ev.amount or Decimal(0))
    elif t == EventType.decided:
        if case.status == CaseStatus.suspended:
            _close_suspension(case, ev.at)
        case.status, case.decided_at = CaseStatus.decided, ev.at
        case.outcome, case.decision_reason = ev.outcome.value if ev.outcome else None, ev.reason
        if steps and steps[-1].completed_at is None:
            steps[-1].completed_at = ev.at
    elif t == EventType.delivered:
        if case.status != CaseStatus.decided:
            raise EventRejected(N_("Case %(case)r cannot be delivered before it is decided."), case=case.ref)
        case.delivered_at = ev.at
    elif t == EventType.withdrawn:
        if case.status == CaseStatus.suspended:
            _close_suspension(case, ev.at)
        case.status, case.withdrawn_at = CaseStatus.withdrawn, ev.at


def _close_suspension(case: Case, at: datetime) -> None:
    start, _end, lawful = case.suspensions[-1]
    case.suspensions = [*case.suspensions[:-1], [start, at.isoformat(), lawful]]
    case.status, case.suspended_since = CaseStatus.open, None


def facts_of(case: Case, item: PowerItem | None, steps: list[CaseStep]) -> CaseFacts:
    """What the deadline rules need to know about a case, from its stored state."""
    return CaseFacts(
        accepted_at=case.accepted_at or case.received_at,
        statutory=_limit(item.statutory_value, item.statutory_unit) if item else None,
        promised=_limit(item.promised_value, item.promised_unit) if item else None,
        suspensions=tuple(
            Suspension(datetime.fromisoformat(s), datetime.fromisoformat(e) if e else None, bool(lawful))
            for s, e, lawful in case.suspensions
        ),
        steps=tuple(
            StepFacts(s.seq, _limit(s.limit_value, s.limit_unit), s.started_at, s.completed_at) for s in steps
        ),
    )


def recompute(db: Session, case: Case, steps: list[CaseStep], cal: WorkCalendar, tz: ZoneInfo) -> None:
    """Store the case's and its steps' deadlines, so scans find due work by index, never by recomputing."""
    item = db.get(PowerItem, case.power_item_id) if case.power_item_id else None
    facts = facts_of(case, item, steps)
    deadlines = compute(facts, cal, tz)
    case.statutory_due_at = deadlines.statutory.due_at if deadlines.statutory else None
    case.promised_due_at = deadlines.promised.due_at if deadlines.promised else None
    case.deadlines_provisional = deadlines.provisional
    for step in steps:
        step_due = deadlines.steps.get(step.seq)
        step.due_at = step_due.due_at if step_due else None


def _store_one(
    db: Session,
    department_id: int,
    ev: EventIn,
    *,
    now: datetime,
    channel: str,
    cal: WorkCalendar,
    tz: ZoneInfo,
) -> None:
    if ev.type == EventType.received:
        case = _open_case(db, department_id, ev, tz)
    else:
        found = _case(db, department_id, ev.case)
        if found is None:
            raise EventRejected(N_("No case %(case)r was received in this department."), case=ev.case)
        case = found
    steps = _steps(db, case.id)  # type: ignore[arg-type]
    if ev.type != EventType.received:
        _apply(case, steps, ev)
    case.last_event_at = max(case.last_event_at or ev.at, ev.at)
    recompute(db, case, steps, cal, tz)
    db.add(case)
    db.add_all(steps)
    db.add(
        CaseEvent(
            case_id=case.id,  # type: ignore[arg-type]
            department_id=department_id,
            type=ev.type,
            at=ev.at,
            recorded_at=ev.recorded_at or now,
            ingested_at=now,
            source_id=ev.source_id,
            channel=channel,
            data=ev.data(),
        )
    )
    db.flush()


def _seen(db: Session, department_id: int, source_id: str) -> bool:
    return (
        db.exec(
            select(CaseEvent.id).where(
                CaseEvent.department_id == department_id, CaseEvent.source_id == source_id
            )
        ).first()
        is not None
    )


def ingest(
    db: Session,
    department_id: int,
    raws: list[Any],
    *,
    now: datetime,
    channel: str,
    cal: WorkCalendar,
    tz: ZoneInfo,
) -> list[EventResult]:
    """Store what is valid, report the rest; the caller commits."""
    results: list[EventResult] = []
    for index, raw in enumerate(raws):
        try:
            ev = parse_event(raw, tz, now)
        except EventRejected as exc:
            results.append(EventResult(index, "rejected", exc.message, exc.args_))
            continue
        if ev.source_id and _seen(db, department_id, ev.source_id):
            results.append(EventResult(index, "duplicate"))
            continue
        savepoint = db.begin_nested()
        try:
            _store_one(db, department_id, ev, now=now, channel=channel, cal=cal, tz=tz)
            savepoint.commit()
        except EventRejected as exc:
            savepoint.rollback()
            results.append(EventResult(index, "rejected", exc.message, exc.args_))
            continue
        except IntegrityError:
            # A concurrent request stored the same source id or case first.
            savepoint.rollback()
            results.append(EventResult(index, "duplicate" if ev.source_id else "rejected"))
            continue
        results.append(EventResult(index, "stored"))
    return results


def recompute_open(
    db: Session,
    cal: WorkCalendar,
    tz: ZoneInfo,
    *,
    provisional_only: bool = False,
    due_from: datetime | None = None,
) -> int:
    """Recompute open cases after the calendar changed: those with provisional deadlines (a notice
    was loaded) or those with a deadline on or after ``due_from`` (a local day was changed)."""
    stmt = select(Case).where(col(Case.status).in_(list(OPEN)))
    if provisional_only:
        stmt = stmt.where(col(Case.deadlines_provisional).is_(True))
    if due_from is not None:
        stmt = stmt.where((col(Case.statutory_due_at) >= due_from) | (col(Case.promised_due_at) >= due_from))
    cases = db.exec(stmt).all()
    for case in cases:
        steps = _steps(db, case.id)  # type: ignore[arg-type]
        recompute(db, case, steps, cal, tz)
        db.add(case)
        db.add_all(steps)
    db.flush()
    return len(cases)


def recompute_after_calendar_change(
    db: Session, cal: WorkCalendar, tz: ZoneInfo, *, source: str, days: Iterable[date]
) -> int:
    """A notice makes provisional deadlines final; a changed local day moves deadlines from that day on."""
    if source == "notice":
        return recompute_open(db, cal, tz, provisional_only=True)
    first = min(days, default=None)
    if first is None:
        return 0
    return recompute_open(db, cal, tz, due_from=datetime.combine(first, datetime.min.time(), tzinfo=tz))
