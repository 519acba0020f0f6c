"""Response headers every answer carries: request id and security headers."""

from __future__ import annotations

import secrets
from typing import Any

from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
_STATIC_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
_HSTS = (b"strict-transport-security", b"max-age=31536000")


def request_id(scope: Scope | dict[str, Any]) -> str:
    """A short id for this request, shown on error pages and written to the log."""
    state = scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = secrets.token_hex(6)
    value = state["request_id"]
    assert isinstance(value, str)
    return value


def make_security_headers_hook(*, hsts: bool) -> Any:
    extra = (*_STATIC_HEADERS, _HSTS) if hsts else _STATIC_HEADERS

    # async: a synchronous hook would cost a thread hop for every ASGI message.
    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers", []))
        present = {name.lower() for name, _value in headers}
        headers.extend(h for h in extra if h[0] not in present)
        headers.append((b"x-request-id", request_id(scope).encode()))
        message["headers"] = headers

    return add_security_headers
