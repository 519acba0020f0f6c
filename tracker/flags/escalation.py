"""The review's deadlines: overdue explanations, unrectified yellow cards, and daily reminders.

Run by the scheduler's ``supervision_deadlines`` job; every part is idempotent, as the scans are.

- An explanation request with no reply by its deadline raises an ``explanation_overdue`` flag
  (yellow) about the requested flag.
- A yellow card confirmed as a violation and not rectified by its deadline raises an
  ``escalated`` flag (red) about it. "Rectified by the deadline" means the department *reported*
  its rectification in time: the supervisors' check may take longer than the deadline and does
  not count against the department. A report made after the deadline escalates, and so does a
  report sent back after the deadline (the flag is confirmed again, its deadline kept and passed).
  Red cards and warnings never escalate; their departments are reminded all the same.
- While the department still owes the reply or the rectification, its operators get one reminder
  a day (local date in the key, so never two on the same day).

A derived flag names its origin (``origin_id``), is unique per (case, kind, step, origin) (per
(complaint, kind, origin) when it is about a complaint), and is inserted with ON CONFLICT DO NOTHING:
a second run, or two processes at once, raise it once.
Whether a deadline was broken is read from the database alone, also when the wait ended late
while the scheduler was down: the action that ended it is recorded after the deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from powerlists.messages import N_
from tracker.accounts.models import User
from tracker.db import begin_writing
from tracker.flags.models import Flag, FlagAction, FlagStatus, Level
from tracker.flags.scans import Raised, record_flags
from tracker.flags.subjects import subject_ref, with_subject
from tracker.notify.inbox import Message, department_operators, notify
from tracker.settings import Settings

JOB = "supervision_deadlines"  # the scheduler's job (and `tracker scheduler once`'s lock)
EXPLANATION_OVERDUE = "explanation_overdue"
ESCALATED = "escalated"
# The kinds raised here, about other flags (not case rules: ``tracker.flags.rules.RULES`` has those).
KINDS: dict[str, Level] = {EXPLANATION_OVERDUE: Level.yellow, ESCALATED: Level.red}

_flag_table = Flag.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Deadline:
    """Something the department owes while a flag is in ``awaiting``, until its ``answer``."""

    name: str  # in the reminder's key
    awaiting: FlagStatus
    raises: str  # the kind of flag a broken deadline raises
    escalates: frozenset[Level]  # the levels of flag whose broken deadline raises it
    subject: str
    body: str
    complaint_body: str  # for a complaint's review, which has no case: ``case`` is its number

    def body_for(self, flag: Flag) -> str:
        return self.body if flag.case_id is not None else self.complaint_body


EXPLANATION = Deadline(
    "explanation",
    FlagStatus.explanation_requested,
    EXPLANATION_OVERDUE,
    frozenset(Level),
    N_("Your reply about flag #%(flag)s is overdue"),
    N_(
        "The explanation the supervisors requested about case %(case)s was due by the end of "
        "%(due)s. Please reply on the flag's page."
    ),
    N_(
        "The explanation the supervisors requested about complaint %(case)s was due by the end of "
        "%(due)s. Please reply on the flag's page."
    ),
)
RECTIFICATION = Deadline(
    "rectification",
    FlagStatus.confirmed,
    ESCALATED,
    frozenset({Level.yellow}),
    N_("The rectification for flag #%(flag)s is overdue"),
    N_(
        "The violation confirmed in case %(case)s had to be rectified by the end of %(due)s. "
        "Please rectify it and report on the flag's page."
    ),
    N_(
        "The violation confirmed on complaint %(case)s had to be rectified by the end of %(due)s. "
        "Please rectify it and report on the flag's page."
    ),
)
DEADLINES = (EXPLANATION, RECTIFICATION)


@dataclass(frozen=True)
class Outcome:
    raised: list[Raised]
    reminders: int  # inbox messages sent


def check_deadlines(db: Session, now: datetime, tz: ZoneInfo, settings: Settings | None = None) -> Outcome:
    """Raise the flags for deadlines broken by ``now`` and send today's reminders (the caller
    commits); with ``settings`` whose SMTP is on, the reminders are e-mailed too."""
    begin_writing(db)  # it reads, then writes what it read: SQLite must not let another writer in between
    raised: list[Raised] = []
    reminders = 0
    for deadline in DEADLINES:
        raised += raise_broken(db, deadline, now)
        reminders += remind(db, deadline, now, tz, settings)
    return Outcome(raised, reminders)


def _not_raised_yet(deadline: Deadline, origin: Any) -> ColumnElement[bool]:
    """No flag of the deadline's kind about ``origin`` yet (a lookup on one of the flags' unique
    keys: the case's, or the complaint's for a complaint's review, whose case is NULL)."""
    derived = aliased(Flag)
    return ~exists().where(
        or_(col(derived.case_id) == origin.case_id, col(derived.complaint_id) == origin.complaint_id),
        col(derived.kind) == deadline.raises,
        col(derived.step) == origin.step,
        col(derived.origin_id) == origin.id,
    )


def _still_awaited(deadline: Deadline, now: datetime) -> Select[Any]:
    """Flags still waiting for the department past their deadline (the partial index on due_at)."""
    return with_subject(select(Flag, subject_ref(), col(Flag.due_at).label("broken"))).where(
        col(Flag.due_at) < now, col(Flag.status) == deadline.awaiting
    )


def _ended_late(deadline: Deadline, now: datetime) -> Select[Any]:
    """Flags whose wait ended after its deadline (a late reply or report; a supervisor deciding
    without the overdue reply). The deadline is on the action that started the wait (the request,
    the confirmation or the sending back): the flag's last action before the one that ended it.

    Review actions are people's written decisions, a few per flag: no window is needed.
    """
    ended, before = aliased(FlagAction), aliased(FlagAction)
    due = (
        select(col(before.due_at))
        .where(col(before.flag_id) == ended.flag_id, col(before.id) < ended.id)
        .order_by(col(before.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        with_subject(select(Flag, subject_ref(), due.label("broken")))
        .join(ended, col(ended.flag_id) == Flag.id)
        .where(col(ended.from_status) == deadline.awaiting, col(ended.at) <= now, col(ended.at) > due)
        # A supervisor taking the decision back is no answer from the department, late or not.
        .where(col(ended.action) != "reopen")
    )


def raise_broken(db: Session, deadline: Deadline, now: datetime) -> list[Raised]:
    """Raise the deadline's flag about each flag whose deadline was broken and has none yet."""
    broken: dict[int, tuple[Flag, str, datetime]] = {}
    for query in (_still_awaited(deadline, now), _ended_late(deadline, now)):
        query = query.where(
            _not_raised_yet(deadline, Flag), col(Flag.level).in_([lv.value for lv in deadline.escalates])
        )
        for flag, ref, due in db.execute(query).tuples():
            assert flag.id is not None
            if flag.id not in broken or due < broken[flag.id][2]:
                broken[flag.id] = (flag, ref, due)  # the first deadline broken, should there be two rounds
    if not broken:
        return []
    level = KINDS[deadline.raises]
    rows: list[dict[str, Any]] = [
        {
            "case_id": flag.case_id,
            "complaint_id": flag.complaint_id,
            "department_id": flag.department_id,
            "kind": deadline.raises,
            "level": level.value,
            "step": flag.step,
            "since": due,
            "detected_at": now,
            "params": {"origin": flag_id, "due_at": due.isoformat()},
            "evidence": [],
            "status": FlagStatus.open.value,
            "origin_id": flag_id,
        }
        for flag_id, (flag, _ref, due) in sorted(broken.items())
    ]
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    # The unique key decides, should another process have raised the same flag meanwhile.
    statement = dialect.insert(_flag_table).values(rows).on_conflict_do_nothing().returning(_flag_table)
    stored = sorted((dict(row) for row in db.execute(statement).mappings()), key=lambda r: r["origin_id"])
    refs = {r["case_id"]: broken[r["origin_id"]][1] for r in stored if r["case_id"] is not None}
    record_flags(db, stored, refs, now)
    inserted = [r["origin_id"] for r in stored]
    return [
        Raised(flag.case_id, ref, deadline.raises, level.value, flag.step, due)
        for flag, ref, due in (broken[flag_id] for flag_id in inserted)
    ]


def reminder_key(flag_id: int, deadline: Deadline, now: datetime, tz: ZoneInfo) -> str:
    """One reminder per flag, deadline and local day: ``reminder:flag:12:explanation:2026-11-26``."""
    return f"reminder:flag:{flag_id}:{deadline.name}:{now.astimezone(tz).date().isoformat()}"


def remind(
    db: Session, deadline: Deadline, now: datetime, tz: ZoneInfo, settings: Settings | None = None
) -> int:
    """Remind the department of each flag still awaiting it past the deadline, once a local day.

    ``notify`` is idempotent per (user, key) and the key holds the day: a second run the same
    day sends nothing, the next day's run sends the next reminder.
    """
    operators: dict[int, list[User]] = {}
    count = 0
    query = _still_awaited(deadline, now).order_by(col(Flag.id))
    for flag, ref, due in db.execute(query).tuples():
        assert flag.id is not None
        if flag.department_id not in operators:
            operators[flag.department_id] = department_operators(db, flag.department_id)
        message = Message(
            deadline.subject,
            deadline.body_for(flag),
            {"flag": flag.id, "case": ref, "due": due.astimezone(tz).date().isoformat()},
            f"/flags/{flag.id}",
        )
        key = reminder_key(flag.id, deadline, now, tz)
        count += notify(db, operators[flag.department_id], key, message, now=now, settings=settings)
    return count
