"""The public forms' rate limits (/rate, /complain): attempts per client address, counted in the
database by ``tracker.throttle`` so that the limit holds across web workers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException

from powerlists.columns import utcnow
from tracker.i18n import gettext as _
from tracker.throttle import allow, client_bucket
from tracker.web.runtime import runtime


def limit_attempts(request: Request[Any, Any, Any], name: str, limit: int, window: timedelta) -> None:
    """Count this attempt under ``name``; 429 with Retry-After once the address has had ``limit``."""
    ip = request.client.host if request.client else "unknown"
    if not allow(runtime(request).engine, client_bucket(name, ip), limit=limit, window=window, now=utcnow()):
        raise HTTPException(
            status_code=429,
            detail=_(
                "Too many attempts from your connection. Please wait %(minutes)d minutes and try again.",
                minutes=int(window.total_seconds() // 60),
            ),
            headers={"retry-after": str(int(window.total_seconds()))},
        )
