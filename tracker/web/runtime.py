"""What every request needs from the running app: settings, the engine, cookie names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from litestar.connection import ASGIConnection
from sqlalchemy import Engine

from tracker.accounts.sessions import SessionPolicy
from tracker.accounts.throttle import ThrottlePolicy
from tracker.settings import Settings
from tracker.web.cookies import CookieNames


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    cookies: CookieNames

    @property
    def session_policy(self) -> SessionPolicy:
        return SessionPolicy(
            idle=timedelta(minutes=self.settings.session_idle_minutes),
            absolute=timedelta(hours=self.settings.session_max_hours),
        )

    @property
    def throttle_policy(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            max_failures=self.settings.login_max_failures,
            window=timedelta(minutes=self.settings.login_window_minutes),
        )


def runtime(connection: ASGIConnection) -> Runtime:  # type: ignore[type-arg]
    value = connection.app.state.runtime
    assert isinstance(value, Runtime)
    return value


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def after_ingest(connection: ASGIConnection) -> None:  # type: ignore[type-arg]
    """Tell the in-process scheduler (when there is one) that events were stored: it scans them now."""
    scan_soon = getattr(connection.app.state, "after_ingest", None)
    if scan_soon is not None:
        scan_soon()
