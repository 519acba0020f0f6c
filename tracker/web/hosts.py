"""Allowed hosts: answer only to the names in TRACKER_ALLOWED_HOSTS, on any port.

Litestar's own check matches the Host header including its port, so
`127.0.0.1` would refuse `127.0.0.1:8000`; this one compares the name alone.
"""

from __future__ import annotations

from litestar.middleware import ASGIMiddleware
from litestar.response import Response
from litestar.types import ASGIApp, Receive, Scope, Send


def host_name(header: str) -> str:
    header = header.strip().lower()
    if header.startswith("["):  # IPv6 literal, with or without a port
        return header[: header.find("]") + 1] if "]" in header else header
    return header.rsplit(":", 1)[0] if ":" in header else header


class AllowedHostsMiddleware(ASGIMiddleware):
    scopes = ("http", "websocket")  # type: ignore[assignment]

    def __init__(self, allowed: tuple[str, ...]) -> None:
        self.allowed = frozenset(h.lower() for h in allowed)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        if host_name(host) not in self.allowed:
            response = Response({"detail": "invalid host header"}, status_code=400)
            await response.to_asgi_response(app=None, request=None)(scope, receive, send)  # type: ignore[arg-type]
            return
        await next_app(scope, receive, send)
