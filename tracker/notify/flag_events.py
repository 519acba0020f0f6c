"""Telling people what happened to flags: the notifier's two steps.

- New flags go to the supervisors who follow their department and kind.
- A review action goes to the other side: a supervisor's to the department's operators, a
  department's reply or rectification report to the supervisors who follow the flag (or, when
  none does, to every supervisor, so that an answer is never left unread).

Each step reads what was stored since its mark, reaching back LAG because a scan stamps its flags
before it commits them; the unique (user, key) of the inbox makes reading something twice harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from powerlists.messages import N_
from powerlists.models import Department
from tracker.accounts.models import User
from tracker.db import begin_writing
from tracker.flags.models import Flag, FlagAction, FlagStatus, ScanMark
from tracker.flags.review import BY_ACTION, DEPARTMENT
from tracker.flags.subjects import subject_ref, with_subject
from tracker.notify.inbox import Message, department_operators, notify
from tracker.notify.subscriptions import Followers, followers
from tracker.settings import Settings

# Longer than a scan takes between stamping its flags (detected_at) and committing them.
LAG = timedelta(minutes=15)
NEW_FLAGS = "notify_new_flags"
FLAG_ACTIONS = "notify_flag_actions"


@dataclass(frozen=True)
class Wording:
    """The notices about a flag, as English message ids: in a case, or about a complaint."""

    new_subject: str
    new_body: str
    action_subject: str
    action_body: str
    action_body_with_deadline: str


ABOUT_A_CASE = Wording(
    N_("New flag: %(kind)s in case %(case)s"),
    N_("%(department)s, case %(case)s: %(kind)s (%(level)s), detected %(detected_at)s."),
    N_("Case %(case)s, %(kind)s: %(status)s"),
    N_(
        "%(actor)s chose “%(action)s” on the flag %(kind)s (%(level)s) in case %(case)s of "
        "%(department)s:\n\n%(text)s"
    ),
    N_(
        "%(actor)s chose “%(action)s” on the flag %(kind)s (%(level)s) in case %(case)s of "
        "%(department)s:\n\n%(text)s\n\nDeadline: %(due_at)s"
    ),
)
# A complaint's review has no case: ``case`` holds the complaint's tracking number.
ABOUT_A_COMPLAINT = Wording(
    N_("New flag: %(kind)s about complaint %(case)s"),
    N_("%(department)s, complaint %(case)s: %(kind)s (%(level)s), detected %(detected_at)s."),
    N_("Complaint %(case)s, %(kind)s: %(status)s"),
    N_(
        "%(actor)s chose “%(action)s” on the flag %(kind)s (%(level)s) about complaint %(case)s of "
        "%(department)s:\n\n%(text)s"
    ),
    N_(
        "%(actor)s chose “%(action)s” on the flag %(kind)s (%(level)s) about complaint %(case)s of "
        "%(department)s:\n\n%(text)s\n\nDeadline: %(due_at)s"
    ),
)


def wording(row: Any) -> Wording:
    return ABOUT_A_CASE if row.case_id is not None else ABOUT_A_COMPLAINT


_flag = Flag.__table__  # type: ignore[attr-defined]
_action = FlagAction.__table__  # type: ignore[attr-defined]
_department = Department.__table__  # type: ignore[attr-defined]
_user = User.__table__  # type: ignore[attr-defined]


def _since(db: Session, mark: str, now: datetime) -> datetime:
    row = db.get(ScanMark, mark)
    # A first run does not announce the whole history: only what is recent enough to matter now.
    return (row.until if row else now) - LAG


def _move_mark(db: Session, mark: str, now: datetime) -> None:
    db.merge(ScanMark(name=mark, until=now))
    db.flush()


def _flag_columns() -> list[Any]:
    return [
        _flag.c.id,
        _flag.c.case_id,
        _flag.c.department_id,
        _flag.c.kind,
        _flag.c.level,
        _flag.c.detected_at,
        subject_ref().label("ref"),
        _department.c.name,
        _department.c.name_en,
    ]


def _about_flag(row: Any) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "level": row.level,
        "case": row.ref,
        "department": row.name or "",
        "department_en": row.name_en or "",
    }


def notify_new_flags(db: Session, settings: Settings, now: datetime) -> int:
    """Tell the following supervisors about the flags detected since the last run; returns messages
    added. The caller commits."""
    begin_writing(db)  # reads, then writes what it read: SQLite must not let a writer in between
    since = _since(db, NEW_FLAGS, now)
    query = (
        with_subject(select(*_flag_columns()).select_from(_flag))
        .outerjoin(_department, _department.c.id == _flag.c.department_id)
        # ix_flag_detected_at
        .where(_flag.c.detected_at > since, _flag.c.detected_at <= now)
        .order_by(_flag.c.id)
    )
    audience: Followers | None = None
    added = 0
    for row in db.execute(query):
        audience = audience or followers(db)
        users = audience.of(row.department_id, row.kind)
        if not users:
            continue
        args = {**_about_flag(row), "detected_at": row.detected_at.isoformat()}
        words = wording(row)
        message = Message(words.new_subject, words.new_body, args, link=f"/flags/{row.id}")
        added += notify(db, users, f"flag:{row.id}:new", message, now=now, settings=settings)
    _move_mark(db, NEW_FLAGS, now)
    return added


def notify_flag_actions(db: Session, settings: Settings, now: datetime) -> int:
    """Tell the other side about the review actions taken since the last run; returns messages added.
    The caller commits."""
    begin_writing(db)
    since = _since(db, FLAG_ACTIONS, now)
    columns = select(
        *_flag_columns(),
        _action.c.id.label("action_id"),
        _action.c.action,
        _action.c.to_status,
        _action.c.text,
        _action.c.due_at,
        _action.c.actor_id,
        _user.c.display_name,
        _user.c.email,
    )
    query = (
        with_subject(columns.select_from(_action).join(_flag, _flag.c.id == _action.c.flag_id))
        .join(_user, _user.c.id == _action.c.actor_id)
        .outerjoin(_department, _department.c.id == _flag.c.department_id)
        # ix_flag_action_at
        .where(_action.c.at > since, _action.c.at <= now)
        .order_by(_action.c.id)
    )
    audience: Followers | None = None
    operators: dict[int, list[User]] = {}
    added = 0
    for row in db.execute(query):
        transition = BY_ACTION.get(row.action)
        if transition is None:
            continue
        users: list[User]
        if transition.by == DEPARTMENT:
            audience = audience or followers(db)
            users = audience.of_or_all(row.department_id, row.kind)
        else:
            if row.department_id not in operators:
                operators[row.department_id] = department_operators(db, row.department_id)
            users = operators[row.department_id]
        users = [u for u in users if u.id != row.actor_id]
        if not users:
            continue
        args = {
            **_about_flag(row),
            "action": row.action,
            "status": row.to_status,
            "text": row.text,
            "actor": row.display_name or row.email,
        }
        words = wording(row)
        body = words.action_body
        # The department's deadline, for the department (a report to supervisors keeps it only on record).
        if row.due_at is not None and row.to_status != FlagStatus.rectification_submitted:
            args["due_at"] = row.due_at.isoformat()
            body = words.action_body_with_deadline
        message = Message(words.action_subject, body, args, link=f"/flags/{row.id}")
        added += notify(db, users, f"action:{row.action_id}", message, now=now, settings=settings)
    _move_mark(db, FLAG_ACTIONS, now)
    return added


STEPS: tuple[Callable[[Session, Settings, datetime], int], ...] = (notify_new_flags, notify_flag_actions)


def notify_all(db: Session, settings: Settings, now: datetime) -> int:
    """Both steps once, as of ``now`` (the caller commits)."""
    return sum(step(db, settings, now) for step in STEPS)
