"""A supervisor hides a published comment (or shows it again), with a reason kept in the record.

The rating itself stays: its level still counts. Only the public stops seeing the comment.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from powerlists.messages import N_
from tracker.accounts.models import Role, User
from tracker.audit.chain import Change, append, utc_text
from tracker.ratings.models import Rating

MAX_REASON = 1000


class ModerationError(ValueError):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def set_hidden(db: Session, rating: Rating, *, hidden: bool, by: User, reason: str, now: datetime) -> None:
    if by.role not in (Role.supervisor, Role.admin):
        raise ModerationError(N_("Only supervisors hide or show comments."))
    reason = reason.strip()
    if not reason:
        raise ModerationError(N_("Write the reason: it is kept in the record."))
    if len(reason) > MAX_REASON:
        raise ModerationError(N_("The reason is too long (at most 1,000 characters)."))
    if hidden == (rating.hidden_at is not None):
        raise ModerationError(
            N_("The comment is already hidden.") if hidden else N_("The comment is not hidden.")
        )
    rating.hidden_at, rating.hidden_by, rating.hidden_reason = (
        (now, by.id, reason) if hidden else (None, None, "")
    )
    db.add(rating)
    db.flush()
    record = {
        "rating_id": rating.id,
        "case_id": rating.case_id,
        "action": "hide" if hidden else "show",
        "by": by.id,
        "reason": reason,
        "at": utc_text(now),
    }
    append(db, [Change("rating_moderation", str(rating.id), record)], at=now)
