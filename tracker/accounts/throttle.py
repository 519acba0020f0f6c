"""Sign-in throttling per account and per client address.

An account is locked for the rest of the window after ``max_failures`` failed
attempts since its last success; an address after four times as many failures,
whatever accounts they aimed at (password spraying).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from tracker.accounts.models import LoginAttempt

PER_ADDRESS_FACTOR = 4


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta


def _retry_after(
    failure_times: list[datetime], limit: int, window: timedelta, now: datetime
) -> timedelta | None:
    if len(failure_times) < limit:
        return None
    # The lock lifts when the oldest failure that still counts leaves the window.
    oldest_counting = sorted(failure_times, reverse=True)[limit - 1]
    return max(oldest_counting + window - now, timedelta(seconds=1))


def locked_for(db: Session, email: str, ip: str, now: datetime, policy: ThrottlePolicy) -> timedelta | None:
    """How long sign-in stays refused for this account or address, or None when it is allowed."""
    since = now - policy.window
    last_success = db.exec(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email, col(LoginAttempt.success).is_(True), LoginAttempt.at > since
        )
    ).one()
    account_since = max(since, last_success) if last_success else since
    account_failures = list(
        db.exec(
            select(LoginAttempt.at).where(
                LoginAttempt.email == email,
                col(LoginAttempt.success).is_(False),
                LoginAttempt.at > account_since,
            )
        )
    )
    address_failures = list(
        db.exec(
            select(LoginAttempt.at).where(
                LoginAttempt.ip == ip, col(LoginAttempt.success).is_(False), LoginAttempt.at > since
            )
        )
    )
    waits = [
        w
        for w in (
            _retry_after(account_failures, policy.max_failures, policy.window, now),
            _retry_after(address_failures, policy.max_failures * PER_ADDRESS_FACTOR, policy.window, now),
        )
        if w is not None
    ]
    return max(waits) if waits else None


def minutes(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds() / 60))


def record_attempt(db: Session, email: str, ip: str, now: datetime, success: bool) -> None:
    db.add(LoginAttempt(email=email[:254], ip=ip[:64], at=now, success=success))


def purge_old_attempts(db: Session, now: datetime, keep: timedelta) -> int:
    result = db.execute(delete(LoginAttempt).where(col(LoginAttempt.at) < now - keep))
    return result.rowcount  # type: ignore[attr-defined,no-any-return]
