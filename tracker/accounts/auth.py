"""Authentication middleware: browser pages by session cookie, the JSON API by bearer token.

The two never mix: API paths ignore cookies (a page cannot ride a user's session
into the API), and pages ignore Authorization headers.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from powerlists.columns import utcnow
from tracker.accounts.principals import BrowserAuth, TokenAuth
from tracker.accounts.sessions import load_session
from tracker.accounts.tokens import authenticate_token
from tracker.db import session_factory
from tracker.web.cookie_queue import queue_cookie
from tracker.web.cookies import make_cookie
from tracker.web.runtime import is_api_path, runtime


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
            with session_factory(rt.engine)() as db:
                token = authenticate_token(db, secret.strip(), utcnow())
                if token is None:
                    raise NotAuthorizedException("The API token is unknown or revoked.")
                db.commit()
                return AuthenticationResult(user=None, auth=TokenAuth(token.id, token.department_id))  # type: ignore[arg-type]
        cookie = connection.cookies.get(rt.cookies.session)
        if not cookie:
            return AuthenticationResult(user=None, auth=None)
        with session_factory(rt.engine)() as db:
            found = load_session(db, cookie, utcnow(), rt.session_policy)
            db.commit()
        if found is None:
            # An ended or unknown session: tell the browser to forget the cookie.
            queue_cookie(connection.scope, make_cookie(rt.settings, rt.cookies.session, "", max_age=0))
            return AuthenticationResult(user=None, auth=None)
        _web_session, user = found
        return AuthenticationResult(user=user, auth=BrowserAuth(cookie))
