"""The scorecard parts of the public pages: the period a visitor chose, and the JSON twins' shapes."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException

from tracker.i18n import gettext as _
from tracker.scorecards.periods import ROLLING, BadPeriod, Period, parse_period
from tracker.scorecards.queries import DepartmentCard, Overview
from tracker.web.dates import today


def chosen_period(request: Request[Any, Any, Any], raw: str) -> Period:
    try:
        return parse_period(raw or ROLLING, today(request))
    except BadPeriod as exc:
        raise HTTPException(status_code=400, detail=_(exc.message, value=exc.value)) from None


def _department(row: dict[str, Any]) -> dict[str, Any]:
    return {"code": row["code"], "name": row["name"], "name_en": row["name_en"]}


def overview_json(board: Overview, violations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "period": board.period.key,
        "months": list(board.period.months),
        "min_cases": board.min_cases,
        "region": board.region["figures"] if board.region else None,
        "ranking": [
            {**_department(r), "rank": r["rank"], "grade": r["grade"], "figures": r["figures"]}
            for r in board.ranked
        ],
        "too_few_cases_to_rank": [{**_department(r), "figures": r["figures"]} for r in board.unranked],
        "confirmed_violations": [violation_json(v) for v in violations],
    }


def violation_json(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "department": v["code"],
        "case": v["ref"],
        "power": v["power_code"],
        "kind": v["kind"],
        "level": v["level"],
        "status": v["status"],
        "since": v["since"].isoformat(),
        "detected_at": v["detected_at"].isoformat(),
        "rectify_by": v["due_at"].isoformat() if v["due_at"] else None,
    }


def card_json(card: DepartmentCard) -> dict[str, Any]:
    row = card.card
    return {
        "period": card.period.key,
        "months": list(card.period.months),
        "rank": row["rank"] if row else None,
        "grade": row["grade"] if row else None,
        "figures": row["figures"] if row else None,
        "trend": card.trend,
    }
