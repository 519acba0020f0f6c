"""Server-side sign-in sessions.

The browser holds a random token; the database holds its SHA-256, so a leaked
database copy gives no live sessions. A token is only ever minted here, at
sign-in: an identifier sent by the client is never adopted (session fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from tracker.accounts.models import User, WebSession
from tracker.db import end_reading

# Writing last_seen_at on every request would make every page view a write.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    db: Session,
    user: User,
    now: datetime,
    policy: SessionPolicy,
    *,
    previous_token: str | None = None,
    ip: str = "",
    user_agent: str = "",
) -> str:
    """Open a new session for ``user`` and end the one the browser had before; returns the new token."""
    if previous_token:
        end_session(db, previous_token)
    token = secrets.token_urlsafe(32)
    db.add(
        WebSession(
            token_hash=token_hash(token),
            user_id=user.id,  # type: ignore[arg-type]
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.absolute,
            ip=ip[:64],
            user_agent=user_agent[:300],
        )
    )
    db.flush()
    return token


def load_session(
    db: Session, token: str, now: datetime, policy: SessionPolicy
) -> tuple[WebSession, User] | None:
    """The live session and its active user, or None (an ended session is deleted on sight)."""
    row = db.exec(
        select(WebSession, User).join(User).where(WebSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    web_session, user = row
    if now >= web_session.expires_at or now - web_session.last_seen_at >= policy.idle or not user.is_active:
        end_reading(db)
        db.delete(web_session)
        return None
    if now - web_session.last_seen_at >= TOUCH_INTERVAL:
        end_reading(db)
        web_session.last_seen_at = now
    return web_session, user


def end_session(db: Session, token: str) -> None:
    db.execute(delete(WebSession).where(col(WebSession.token_hash) == token_hash(token)))


def end_user_sessions(db: Session, user_id: int, *, keep_token: str | None = None) -> int:
    stmt = delete(WebSession).where(col(WebSession.user_id) == user_id)
    if keep_token:
        stmt = stmt.where(col(WebSession.token_hash) != token_hash(keep_token))
    return db.execute(stmt).rowcount  # type: ignore[attr-defined,no-any-return]


def purge_ended_sessions(db: Session, now: datetime, policy: SessionPolicy) -> int:
    """Delete sessions past their absolute or idle limit; returns how many."""
    result = db.execute(
        delete(WebSession).where(
            or_(col(WebSession.expires_at) <= now, col(WebSession.last_seen_at) <= now - policy.idle)
        )
    )
    return result.rowcount  # type: ignore[attr-defined,no-any-return]
