"""One-time messages shown on the next page ("Department saved."), carried in a signed cookie."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from litestar.connection import ASGIConnection

from tracker.web.cookie_queue import queue_cookie
from tracker.web.cookies import make_cookie
from tracker.web.runtime import runtime

KINDS = ("success", "info", "warning", "error")


def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), b"flash\x00" + payload, hashlib.sha256).hexdigest()[:32]


def flash(connection: ASGIConnection[Any, Any, Any, Any], kind: str, message: str) -> None:
    assert kind in KINDS
    rt = runtime(connection)
    pending: list[list[str]] = connection.scope["state"].setdefault("flash_out", [])
    pending.append([kind, message])
    payload = base64.urlsafe_b64encode(json.dumps(pending, ensure_ascii=False).encode()).decode()
    value = payload + "." + _sign(rt.settings.secret_key, payload.encode())
    queue_cookie(connection.scope, make_cookie(rt.settings, rt.cookies.flash, value, max_age=300))


def take_flashes(connection: ASGIConnection[Any, Any, Any, Any]) -> list[tuple[str, str]]:
    """The messages left for this page (and a cookie that clears them), or []."""
    rt = runtime(connection)
    raw = connection.cookies.get(rt.cookies.flash)
    state = connection.scope["state"]
    if not raw or state.get("flash_taken"):
        return []
    state["flash_taken"] = True
    queue_cookie(connection.scope, make_cookie(rt.settings, rt.cookies.flash, "", max_age=0))
    payload, _sep, signature = raw.rpartition(".")
    if not hmac.compare_digest(signature, _sign(rt.settings.secret_key, payload.encode())):
        return []
    try:
        items = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, TypeError):
        return []
    return [(str(k), str(m)) for k, m in items if k in KINDS]
