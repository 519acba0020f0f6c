"""Today's date where the product runs (TRACKER_TIMEZONE), for 'in force today' questions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar.connection import ASGIConnection

from tracker.web.runtime import runtime


def today(connection: ASGIConnection[Any, Any, Any, Any]) -> date:
    return datetime.now(runtime(connection).settings.tz).date()
