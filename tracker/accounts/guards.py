"""Route guards: who may reach a handler. What they may *see* is decided by ``scope``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from tracker.accounts.models import Role, User
from tracker.accounts.principals import TokenAuth

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> User | None:
    user = connection.scope.get("user")
    return user if isinstance(user, User) else None


def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    if current_user(connection) is None:
        raise NotAuthorizedException()


def roles(*allowed: Role) -> Guard:
    def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        user = current_user(connection)
        if user is None:
            raise NotAuthorizedException()
        if user.role not in allowed:
            raise PermissionDeniedException()

    guard.__name__ = "roles_" + "_".join(r.value for r in allowed)
    return guard


admin_only = roles(Role.admin)


def api_token(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    if not isinstance(connection.scope.get("auth"), TokenAuth):
        raise NotAuthorizedException(
            "This endpoint needs a department API token: 'Authorization: Bearer <token>'."
        )
