"""Per-department API tokens: shown once, stored as SHA-256, refused the moment they are revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from tracker.accounts.models import ApiToken
from tracker.db import end_reading

TOKEN_PREFIX = "trk_"  # noqa: S105 - a public marker, not a secret
TOUCH_INTERVAL = timedelta(minutes=5)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    db: Session, department_id: int, name: str, now: datetime, created_by_id: int | None
) -> tuple[ApiToken, str]:
    """A new token and its secret; the secret is never stored and cannot be shown again."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        department_id=department_id,
        name=name.strip()[:100],
        prefix=secret[:12],
        token_hash=_hash(secret),
        created_by_id=created_by_id,
        created_at=now,
    )
    db.add(token)
    db.flush()
    return token, secret


def authenticate_token(db: Session, secret: str, now: datetime) -> ApiToken | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.exec(select(ApiToken).where(ApiToken.token_hash == _hash(secret))).first()
    if token is None or token.revoked_at is not None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        end_reading(db)
        token.last_used_at = now
    return token


def department_tokens(db: Session, department_id: int | None) -> list[ApiToken]:
    stmt = select(ApiToken).order_by(col(ApiToken.revoked_at).is_not(None), col(ApiToken.created_at).desc())
    if department_id is not None:
        stmt = stmt.where(ApiToken.department_id == department_id)
    return list(db.exec(stmt))


def revoke(token: ApiToken, now: datetime) -> None:
    if token.revoked_at is None:
        token.revoked_at = now
