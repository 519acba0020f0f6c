"""Refuse a NUL character in the address: PostgreSQL cannot hold one in text, and no page,
search or code ever needs it. Checked once here, before any handler reads a path or a query
parameter (form fields are checked by ``tracker.web.forms.text``, event fields by the validator).
"""

from __future__ import annotations

from litestar.middleware import ASGIMiddleware
from litestar.response import Response
from litestar.types import ASGIApp, Receive, Scope, Send

NUL = "\x00"
MESSAGE = "The address holds a NUL character (%00), which no page accepts."


def holds_nul(scope: Scope) -> bool:
    query = scope.get("query_string", b"") or b""
    return NUL in scope.get("path", "") or b"%00" in query or b"\x00" in query


class NulMiddleware(ASGIMiddleware):
    scopes = ("http",)  # type: ignore[assignment]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if holds_nul(scope):
            response = Response({"status_code": 400, "detail": MESSAGE}, status_code=400)
            await response.to_asgi_response(app=None, request=None)(scope, receive, send)  # type: ignore[arg-type]
            return
        await next_app(scope, receive, send)
