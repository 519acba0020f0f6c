"""The flags export: the supervisors' queue (any status, CLI) and the public confirmed violations.

Both run the queue's own filter (``tracker.flags.queries.flag_select``), read as plain columns.
The review's written reasons, replies and reports are free text and may name people: they are
never exported, only when a rectification was due and when the flag was closed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, Table, case, func, select
from sqlmodel import Session

from powerlists.messages import N_
from powerlists.models import Department
from tracker.exports.tables import CASE, DEPARTMENT, POWER_CODE, Field
from tracker.flags.models import VIOLATION, Flag, FlagAction, FlagStatus
from tracker.flags.queries import FlagFilter, flag_select
from tracker.flags.subjects import subject_power, subject_ref

CHUNK = 2_000
# What a supervisor confirmed as a violation, whatever has happened to it since.

_flag: Table = Flag.__table__  # type: ignore[attr-defined]
_action: Table = FlagAction.__table__  # type: ignore[attr-defined]
_department: Table = Department.__table__  # type: ignore[attr-defined]

FIELDS: tuple[Field, ...] = (
    DEPARTMENT,
    CASE,
    POWER_CODE,
    Field(
        "kind",
        N_("Kind"),
        N_(
            "What the rule found, e.g. promise_overdue, statutory_overdue, step_overdue, "
            "off_list_power, refused_without_reason."
        ),
    ),
    Field("level", N_("Level"), N_("warning, yellow (a yellow card) or red (a red card).")),
    Field(
        "step",
        N_("Step"),
        N_("The number of the step concerned; empty when the flag is about the whole case."),
        "integer",
    ),
    Field(
        "since",
        N_("Since"),
        N_("When the condition began, e.g. the end of the missed deadline (local time)."),
        "datetime",
    ),
    Field("detected_at", N_("Detected"), N_("When the scan found it (local time)."), "datetime"),
    Field(
        "status",
        N_("Status"),
        N_(
            "Where the review stands: confirmed (the department must rectify), "
            "rectification_submitted, closed (the rectification was accepted); the CLI export also "
            "has the statuses before and besides a confirmation."
        ),
    ),
    Field(
        "rectify_by",
        N_("Rectify by"),
        N_("The rectification deadline (整改期限) set when the violation was last confirmed (local time)."),
        "datetime",
    ),
    Field(
        "closed_at",
        N_("Closed"),
        N_("When the supervisor accepted the rectification (local time); empty while it is not closed."),
        "datetime",
    ),
)


def _export_select(f: FlagFilter, statuses: Collection[str], *, cases_only: bool = False) -> Select[Any]:
    """The queue's query for ``f`` (same filter, same order), as the export's plain columns."""
    rectify_by = (
        select(_action.c.due_at)
        .where(_action.c.flag_id == _flag.c.id, _action.c.action == "confirm")
        .order_by(_action.c.at.desc(), _action.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    last_closed = (
        select(func.max(_action.c.at))
        .where(_action.c.flag_id == _flag.c.id, _action.c.to_status == FlagStatus.closed.value)
        .scalar_subquery()
    )
    query = flag_select(f).with_only_columns(
        _department.c.code,
        subject_ref(),
        subject_power(),
        _flag.c.kind,
        _flag.c.level,
        _flag.c.step,
        _flag.c.since,
        _flag.c.detected_at,
        _flag.c.status,
        rectify_by.label("rectify_by"),
        # A reopened flag keeps its old closing in the history: only a flag closed now has one.
        case((_flag.c.status == FlagStatus.closed.value, last_closed), else_=None).label("closed_at"),
    )
    if statuses:
        query = query.where(_flag.c.status.in_(list(statuses)))
    if cases_only:
        query = query.where(_flag.c.case_id.is_not(None))
    return query.execution_options(stream_results=True, yield_per=CHUNK)


def _local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    return value.astimezone(tz).replace(microsecond=0) if value is not None else None


def flag_rows(
    db: Session, f: FlagFilter, tz: ZoneInfo, statuses: Collection[str] = (), *, cases_only: bool = False
) -> Iterator[tuple[object, ...]]:
    """The export rows (in the order of FIELDS) of the flags ``f`` selects, narrowed to ``statuses``
    (and to flags about cases: a complaint's review is published only as a count on the scorecards)."""
    for row in db.execute(_export_select(f, statuses, cases_only=cases_only)):
        code, ref, power, kind, level, step, since, detected, status, rectify_by, closed_at = row
        yield (
            code,
            ref,
            power,
            kind,
            level,
            step or None,
            _local(since, tz),
            _local(detected, tz),
            status,
            _local(rectify_by, tz),
            _local(closed_at, tz),
        )


def violation_rows(db: Session, f: FlagFilter, tz: ZoneInfo) -> Iterator[tuple[object, ...]]:
    """Confirmed violations in cases only: what /open-data publishes. Complaints are published as
    the counts on the scorecards, as the public pages show them."""
    return flag_rows(db, f, tz, VIOLATION, cases_only=True)
