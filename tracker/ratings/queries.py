"""Reading ratings: the workbench list (scoped) and the public comments of a department."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlmodel import Session, col

from powerlists.models import Department
from tracker.cases.models import Case
from tracker.ratings.models import BAD_LEVELS, BadReview, Rating, RatingKind

PUBLIC_COMMENTS = 10


def rating_list(*, only_department: int | None, department_id: int | None, bad: bool) -> Select[Any]:
    """Ratings newest first, with their case reference, department and bad review (one query)."""
    stmt = (
        select(Rating, col(Case.ref), Department, BadReview)
        .join(Case, col(Case.id) == col(Rating.case_id))
        .join(Department, col(Department.id) == col(Rating.department_id))
        .outerjoin(BadReview, col(BadReview.rating_id) == col(Rating.id))
        .where(col(Rating.kind) == RatingKind.rating)
        .order_by(col(Rating.rated_at).desc(), col(Rating.id).desc())
    )
    if only_department is not None:
        stmt = stmt.where(col(Rating.department_id) == only_department)
    elif department_id is not None:
        stmt = stmt.where(col(Rating.department_id) == department_id)
    if bad:
        stmt = stmt.where(col(Rating.level).in_([int(level) for level in BAD_LEVELS]))
    return stmt


def public_comments(db: Session, department_id: int, limit: int = PUBLIC_COMMENTS) -> list[dict[str, Any]]:
    """The latest masked comments the public may read: never the raw text, never a hidden one."""
    rows = db.execute(
        select(
            col(Rating.level),
            col(Rating.comment_public),
            col(Rating.rated_at),
            col(Rating.power_code),
            col(BadReview.reply),
        )
        .outerjoin(BadReview, col(BadReview.rating_id) == col(Rating.id))
        .where(
            col(Rating.department_id) == department_id,
            col(Rating.kind) == RatingKind.rating,
            col(Rating.hidden_at).is_(None),
            col(Rating.comment_public) != "",
        )
        .order_by(col(Rating.rated_at).desc(), col(Rating.id).desc())
        .limit(limit)
    )
    return [
        {"level": r[0], "comment": r[1], "rated_at": r[2], "power_code": r[3], "reply": r[4] or ""}
        for r in rows
    ]
