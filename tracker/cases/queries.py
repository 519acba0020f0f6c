"""Reading cases: the scoped list and one case's timeline, for pages and their JSON twins."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_
from sqlmodel import Session, col, select

from powerlists.departments import like_literal
from powerlists.models import Department, PowerItem, PowerList
from tracker.calendar import WorkCalendar
from tracker.cases.ingest import facts_of
from tracker.cases.models import Case, CaseEvent, CaseStatus, CaseStep
from tracker.deadlines import Deadlines, compute

OPEN = (CaseStatus.open, CaseStatus.suspended)


def case_list(
    *, only_department: int | None, department_id: int | None = None, status: str = "", q: str = ""
) -> Select[tuple[Case, Department]]:
    """Cases visible to a user (``only_department`` from the scope rules), newest first."""
    stmt = select(Case, Department).join(Department, col(Department.id) == col(Case.department_id))
    if only_department is not None:
        stmt = stmt.where(col(Case.department_id) == only_department)
    elif department_id is not None:
        stmt = stmt.where(col(Case.department_id) == department_id)
    if status in {s.value for s in CaseStatus}:
        stmt = stmt.where(col(Case.status) == status)
    if q.strip():
        pattern = "%" + like_literal(q.strip()) + "%"
        stmt = stmt.where(
            or_(col(Case.ref).ilike(pattern, escape="\\"), col(Case.power_code).ilike(pattern, escape="\\"))
        )
    return stmt.order_by(col(Case.received_at).desc(), col(Case.id).desc())


def late(due_at: datetime | None, done_at: datetime | None, now: datetime) -> bool | None:
    """True late, False on time, None: no deadline (or not yet due and not done)."""
    if due_at is None:
        return None
    if done_at is not None:
        return done_at > due_at
    return True if now > due_at else None


@dataclass(frozen=True)
class StepView:
    step: CaseStep
    late: bool | None


@dataclass(frozen=True)
class Timeline:
    case: Case
    department: Department
    item: PowerItem | None
    power_list: PowerList | None
    steps: list[StepView]
    events: list[CaseEvent]
    deadlines: Deadlines  # as stored now (suspensions included)
    original: Deadlines  # as they would be without any suspension: how far suspensions moved them
    statutory_late: bool | None
    promised_late: bool | None


def timeline(db: Session, case: Case, cal: WorkCalendar, tz: ZoneInfo, now: datetime) -> Timeline:
    department = db.get(Department, case.department_id)
    assert department is not None
    item = db.get(PowerItem, case.power_item_id) if case.power_item_id else None
    power_list = db.get(PowerList, case.list_id) if case.list_id else None
    steps = list(
        db.exec(select(CaseStep).where(col(CaseStep.case_id) == case.id).order_by(col(CaseStep.seq)))
    )
    events = list(
        db.exec(
            select(CaseEvent)
            .where(col(CaseEvent.case_id) == case.id)
            .order_by(col(CaseEvent.at), col(CaseEvent.id))
        )
    )
    facts = facts_of(case, item, steps)
    done = case.decided_at or case.withdrawn_at
    return Timeline(
        case=case,
        department=department,
        item=item,
        power_list=power_list,
        steps=[StepView(s, late(s.due_at, s.completed_at, now)) for s in steps],
        events=events,
        deadlines=compute(facts, cal, tz),
        original=compute(replace(facts, suspensions=()), cal, tz),
        statutory_late=late(case.statutory_due_at, done, now),
        promised_late=late(case.promised_due_at, done, now),
    )
