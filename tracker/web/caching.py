"""Cache headers for public pages: shared caches may keep what an anonymous visitor sees, never a
signed-in user's page (its header names the user and their inbox)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from tracker.accounts.guards import current_user

PUBLIC_SECONDS = 300
# A page for one visitor (a form with its token, a complaint's secret, the workbench): kept by no cache.
NO_STORE = {"cache-control": "no-store"}


def public_headers(request: Request[Any, Any, Any], seconds: int = PUBLIC_SECONDS) -> dict[str, str]:
    if current_user(request) is not None:
        return {"cache-control": "private, no-cache"}
    # The language comes from the cookie or the browser's header.
    return {"cache-control": f"public, max-age={seconds}", "vary": "Cookie, Accept-Language"}
