"""Choosing the language of each request: the visitor's cookie, the browser's header, the site default."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from tracker.i18n import activate, negotiate
from tracker.web.runtime import runtime


def request_language(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    rt = runtime(connection)
    return negotiate(
        connection.cookies.get(rt.cookies.language),
        connection.headers.get("accept-language"),
        rt.settings.language,
    )


class LanguageMiddleware(ASGIMiddleware):
    scopes = ("http",)  # type: ignore[assignment]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        activate(request_language(ASGIConnection(scope, receive)))
        await next_app(scope, receive, send)
