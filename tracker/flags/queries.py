"""Reading flags: one query for the CLI, the pages and the exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from powerlists.models import Department
from tracker.cases.models import Case
from tracker.flags.models import Flag


@dataclass(frozen=True)
class FlagRow:
    id: int
    case: str
    department: str
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


def flag_rows(
    db: Session,
    *,
    department: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    limit: int | None = None,
) -> list[FlagRow]:
    """Flags with their case and department, newest condition first."""
    stmt = (
        select(Flag, Case.ref, Case.power_code, Department.code)
        .join(Case, col(Case.id) == Flag.case_id)
        .join(Department, col(Department.id) == Flag.department_id)
        .order_by(col(Flag.since).desc(), col(Flag.id).desc())
    )
    if department is not None:
        stmt = stmt.where(Department.code == department)
    if kind is not None:
        stmt = stmt.where(Flag.kind == kind)
    if status is not None:
        stmt = stmt.where(Flag.status == status)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        FlagRow(
            id=flag.id,  # type: ignore[arg-type]
            case=ref,
            department=code,
            power=power,
            kind=flag.kind,
            level=flag.level,
            step=flag.step or None,
            since=flag.since,
            detected_at=flag.detected_at,
            status=flag.status,
        )
        for flag, ref, power, code in db.exec(stmt)
    ]
