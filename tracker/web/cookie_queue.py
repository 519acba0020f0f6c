"""Cookies decided outside a handler (by middleware or a template) and sent with the response."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import Cookie
from litestar.types import Message, Scope

_KEY = "queued_cookies"


def queue_cookie(scope: Scope | dict[str, Any], cookie: Cookie) -> None:
    scope.setdefault("state", {}).setdefault(_KEY, []).append(cookie)


async def add_queued_cookies(message: Message, scope: Scope) -> None:
    """before_send hook: put queued cookies on the response start message (async: no thread hop)."""
    if message["type"] != "http.response.start":
        return
    cookies: list[Cookie] = scope.get("state", {}).get(_KEY, [])
    if cookies:
        headers = list(message.get("headers", []))
        headers.extend((b"set-cookie", c.to_header(header="").strip().encode("latin-1")) for c in cookies)
        message["headers"] = headers
