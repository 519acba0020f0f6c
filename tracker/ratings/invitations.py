"""Rating invitations: one reminder for each decided case still unrated three days later.

``invite_due`` is the scheduler's idempotent step: a single INSERT … SELECT of the cases due that
have neither a rating nor an invitation, with the case as a unique key, so that two runs (or two
processes) never invite a case twice and a stopped scheduler catches up on its next run.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from tracker.cases.models import Case, CaseStatus
from tracker.ratings.models import Rating, RatingCode, RatingInvitation

AFTER = timedelta(days=3)
# Cases decided longer ago than this when the job first runs (or after a long stop) are left alone:
# an invitation weeks after the decision helps nobody.
LOOKBACK = timedelta(days=30)
FEED_LIMIT = 500


def invite_due(db: Session, now: datetime) -> int:
    """Record the invitations that fell due; returns how many were recorded."""
    case, rating, invitation = Case.__table__, Rating.__table__, RatingInvitation.__table__  # type: ignore[attr-defined]
    due = select(
        case.c.id, case.c.department_id, case.c.decided_at, literal(now, type_=invitation.c.invited_at.type)
    ).where(
        case.c.status == CaseStatus.decided.value,
        case.c.decided_at <= now - AFTER,
        case.c.decided_at > now - AFTER - LOOKBACK,
        ~exists().where(rating.c.case_id == case.c.id),
        ~exists().where(invitation.c.case_id == case.c.id),
    )
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    insert = (
        dialect.insert(invitation)
        .from_select(["case_id", "department_id", "decided_at", "invited_at"], due)
        .on_conflict_do_nothing(index_elements=["case_id"])
        .returning(invitation.c.id)  # counted from the rows: psycopg's rowcount is -1 for none
    )
    return len(db.execute(insert).all())


def feed(db: Session, department_id: int, *, after: int, limit: int) -> list[dict[str, Any]]:
    """The department's invitations after id ``after``, oldest first, with what its system needs
    to send them (no personal data: it has the applicant's contact itself)."""
    code = RatingCode.__table__  # type: ignore[attr-defined]
    rows = db.execute(
        select(
            col(RatingInvitation.id),
            col(Case.ref),
            col(RatingInvitation.decided_at),
            col(RatingInvitation.invited_at),
            exists().where(and_(code.c.case_id == col(Case.id), code.c.used_at.is_(None))).label("has_code"),
        )
        .join(Case, col(Case.id) == col(RatingInvitation.case_id))
        .where(col(RatingInvitation.department_id) == department_id, col(RatingInvitation.id) > after)
        .order_by(col(RatingInvitation.id))
        .limit(min(max(1, limit), FEED_LIMIT))
    )
    return [
        {
            "id": r.id,
            "case": r.ref,
            "decided_at": r.decided_at.isoformat(),
            "invited_at": r.invited_at.isoformat(),
            "has_code": bool(r.has_code),
        }
        for r in rows
    ]
