"""The supervisors' review of a flag and the department's answers: who may do what, from which status.

Every action needs a written text (a reason, a reply, a rectification report) and is recorded as a
FlagAction with who and when; nothing is ever edited. Requesting an explanation and confirming a
violation start the department's deadline (explanation_workdays, rectification_workdays working
days, from the thresholds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from powerlists.messages import N_
from tracker.accounts.models import Role, User
from tracker.audit.chain import Change, append
from tracker.calendar import WorkCalendar
from tracker.flags.models import Flag, FlagAction, FlagStatus
from tracker.sla import add_working_days, end_of_day
from tracker.thresholds import Thresholds

S = FlagStatus
SUPERVISING = frozenset({Role.supervisor, Role.admin})
DEPARTMENT = frozenset({Role.operator})
UNDECIDED = frozenset({S.open, S.explanation_requested, S.explained})
MAX_TEXT = 10_000


@dataclass(frozen=True)
class Transition:
    action: str
    by: frozenset[Role]
    from_statuses: frozenset[FlagStatus]
    to: FlagStatus
    deadline: str | None = None  # the threshold that sets the new deadline
    keeps_deadline: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "request_explanation",
        SUPERVISING,
        frozenset({S.open}),
        S.explanation_requested,
        "explanation_workdays",
    ),
    Transition("confirm", SUPERVISING, UNDECIDED, S.confirmed, "rectification_workdays"),
    Transition("dismiss", SUPERVISING, UNDECIDED, S.dismissed),
    Transition("exempt", SUPERVISING, UNDECIDED, S.exempted),
    Transition("reply", DEPARTMENT, frozenset({S.explanation_requested}), S.explained),
    # The rectification deadline stays on record while the report is checked: sent back, it still holds.
    Transition(
        "report_rectification",
        DEPARTMENT,
        frozenset({S.confirmed}),
        S.rectification_submitted,
        keeps_deadline=True,
    ),
    Transition("accept_rectification", SUPERVISING, frozenset({S.rectification_submitted}), S.closed),
    Transition(
        "send_back", SUPERVISING, frozenset({S.rectification_submitted}), S.confirmed, keeps_deadline=True
    ),
    # Any decision can be taken back, a confirmation too (its rectification deadline then lapses).
    Transition("reopen", SUPERVISING, frozenset(FlagStatus) - UNDECIDED, S.open),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}


class ReviewError(Exception):
    """An action that cannot be taken; the message is translatable, with arguments."""

    def __init__(self, message: str, **args: object) -> None:
        self.message, self.args_ = message, args
        super().__init__(message % args if args else message)


def may_see(user: User, flag: Flag) -> bool:
    return user.role != Role.operator or user.department_id == flag.department_id


def available(user: User, flag: Flag) -> list[Transition]:
    """The actions this user may take on this flag now."""
    if not may_see(user, flag):
        return []
    return [t for t in TRANSITIONS if user.role in t.by and flag.status in t.from_statuses]


def act(
    db: Session,
    flag: Flag,
    action: str,
    user: User,
    text: str,
    *,
    now: datetime,
    cal: WorkCalendar,
    tz: ZoneInfo,
    thresholds: Thresholds,
) -> FlagAction:
    """Take ``action`` on ``flag`` as ``user``; the caller commits."""
    transition = BY_ACTION.get(action)
    if transition is None:
        raise ReviewError(N_("There is no action %(action)r."), action=action)
    if not may_see(user, flag) or user.role not in transition.by:
        raise ReviewError(N_("Your role cannot take this action."))
    if flag.status not in transition.from_statuses:
        raise ReviewError(N_("This action is not possible while the flag is %(status)s."), status=flag.status)
    text = text.strip()
    if not text:
        raise ReviewError(N_("Write the reason (or the reply): every action is recorded with it."))
    if len(text) > MAX_TEXT:
        raise ReviewError(N_("Write at most %(max)d characters."), max=MAX_TEXT)
    if transition.deadline is not None:
        days = thresholds.value(transition.deadline)
        due, _walk = add_working_days(cal, now.astimezone(tz).date(), days)
        flag.due_at = end_of_day(due, tz)
    elif not transition.keeps_deadline:
        flag.due_at = None
    record = FlagAction(
        flag_id=flag.id,  # type: ignore[arg-type]
        action=action,
        from_status=flag.status,
        to_status=transition.to,
        text=text,
        actor_id=user.id,  # type: ignore[arg-type]
        at=now,
        due_at=flag.due_at,
    )
    flag.status = transition.to
    db.add(flag)
    db.add(record)
    db.flush()
    entry = {
        "id": record.id,
        "flag_id": flag.id,
        "case_id": flag.case_id,
        "action": action,
        "from": record.from_status,
        "to": record.to_status,
        "text": text,
        "actor_id": user.id,
        "at": now,
        "due_at": flag.due_at,
    }
    append(db, [Change("flag_action", str(record.id), entry)], at=now)
    return record


def history(db: Session, flag_id: int) -> list[tuple[FlagAction, User]]:
    stmt = (
        select(FlagAction, User)
        .join(User, col(User.id) == FlagAction.actor_id)
        .where(FlagAction.flag_id == flag_id)
        .order_by(col(FlagAction.at), col(FlagAction.id))
    )
    return list(db.exec(stmt).all())
