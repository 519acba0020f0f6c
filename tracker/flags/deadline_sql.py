"""The deadline scan's rules as set-based SQL: one INSERT … SELECT … ON CONFLICT DO NOTHING per kind.

The same conditions as ``rules/deadlines.py`` (which judges one case in Python, for the event
scan and the tests), over the rows a partial index finds in the scan's window, so that raising
10,000 flags costs a few statements instead of 10,000 evaluations. A test checks that both give
the same flags, field for field.

Windows: a deadline is broken only *after* its instant (``since`` ≤ moment < ``now``); a warning
starts *at* its instant (``since`` < moment ≤ ``now``). Consecutive scans thus never miss a moment
and never take one twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Row, and_, case, func, literal, not_, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from tracker.cases.models import OPEN_CASES, RUNNING_STEPS, Case, CaseEvent, CaseStep
from tracker.flags.models import NO_STEP, Flag, FlagStatus, Level
from tracker.flags.rules import deadlines
from tracker.thresholds import BY_NAME, FlagThreshold

case_t = Case.__table__  # type: ignore[attr-defined]
step_t = CaseStep.__table__  # type: ignore[attr-defined]
event_t = CaseEvent.__table__  # type: ignore[attr-defined]
flag_t = Flag.__table__  # type: ignore[attr-defined]
threshold_t = FlagThreshold.__table__  # type: ignore[attr-defined]

FLAG_COLUMNS = [
    "case_id",
    "department_id",
    "kind",
    "level",
    "step",
    "since",
    "detected_at",
    "params",
    "evidence",
    "status",
]


class _Json:
    """JSON built by the database: SQLite's json_array/json_object, PostgreSQL's json_build_*."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"

    def array(self, *items: Any) -> ColumnElement[Any]:
        return func.json_build_array(*items) if self.pg else func.json_array(*items)

    def object(self, *pairs: Any) -> ColumnElement[Any]:
        return func.json_build_object(*pairs) if self.pg else func.json_object(*pairs)


def _first_event(*types: str, step: Any = None, last: bool = False) -> ColumnElement[Any]:
    """The id of the case's first (or last) event of these types, in the rules' order (at, id)."""
    query = select(event_t.c.id).where(event_t.c.case_id == case_t.c.id)
    if types:
        query = query.where(event_t.c.type.in_(types))
    if step is not None:
        query = query.where(event_t.c.data["step"].as_integer() == step)
    order = (event_t.c.at.desc(), event_t.c.id.desc()) if last else (event_t.c.at, event_t.c.id)
    return query.order_by(*order).limit(1).scalar_subquery()


def _clock_start() -> ColumnElement[Any]:
    """The acceptance, else the receipt (one index lookup per row, not one per type)."""
    accepted_first = case((event_t.c.type == "accepted", 0), else_=1)
    query = select(event_t.c.id).where(
        event_t.c.case_id == case_t.c.id, event_t.c.type.in_(("accepted", "received"))
    )
    return query.order_by(accepted_first, event_t.c.at, event_t.c.id).limit(1).scalar_subquery()


def _threshold(name: str) -> ColumnElement[Any]:
    """The threshold in force for the case's item: its own, else the general one, else the default."""

    def setting(item_code: Any) -> ColumnElement[Any]:
        found = select(threshold_t.c.value).where(
            threshold_t.c.name == name, threshold_t.c.item_code == item_code
        )
        return found.limit(1).scalar_subquery()

    return func.coalesce(setting(case_t.c.power_code), setting(""), literal(BY_NAME[name].default, Integer))


def _stopped_before(due: Any) -> ColumnElement[bool]:
    """The clock stands still since before ``due`` (the rules' ``_stopped_before``)."""
    return and_(
        case_t.c.status == "suspended", case_t.c.suspended_lawfully.is_(True), case_t.c.suspended_since <= due
    )


@dataclass(frozen=True)
class _Kind:
    kind: str
    level: Level
    moment: Any  # the column whose passing raises the flag
    starts_at_instant: bool  # a warning starts at its instant; a deadline is broken after it
    condition: Callable[[], ColumnElement[bool]]
    params: Callable[[_Json], Any]
    evidence: Callable[[_Json], Any]
    step: Any = None  # the step column, for step flags


def _case_kinds() -> list[_Kind]:
    empty = lambda json: json.object()  # noqa: E731
    clock = lambda json: json.array(_clock_start())  # noqa: E731
    return [
        _Kind(
            deadlines.PROMISE_OVERDUE,
            Level.yellow,
            case_t.c.promised_due_at,
            False,
            lambda: not_(_stopped_before(case_t.c.promised_due_at)),
            empty,
            clock,
        ),
        _Kind(
            deadlines.STATUTORY_OVERDUE,
            Level.red,
            case_t.c.statutory_due_at,
            False,
            lambda: not_(_stopped_before(case_t.c.statutory_due_at)),
            empty,
            clock,
        ),
        _Kind(
            deadlines.DUE_SOON,
            Level.warning,
            case_t.c.warn_at,
            True,
            lambda: not_(and_(case_t.c.status == "suspended", case_t.c.suspended_lawfully.is_(True))),
            lambda json: json.object("warning_workdays", _threshold("warning_workdays")),
            clock,
        ),
        _Kind(
            deadlines.STALLED,
            Level.warning,
            case_t.c.stall_at,
            False,
            lambda: case_t.c.status == "open",
            lambda json: json.object("stall_workdays", _threshold("stall_workdays")),
            lambda json: json.array(_first_event(last=True)),
        ),
        _Kind(
            deadlines.STEP_OVERDUE,
            Level.yellow,
            step_t.c.due_at,
            False,
            lambda: and_(RUNNING_STEPS, not_(_stopped_before(step_t.c.due_at))),
            empty,
            lambda json: json.array(
                func.coalesce(_first_event("step_started", step=step_t.c.seq), _clock_start())
            ),
            step=step_t.c.seq,
        ),
    ]


def insert_due_flags(db: Session, since: datetime | None, now: datetime) -> list[Row[Any]]:
    """Insert the flags of every deadline kind whose moment fell in the window; returns the new ones
    as (id, case_id, kind, level, step, since): what the audit log records of them."""
    dialect_name = db.get_bind().dialect.name
    json = _Json(dialect_name)
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    inserted: list[Row[Any]] = []
    for k in _case_kinds():
        if k.starts_at_instant:
            window = and_(k.moment <= now, k.moment > since) if since else k.moment <= now
        else:
            window = and_(k.moment < now, k.moment >= since) if since else k.moment < now
        rows = select(
            case_t.c.id,
            case_t.c.department_id,
            literal(k.kind),
            literal(k.level.value),
            k.step if k.step is not None else literal(NO_STEP),
            k.moment,
            literal(now, Flag.__table__.c.detected_at.type),  # type: ignore[attr-defined]
            k.params(json),
            k.evidence(json),
            literal(FlagStatus.open.value),
        ).where(OPEN_CASES, window, k.condition(), true())
        if k.step is not None:
            rows = rows.select_from(step_t.join(case_t, case_t.c.id == step_t.c.case_id))
        statement = (
            dialect.insert(flag_t)
            .from_select(FLAG_COLUMNS, rows)
            .on_conflict_do_nothing()
            .returning(
                flag_t.c.id, flag_t.c.case_id, flag_t.c.kind, flag_t.c.level, flag_t.c.step, flag_t.c.since
            )
        )
        inserted += db.execute(statement).all()
    return inserted
