"""Storing ratings: the comment masked for the public, the row written, the code spent.

Ratings arrive as ``rated`` case events through the one ingestion path (the API, files, and /rate,
which sends its form as an event), so each is on the case's timeline and in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from tracker.accounts.models import User
from tracker.cases.events import RatingIn
from tracker.cases.models import Case
from tracker.ratings.masking import Masked
from tracker.ratings.models import Rating, RatingKind

# Keys of a case's applicant record that hold a person's name (the departments' systems send these).
NOTHING_MASKED = Masked("", ())
_NAME_KEYS = ("name", "contact", "contact_name", "legal_representative", "agent", "姓名", "联系人")


def applicant_names(applicant: Mapping[str, Any] | None) -> list[str]:
    if not applicant:
        return []
    return [v.strip() for k, v in applicant.items() if k in _NAME_KEYS and isinstance(v, str) and v.strip()]


def department_names(db: Session, department_id: int) -> list[str]:
    """The names of the department's own people the tracker knows (its operators)."""
    found = db.exec(
        select(User.display_name).where(User.department_id == department_id, col(User.display_name) != "")
    )
    return [name for name in found if name]


def case_names(db: Session, case_id: int, department_id: int) -> list[str]:
    """The names a comment or a reply about this case must not publish."""
    case = db.get(Case, case_id)
    return department_names(db, department_id) + applicant_names(case.applicant if case else None)


def rated_cases(db: Session, case_ids: Iterable[int]) -> set[int]:
    """Those of ``case_ids`` that already have their rating."""
    ids = list(case_ids)
    if not ids:
        return set()
    found = db.exec(
        select(Rating.case_id).where(col(Rating.case_id).in_(ids), Rating.kind == RatingKind.rating)
    )
    return set(found)


def add_rating(
    db: Session,
    *,
    case_id: int,
    department_id: int,
    power_item_id: int | None,
    power_code: str,
    rating: RatingIn,
    masked: Masked,
    at: datetime,
    now: datetime,
) -> Rating:
    row = Rating(
        case_id=case_id,
        department_id=department_id,
        power_item_id=power_item_id,
        power_code=power_code,
        kind=RatingKind.rating,
        level=rating.level,
        comment=rating.comment,
        comment_public=masked.text,
        masked=list(masked.kinds),
        channel=rating.channel,
        rated_at=at,
        recorded_at=now,
        efficiency=rating.dimensions.get("efficiency"),
        guidance=rating.dimensions.get("guidance"),
        convenience=rating.dimensions.get("convenience"),
        attitude=rating.dimensions.get("attitude"),
    )
    db.add(row)
    return row
