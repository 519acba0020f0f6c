"""Reading flags: one query for the CLI, the supervisors' queue, its JSON twin and its exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from powerlists.models import Department
from tracker.cases.models import Case
from tracker.flags.models import Flag, FlagStatus, Level


@dataclass(frozen=True)
class FlagFilter:
    """What a reader may see (``only_department``, from the scope rules) and what they asked for."""

    only_department: int | None = None
    department: str = ""  # a department code
    kind: str = ""
    level: str = ""
    status: str = ""


@dataclass(frozen=True)
class FlagRow:
    id: int
    case_id: int
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
        }


def _filtered(stmt: Select[Any], f: FlagFilter) -> Select[Any]:
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
    return stmt


def flag_select(f: FlagFilter) -> Select[Any]:
    """Flags with their case and department, the newest condition first."""
    stmt = (
        select(Flag, col(Case.ref), col(Case.power_code), col(Department.code), col(Department.name))
        .join(Case, col(Case.id) == Flag.case_id)
        .join(Department, col(Department.id) == Flag.department_id)
    )
    return _filtered(stmt, f).order_by(col(Flag.since).desc(), col(Flag.id).desc())


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
    )


def flag_rows(db: Session, f: FlagFilter, limit: int | None = None) -> list[FlagRow]:
    stmt = flag_select(f)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [as_row(row) for row in db.execute(stmt)]


def flag_counts(db: Session, f: FlagFilter) -> dict[str, dict[str, int]]:
    """How many flags match, by status and by level (for the counts above the queue)."""
    base = select(col(Flag.status), col(Flag.level), func.count()).join(
        Department, col(Department.id) == Flag.department_id
    )
    counts: dict[str, dict[str, int]] = {"status": {}, "level": {}}
    for status, level, n in db.execute(_filtered(base, f).group_by(col(Flag.status), col(Flag.level))):
        counts["status"][status] = counts["status"].get(status, 0) + n
        counts["level"][level] = counts["level"].get(level, 0) + n
    return counts
