"""Authentication middleware: browser pages by session cookie, the JSON API by bearer token.

The two never mix: API paths ignore cookies (a page cannot ride a user's session
into the API), and pages ignore Authorization headers.
"""

from __future__ import annotations

from anyio import to_thread
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import Engine

from powerlists.columns import utcnow
from tracker.accounts.models import ApiToken, User, WebSession
from tracker.accounts.principals import BrowserAuth, TokenAuth
from tracker.accounts.sessions import SessionPolicy, load_session
from tracker.accounts.tokens import authenticate_token
from tracker.db import session_factory
from tracker.web.cookie_queue import queue_cookie
from tracker.web.cookies import make_cookie
from tracker.web.runtime import is_api_path, runtime

# The database work runs in a worker thread: on SQLite a write may wait for another writer's lock,
# which must not stall the event loop and every other request with it.


def _token(engine: Engine, secret: str) -> ApiToken | None:
    with session_factory(engine)() as db:
        token = authenticate_token(db, secret, utcnow())
        db.commit()
        return token


def _session(engine: Engine, cookie: str, policy: SessionPolicy) -> tuple[WebSession, User] | None:
    with session_factory(engine)() as db:
        found = load_session(db, cookie, utcnow(), policy)
        db.commit()
        return found


class AuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:  # type: ignore[type-arg]
        rt = runtime(connection)
        if is_api_path(connection.scope["path"]):
            header = connection.headers.get("authorization", "")
            if not header:
                return AuthenticationResult(user=None, auth=None)
            scheme, _sep, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                raise NotAuthorizedException("Use 'Authorization: Bearer <token>'.")
            token = await to_thread.run_sync(_token, rt.engine, secret.strip())
            if token is None:
                raise NotAuthorizedException("The API token is unknown or revoked.")
            return AuthenticationResult(user=None, auth=TokenAuth(token.id, token.department_id))  # type: ignore[arg-type]
        cookie = connection.cookies.get(rt.cookies.session)
        if not cookie:
            return AuthenticationResult(user=None, auth=None)
        found = await to_thread.run_sync(_session, rt.engine, cookie, rt.session_policy)
        if found is None:
            # An ended or unknown session: tell the browser to forget the cookie.
            queue_cookie(connection.scope, make_cookie(rt.settings, rt.cookies.session, "", max_age=0))
            return AuthenticationResult(user=None, auth=None)
        _web_session, user = found
        return AuthenticationResult(user=user, auth=BrowserAuth(cookie))
