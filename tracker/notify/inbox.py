"""Sending a notification: one inbox message per recipient and event, and its e-mail when SMTP is on.

``key`` names the event (``flag:12:new``, ``reminder:flag:12:explanation:2026-11-27``). The unique
key (user, key) makes every sender idempotent: a job that runs twice, or a reminder sent again on
the same day, adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from tracker.accounts.models import Role, User
from tracker.bulk import insert_returning_ids, one_of
from tracker.notify.models import Notification, OutboxMessage
from tracker.notify.render import email_text
from tracker.settings import Settings

_notification_table = Notification.__table__  # type: ignore[attr-defined]
_outbox_table = OutboxMessage.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Message:
    """What to say: English message ids (marked with N_) and their arguments."""

    subject: str
    body: str
    args: dict[str, Any] = field(default_factory=dict)
    link: str = ""


def department_operators(db: Session, department_id: int) -> list[User]:
    stmt = select(User).where(
        col(User.department_id) == department_id, col(User.role) == Role.operator, col(User.is_active)
    )
    return list(db.exec(stmt))


def supervisors(db: Session) -> list[User]:
    stmt = select(User).where(one_of(db, col(User.role), [Role.supervisor, Role.admin]), col(User.is_active))
    return list(db.exec(stmt))


def notify(
    db: Session,
    users: Iterable[User],
    key: str,
    message: Message,
    *,
    now: datetime,
    settings: Settings | None = None,
) -> int:
    """Put ``message`` in each user's inbox unless it is there already; returns how many were new.

    With ``settings`` whose SMTP is on (TRACKER_SMTP_URL), each new inbox message also gets an
    outbox row with the same key: the e-mail, written once in the site's language. The caller
    commits.
    """
    recipients = {u.id: u for u in users if u.id is not None}
    if not recipients:
        return 0
    have = set(
        db.exec(
            select(col(Notification.user_id)).where(
                col(Notification.key) == key, one_of(db, col(Notification.user_id), list(recipients))
            )
        )
    )
    fresh = [recipients[uid] for uid in sorted(recipients) if uid not in have]
    if not fresh:
        return 0
    rows = [
        {
            "user_id": u.id,
            "key": key,
            "subject": message.subject,
            "body": message.body,
            "args": message.args,
            "link": message.link,
            "created_at": now,
            "read_at": None,
        }
        for u in fresh
    ]
    ids = insert_returning_ids(db, _notification_table, rows, "user_id")
    if settings is not None and settings.smtp_url:
        subject, body = email_text(message, settings)
        db.execute(
            _outbox_table.insert(),
            [
                {
                    "notification_id": ids[u.id],
                    "to_address": u.email,
                    "subject": subject,
                    "body": body,
                    "created_at": now,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "sent_at": None,
                    "last_error": "",
                }
                for u in fresh
            ],
        )
    return len(fresh)
