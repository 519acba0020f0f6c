"""Supervisors accept or decline a complaint within ``complaint_workdays`` (5) working days.

- Accepting opens a review: a flag of kind ``complaint`` (yellow) about the department, with no
  case, that goes through the review every flag does (an explanation request, confirmation,
  rectification, escalation; ``tracker.flags.review``). The complaint is *upheld* when that
  review confirms a violation.
- Declining needs a reason, which the complainant reads on the status page.
- The scheduler marks a complaint that was not handled by its deadline (``overdue_at``), once,
  also when it was handled late while the scheduler was down, and tells the supervisors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from powerlists.messages import N_
from powerlists.models import Department
from tracker.accounts.models import Role, User
from tracker.audit.chain import Change, append, utc_text
from tracker.complaints.models import Complaint, ComplaintStatus, handled_late_sql
from tracker.db import begin_writing
from tracker.flags.models import NO_STEP, VIOLATION, Flag, FlagAction, FlagStatus, Level, ScanMark
from tracker.flags.review import SUPERVISING
from tracker.flags.scans import record_flags
from tracker.flags.subjects import COMPLAINT
from tracker.notify.inbox import Message, notify, supervisors
from tracker.settings import Settings

MAX_REASON = 5000
NOT_UPHELD = (FlagStatus.dismissed.value, FlagStatus.exempted.value)
# The review actions whose reason the complainant reads on the status page.
DECIDING = frozenset({"confirm", "dismiss", "exempt"})


class HandlingRefused(ValueError):
    def __init__(self, message: str, **args: object) -> None:
        self.message, self.args_ = message, args
        super().__init__(message % args if args else message)


def may_handle(user: User) -> bool:
    return user.role in SUPERVISING


def may_see(user: User, complaint: Complaint) -> bool:
    """Supervisors see every complaint; a department's operators only those accepted about it
    (a complaint still undecided, or declined, is between the complainant and the supervisors)."""
    if may_handle(user):
        return True
    return (
        user.role == Role.operator
        and user.department_id == complaint.department_id
        and complaint.status == ComplaintStatus.accepted
    )


def may_decide(user: User, complaint: Complaint) -> bool:
    """Whether ``user`` may accept or decline ``complaint`` now (its page offers the form)."""
    return may_handle(user) and complaint.status == ComplaintStatus.received


def _checked(complaint: Complaint, user: User, reason: str) -> str:
    if not may_handle(user):
        raise HandlingRefused(N_("Only supervisors accept or decline complaints."))
    if complaint.status != ComplaintStatus.received:
        raise HandlingRefused(N_("This complaint has already been handled."))
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise HandlingRefused(N_("Write at most %(max)d characters."), max=MAX_REASON)
    return reason


def _record(db: Session, complaint: Complaint, user: User, now: datetime, flag_id: int | None) -> None:
    record = {
        "number": complaint.number,
        "status": complaint.status.value,
        "reason": complaint.reason,
        "by": user.id,
        "at": utc_text(now),
        "handle_by": utc_text(complaint.handle_by),
        "flag_id": flag_id,
    }
    append(db, [Change("complaint_handled", complaint.number, record)], at=now)


def accept(db: Session, complaint: Complaint, user: User, note: str, *, now: datetime) -> Flag:
    """Open the complaint's review; the caller commits."""
    note = _checked(complaint, user, note)
    complaint.status, complaint.reason = ComplaintStatus.accepted, note
    complaint.handled_at, complaint.handled_by = now, user.id
    flag = Flag(
        case_id=None,
        complaint_id=complaint.id,
        department_id=complaint.department_id,
        kind=COMPLAINT,
        level=Level.yellow,
        step=NO_STEP,
        since=complaint.received_at,
        detected_at=now,
        params={
            "complaint": complaint.number,
            "power": complaint.power_code,
            "happened_on": complaint.happened_on.isoformat(),
        },
        evidence=[],
    )
    db.add(complaint)
    db.add(flag)
    db.flush()
    record_flags(db, [flag.model_dump()], {}, now)
    _record(db, complaint, user, now, flag.id)
    return flag


def decline(db: Session, complaint: Complaint, user: User, reason: str, *, now: datetime) -> None:
    """Decline with a reason the complainant will read; the caller commits."""
    reason = _checked(complaint, user, reason)
    if not reason:
        raise HandlingRefused(N_("Write why the complaint is declined: the complainant will read it."))
    complaint.status, complaint.reason = ComplaintStatus.declined, reason
    complaint.handled_at, complaint.handled_by = now, user.id
    db.add(complaint)
    db.flush()
    _record(db, complaint, user, now, None)


def review_of(db: Session, complaint_id: int) -> Flag | None:
    return db.exec(select(Flag).where(Flag.complaint_id == complaint_id, Flag.kind == COMPLAINT)).first()


@dataclass(frozen=True)
class Outcome:
    """What the complainant is told: a stage, when it was reached, and a reason where there is one."""

    stage: str  # received, declined, reviewing, upheld, rectified, not_upheld
    at: datetime | None
    reason: str = ""
    due_at: datetime | None = None  # the department's rectification deadline, once upheld


def outcome(db: Session, complaint: Complaint) -> Outcome:
    if complaint.status == ComplaintStatus.received:
        return Outcome("received", complaint.received_at, due_at=complaint.handle_by)
    if complaint.status == ComplaintStatus.declined:
        return Outcome("declined", complaint.handled_at, complaint.reason)
    assert complaint.id is not None
    flag = review_of(db, complaint.id)
    if flag is None or flag.status not in (*VIOLATION, *NOT_UPHELD):
        return Outcome("reviewing", complaint.handled_at)
    decided = db.exec(
        select(FlagAction)
        .where(FlagAction.flag_id == flag.id, col(FlagAction.action).in_(DECIDING))
        .order_by(col(FlagAction.id).desc())
    ).first()
    at, reason = (decided.at, decided.text) if decided else (complaint.handled_at, "")
    if flag.status in NOT_UPHELD:
        return Outcome("not_upheld", at, reason)
    if flag.status == FlagStatus.closed:
        return Outcome("rectified", at, reason)
    return Outcome("upheld", at, reason, due_at=flag.due_at)


NEW_SUBJECT = N_("New complaint %(number)s about %(department)s")
NEW_BODY = N_("A complaint was filed on %(received)s. Accept or decline it by %(due)s.")
OVERDUE_SUBJECT = N_("Complaint %(number)s was not handled in time")
OVERDUE_BODY = N_("Complaint %(number)s had to be accepted or declined by %(due)s.")
ANNOUNCED = "complaint_notices"

_complaint = Complaint.__table__  # type: ignore[attr-defined]


def announce(db: Session, now: datetime, settings: Settings | None = None) -> int:
    """Tell the supervisors of each complaint received since the last run and still waiting for
    them, once (the inbox keeps one message per user and key), by e-mail too when ``settings``
    has SMTP on. One already handled needs no notice, nor does an old one at the first run."""
    begin_writing(db)  # it reads, then writes what it read: SQLite must not let another writer in between
    mark = db.get(ScanMark, ANNOUNCED)
    query = (
        select(Complaint)
        .where(col(Complaint.received_at) <= now, col(Complaint.status) == ComplaintStatus.received)
        .order_by(col(Complaint.id))
    )
    if mark is not None:
        query = query.where(col(Complaint.received_at) > mark.until)
    sent = 0
    readers: list[User] | None = None
    for complaint in db.exec(query):
        readers = readers if readers is not None else supervisors(db)
        message = _message(NEW_SUBJECT, NEW_BODY, complaint, db)
        sent += notify(
            db,
            readers,
            f"complaint:{complaint.id}:new",
            message,
            now=now,
            settings=settings,
        )
    db.merge(ScanMark(name=ANNOUNCED, until=now))
    db.flush()
    return sent


def mark_overdue(db: Session, now: datetime, settings: Settings | None = None) -> list[str]:
    """Mark each complaint not handled by its deadline, once (a conditional UPDATE claims it), and
    tell the supervisors; returns the numbers marked."""
    begin_writing(db)
    claimed = db.execute(
        update(_complaint)
        .where(_complaint.c.overdue_at.is_(None), handled_late_sql(now))
        .values(overdue_at=now)
        .returning(_complaint.c.id)
    ).scalars()
    ids = sorted(claimed)
    if not ids:
        return []
    marked = list(db.exec(select(Complaint).where(col(Complaint.id).in_(ids)).order_by(col(Complaint.id))))
    readers = supervisors(db)
    for complaint in marked:
        message = _message(OVERDUE_SUBJECT, OVERDUE_BODY, complaint, db)
        key = f"complaint:{complaint.id}:overdue"
        notify(db, readers, key, message, now=now, settings=settings)
    record: dict[str, Any] = {"numbers": [c.number for c in marked], "at": utc_text(now)}
    append(db, [Change("complaints_overdue", f"{ids[0]}:{len(ids)}", record)], at=now)
    return [c.number for c in marked]


def _message(subject: str, body: str, complaint: Complaint, db: Session) -> Message:
    department = db.get(Department, complaint.department_id)
    args = {
        "number": complaint.number,
        "department": department.name if department else "",
        "received": complaint.received_at.isoformat(),
        "due": complaint.handle_by.isoformat(),
    }
    return Message(subject, body, args, f"/complaints/{complaint.id}")
