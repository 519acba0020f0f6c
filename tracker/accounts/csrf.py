"""CSRF protection for every form, bound to the session.

A token is an HMAC of what identifies the browser: the session token when signed
in, otherwise a random seed kept in an HttpOnly cookie (for the sign-in form).
A token minted for one browser is worthless in another. Unsafe requests must also
not come from another site (Sec-Fetch-Site / Origin). The JSON API is exempt: it
accepts bearer tokens only, which a browser never sends on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from tracker.accounts.principals import BrowserAuth
from tracker.i18n import gettext as _
from tracker.web.cookie_queue import queue_cookie
from tracker.web.cookies import make_cookie
from tracker.web.runtime import is_api_path, runtime

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SEED_STATE = "csrf_seed"


def _sign(secret: str, binding: str) -> str:
    return hmac.new(secret.encode(), b"csrf\x00" + binding.encode(), hashlib.sha256).hexdigest()


def _binding(request: Request[Any, Any, Any], *, create: bool) -> str | None:
    auth = request.scope.get("auth")
    if isinstance(auth, BrowserAuth):
        return "session:" + auth.token
    rt = runtime(request)
    state = request.scope["state"]
    seed = state.get(_SEED_STATE) or request.cookies.get(rt.cookies.csrf)
    if not seed and create:
        seed = secrets.token_urlsafe(32)
        queue_cookie(request.scope, make_cookie(rt.settings, rt.cookies.csrf, seed))
    if seed:
        state[_SEED_STATE] = seed
        return "anonymous:" + seed
    return None


def csrf_token(request: Request[Any, Any, Any]) -> str:
    """The token to put in a form rendered for this browser."""
    binding = _binding(request, create=True)
    assert binding is not None
    return _sign(runtime(request).settings.secret_key, binding)


def _same_site(request: Request[Any, Any, Any]) -> bool:
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in {"same-origin", "none"}:
        return False
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        return urlsplit(origin).netloc == host
    return origin != "null"


class CsrfMiddleware(ASGIMiddleware):
    scopes = ("http",)  # type: ignore[assignment]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["method"] not in SAFE_METHODS and not is_api_path(scope["path"]):  # type: ignore[typeddict-item]
            request: Request[Any, Any, Any] = Request(scope, receive)
            await self._verify(request)
        await next_app(scope, receive, send)

    async def _verify(self, request: Request[Any, Any, Any]) -> None:
        if not _same_site(request):
            raise PermissionDeniedException(_("This form was sent from another site and was refused."))
        sent = request.headers.get(HEADER)
        if sent is None:
            content_type = request.headers.get("content-type", "")
            if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                value = (await request.form()).get(FIELD)
                sent = value if isinstance(value, str) else None
        binding = _binding(request, create=False)
        expected = _sign(runtime(request).settings.secret_key, binding) if binding else None
        if not sent or expected is None or not hmac.compare_digest(sent, expected):
            raise PermissionDeniedException(
                _("The form has expired or was not sent from this site. Reload the page and try again.")
            )
