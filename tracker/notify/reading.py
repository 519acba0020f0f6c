"""Reading one's inbox: the unread count, the newest messages first, marking them read.

Every function takes the reader's id and touches only their messages: another user's message is
"not found", never shown.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from tracker.notify.models import Notification

_notification = Notification.__table__  # type: ignore[attr-defined]


def unread_count(db: Session, user_id: int) -> int:
    """For the header of every page: one COUNT over ix_notification_user_read."""
    query = select(func.count()).where(
        col(Notification.user_id) == user_id, col(Notification.read_at).is_(None)
    )
    return int(db.exec(query).one())


def inbox_select(user_id: int) -> SelectOfScalar[Notification]:
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
    )


def own_message(db: Session, user_id: int, notification_id: int) -> Notification | None:
    row = db.get(Notification, notification_id)
    return row if row is not None and row.user_id == user_id else None


def mark_read(db: Session, message: Notification, now: datetime) -> None:
    if message.read_at is None:
        message.read_at = now
        db.add(message)
        db.flush()


def mark_all_read(db: Session, user_id: int, now: datetime) -> int:
    """Returns how many were unread."""
    result = db.execute(
        update(_notification)
        .where(_notification.c.user_id == user_id, _notification.c.read_at.is_(None))
        .values(read_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
