"""Reading flags: one query for the CLI, the supervisors' queue, its JSON twin and its exports.

``parse_filter`` turns what a reader typed in the address bar into a ``FlagFilter``; every renderer
(the page, the JSON, xlsx and CSV) then runs the same ``flag_select``, so they cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from powerlists.columns import utcnow
from powerlists.messages import N_
from powerlists.models import Department
from tracker.flags import escalation
from tracker.flags.models import Flag, FlagStatus, Level
from tracker.flags.rules import RULES
from tracker.flags.subjects import COMPLAINT, subject_has_power, subject_power, subject_ref, with_subject
from tracker.ratings import bad_reviews

# Ranks, not alphabetical order: a supervisor sorting by level wants red cards together at one end.
_SEVERITY = {lv.value: rank for rank, lv in enumerate(Level)}
_STAGE = {s.value: rank for rank, s in enumerate(FlagStatus)}  # the review's order

SORTS: dict[str, ColumnElement[Any] | Mapped[Any]] = {
    "detected": col(Flag.detected_at),
    "since": col(Flag.since),
    "level": case(_SEVERITY, value=col(Flag.level), else_=len(_SEVERITY)),
    "department": col(Department.code),
    "kind": col(Flag.kind),
    "status": case(_STAGE, value=col(Flag.status), else_=len(_STAGE)),
    "case": subject_ref(),
    "power": subject_power(),
    "due": col(Flag.due_at),  # flags with no deadline last, either way
}
NULLABLE_SORTS = frozenset({"due"})
# Every kind a flag can have: the case rules', the review deadlines', the bad reviews', complaints'.
KINDS = (*(r.kind for r in RULES), *escalation.KINDS, bad_reviews.OVERDUE, COMPLAINT)
DEFAULT_SORT = "-detected"  # newest found first
AGE_PRESETS = (1, 3, 7, 15, 30)  # days, offered on the page; any whole number works in the address
MAX_AGE = 36_500
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(9998, 12, 31)
_UTC = ZoneInfo("UTC")
_DAYS = re.compile(r"\d{1,6}", re.ASCII)


@dataclass(frozen=True)
class FlagFilter:
    """What a reader may see (``only_department``, from the scope rules) and what they asked for.

    ``detected_from``/``detected_to`` are local dates in ``tz``, both included; ``min_age`` keeps
    flags detected at least that many days before ``now`` (the time of the query when None).
    """

    only_department: int | None = None
    department: str = ""  # a department code
    kind: str = ""
    level: str = ""
    status: str = ""
    power: str = ""  # the case's power code, exactly
    min_age: int | None = None
    detected_from: date | None = None
    detected_to: date | None = None
    sort: str = DEFAULT_SORT
    tz: ZoneInfo = _UTC
    now: datetime | None = None

    def as_params(self) -> dict[str, str]:
        """The filter as query parameters (empty ones left out), as ``parse_filter`` reads them."""
        params = {
            "department": self.department,
            "kind": self.kind,
            "level": self.level,
            "status": self.status,
            "power": self.power,
            "min_age": "" if self.min_age is None else str(self.min_age),
            "from": self.detected_from.isoformat() if self.detected_from else "",
            "to": self.detected_to.isoformat() if self.detected_to else "",
            "sort": "" if self.sort == DEFAULT_SORT else self.sort,
        }
        return {k: v for k, v in params.items() if v}


class BadFilter(ValueError):
    """A query parameter the queue cannot use; the message is translatable and names it."""

    def __init__(self, param: str, value: str, message: str, **args: object) -> None:
        self.param, self.value = param, value
        self.message, self.args_ = message, {"param": param, "value": value, **args}
        super().__init__(message % self.args_)


def _choice(params: Mapping[str, str], name: str, allowed: set[str]) -> str:
    value = params.get(name, "").strip()
    if value and value not in allowed:
        raise BadFilter(
            name,
            value,
            N_("%(param)s: “%(value)s” is not one of %(allowed)s."),
            allowed=", ".join(sorted(allowed)),
        )
    return value


def _days(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    if not _DAYS.fullmatch(value) or int(value) > MAX_AGE:
        raise BadFilter(
            name, value, N_("%(param)s: “%(value)s” is not a number of days (0 to %(max)d)."), max=MAX_AGE
        )
    return int(value)


def _date(params: Mapping[str, str], name: str) -> date | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadFilter(name, value, N_("%(param)s: “%(value)s” is not a date (YYYY-MM-DD).")) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise BadFilter(name, value, N_("%(param)s: “%(value)s” is out of range."))
    return day


def parse_sort(value: str) -> str:
    key = value.strip() or DEFAULT_SORT
    if key.removeprefix("-") not in SORTS:
        raise BadFilter(
            "sort",
            value,
            N_("%(param)s: “%(value)s” is not a column to sort by (one of %(allowed)s; “-” first reverses)."),
            allowed=", ".join(SORTS),
        )
    return key


def parse_filter(
    params: Mapping[str, str], only_department: int | None, *, tz: ZoneInfo, now: datetime
) -> FlagFilter:
    """The queue's filter from query parameters; raises ``BadFilter`` naming the first bad one."""
    detected_from, detected_to = _date(params, "from"), _date(params, "to")
    if detected_from and detected_to and detected_from > detected_to:
        raise BadFilter(
            "from",
            detected_from.isoformat(),
            N_("%(param)s: “%(value)s” is after to (“%(to)s”)."),
            to=detected_to.isoformat(),
        )
    return FlagFilter(
        only_department=only_department,
        department=params.get("department", "").strip(),
        kind=_choice(params, "kind", set(KINDS)),
        level=_choice(params, "level", {lv.value for lv in Level}),
        status=_choice(params, "status", {s.value for s in FlagStatus}),
        power=params.get("power", "").strip(),
        min_age=_days(params, "min_age"),
        detected_from=detected_from,
        detected_to=detected_to,
        sort=parse_sort(params.get("sort", "")),
        tz=tz,
        now=now,
    )


@dataclass(frozen=True)
class FlagRow:
    id: int
    case_id: int | None  # None for a complaint's review, whose ``case`` is the complaint's number
    case: str
    department: str
    department_name: str
    power: str
    kind: str
    level: str
    step: int | None
    since: datetime
    detected_at: datetime
    status: str
    due_at: datetime | None  # of the department's reply or rectification, while one is awaited

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "department": self.department,
            "power": self.power,
            "kind": self.kind,
            "level": self.level,
            "step": self.step,
            "since": self.since.isoformat(),
            "detected_at": self.detected_at.isoformat(),
            "status": self.status,
            "due_at": self.due_at.isoformat() if self.due_at else None,
        }


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _filtered(stmt: Select[Any], f: FlagFilter) -> Select[Any]:
    """``stmt`` (joined to the subject and Department) narrowed to ``f``."""
    if f.only_department is not None:
        stmt = stmt.where(col(Flag.department_id) == f.only_department)
    elif f.department:
        stmt = stmt.where(col(Department.code) == f.department)
    if f.kind:
        stmt = stmt.where(col(Flag.kind) == f.kind)
    if f.level in {lv.value for lv in Level}:
        stmt = stmt.where(col(Flag.level) == f.level)
    if f.status in {s.value for s in FlagStatus}:
        stmt = stmt.where(col(Flag.status) == f.status)
    if f.power:
        stmt = stmt.where(subject_has_power(f.power))
    if f.min_age is not None:
        stmt = stmt.where(col(Flag.detected_at) <= (f.now or utcnow()) - timedelta(days=f.min_age))
    if f.detected_from is not None:
        stmt = stmt.where(col(Flag.detected_at) >= _local_midnight(f.detected_from, f.tz))
    if f.detected_to is not None:
        stmt = stmt.where(col(Flag.detected_at) < _local_midnight(f.detected_to + timedelta(days=1), f.tz))
    return stmt


def _joined(stmt: Select[Any]) -> Select[Any]:
    return with_subject(stmt).join(Department, col(Department.id) == Flag.department_id)


def _ordered(stmt: Select[Any], sort: str) -> Select[Any]:
    key = parse_sort(sort)
    descending = key.startswith("-")
    name = key.removeprefix("-")
    column = SORTS[name]
    ordered = column.desc() if descending else column.asc()
    # NULLS LAST only where there are NULLs: PostgreSQL reads an index backwards only as DESC NULLS
    # FIRST, and would otherwise sort every flag to show the newest fifty.
    if name in NULLABLE_SORTS:
        ordered = ordered.nulls_last()
    # The id breaks ties in the same direction, so equal rows keep one order across pages and exports.
    return stmt.order_by(ordered, col(Flag.id).desc() if descending else col(Flag.id).asc())


def flag_select(f: FlagFilter) -> Select[Any]:
    """Flags with their subject and department, in ``f.sort``'s order (newest detected first)."""
    stmt = _joined(select(Flag, subject_ref(), subject_power(), col(Department.code), col(Department.name)))
    return _ordered(_filtered(stmt, f), f.sort)


def as_row(row: Any) -> FlagRow:
    flag, ref, power, code, name = row
    return FlagRow(
        id=flag.id,
        case_id=flag.case_id,
        case=ref,
        department=code,
        department_name=name,
        power=power,
        kind=flag.kind,
        level=flag.level,
        step=flag.step or None,
        since=flag.since,
        detected_at=flag.detected_at,
        status=flag.status,
        due_at=flag.due_at,
    )


def flag_rows(db: Session, f: FlagFilter, limit: int | None = None) -> list[FlagRow]:
    stmt = flag_select(f)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [as_row(row) for row in db.execute(stmt)]


def flag_counts(db: Session, f: FlagFilter) -> dict[str, dict[str, int]]:
    """How many flags match, by status and by level (for the counts above the queue).

    Only the joins the filter needs: unfiltered, the counts read the (status, level) index alone.
    """
    base = select(col(Flag.status), col(Flag.level), func.count()).select_from(Flag)
    if f.department and f.only_department is None:
        base = base.join(Department, col(Department.id) == Flag.department_id)
    counts: dict[str, dict[str, int]] = {"status": {}, "level": {}}
    for status, level, n in db.execute(_filtered(base, f).group_by(col(Flag.status), col(Flag.level))):
        counts["status"][status] = counts["status"].get(status, 0) + n
        counts["level"][level] = counts["level"].get(level, 0) + n
    return counts
