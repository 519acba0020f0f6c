"""What the public pages, their JSON twins and the exports read: scorecard rows, never raw cases.

Every function returns plain values (dicts, lists), ready for a template, JSON or a sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Table, select
from sqlmodel import Session

from powerlists.models import Department
from tracker.cases.models import Case
from tracker.flags.models import VIOLATION, Flag
from tracker.scorecards.models import ALL_ITEMS, Scorecard
from tracker.scorecards.periods import ROLLING, Period, month_key, parse_period, shift_month
from tracker.scorecards.refresh import REGION

_card: Table = Scorecard.__table__  # type: ignore[attr-defined]
_dept: Table = Department.__table__  # type: ignore[attr-defined]
_flag: Table = Flag.__table__  # type: ignore[attr-defined]
_case: Table = Case.__table__  # type: ignore[attr-defined]
TREND_MONTHS = 12


def period_choices(today: date) -> list[str]:
    """The periods a visitor can pick: the last twelve months, this and last year, the last four quarters."""
    quarters, month = [], month_key(today)
    for _ in range(4):
        q = f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"
        if q not in quarters:
            quarters.append(q)
        month = shift_month(month, -3)
    return [ROLLING, str(today.year), str(today.year - 1), *quarters]


def _card_dict(row: Any) -> dict[str, Any]:
    return {
        "department_id": row.department_id,
        "power_code": row.power_code,
        "period": row.period,
        "decided": row.decided,
        "rank": row.rank,
        "grade": row.grade,
        "figures": row.figures,
        "refreshed_at": row.refreshed_at,
    }


@dataclass(frozen=True)
class Overview:
    period: Period
    region: dict[str, Any] | None
    ranked: list[dict[str, Any]]  # in rank order
    unranked: list[dict[str, Any]]  # too few decided cases, by name
    min_cases: int | None


def overview(db: Session, period: Period) -> Overview:
    """The region's figures and every department's row of one period."""
    query = (
        select(_card, _dept.c.code, _dept.c.name, _dept.c.name_en)
        .join(_dept, _dept.c.id == _card.c.department_id)
        .where(_card.c.period == period.key, _card.c.power_code == ALL_ITEMS)
    )
    rows = [_card_dict(r) | {"code": r.code, "name": r.name, "name_en": r.name_en} for r in db.execute(query)]
    region_row = db.execute(
        select(_card).where(
            _card.c.period == period.key, _card.c.power_code == ALL_ITEMS, _card.c.department_id == REGION
        )
    ).first()
    region = _card_dict(region_row) if region_row else None
    ranked = sorted((r for r in rows if r["rank"] is not None), key=lambda r: (r["rank"], r["code"]))
    unranked = sorted((r for r in rows if r["rank"] is None), key=lambda r: r["code"])
    min_cases = region["figures"]["grading"]["min_cases"] if region else None
    return Overview(period, region, ranked, unranked, min_cases)


@dataclass(frozen=True)
class DepartmentCard:
    period: Period
    card: dict[str, Any] | None
    trend: list[dict[str, Any]]  # one per month, oldest first; figures None for a month with no row


def department_card(
    db: Session, department_id: int, period: Period, today: date, power_code: str = ALL_ITEMS
) -> DepartmentCard:
    """One department's (or one of its items') scorecard of a period, with its last twelve months."""
    base = select(_card).where(_card.c.department_id == department_id, _card.c.power_code == power_code)
    row = db.execute(base.where(_card.c.period == period.key)).first()
    months = parse_period(ROLLING, today).months
    by_month = {r.period: r for r in db.execute(base.where(_card.c.period.in_(months)))}
    trend = [
        {"month": m, "figures": by_month[m].figures if m in by_month else None}
        for m in months[-TREND_MONTHS:]
    ]
    return DepartmentCard(period, _card_dict(row) if row else None, trend)


def confirmed_violations(
    db: Session, department_id: int | None = None, limit: int = 10
) -> list[dict[str, Any]]:
    """The latest violations supervisors confirmed, newest first: no personal data, no free text."""
    query = (
        select(
            _flag.c.id,
            _flag.c.kind,
            _flag.c.level,
            _flag.c.status,
            _flag.c.since,
            _flag.c.detected_at,
            _flag.c.due_at,
            _case.c.ref,
            _case.c.power_code,
            _dept.c.code,
            _dept.c.name,
            _dept.c.name_en,
        )
        .join(_case, _case.c.id == _flag.c.case_id)
        .join(_dept, _dept.c.id == _flag.c.department_id)
        .where(_flag.c.status.in_(VIOLATION))
        .order_by(_flag.c.detected_at.desc(), _flag.c.id.desc())
        .limit(limit)
    )
    if department_id is not None:
        query = query.where(_flag.c.department_id == department_id)
    return [dict(r._mapping) for r in db.execute(query)]
