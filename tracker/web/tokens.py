"""API tokens: an admin manages every department's, an operator their own department's."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session, select

from powerlists.columns import utcnow
from powerlists.departments import by_code
from powerlists.models import Department
from tracker.accounts.guards import current_user, roles
from tracker.accounts.models import ApiToken, Role, User
from tracker.accounts.scope import can_see_department, get_in_scope, visible_department
from tracker.accounts.tokens import create_token, department_tokens, revoke
from tracker.i18n import gettext as _
from tracker.web.caching import NO_STORE
from tracker.web.flash import flash
from tracker.web.forms import DB, FormData, text


def _user(request: Request[Any, Any, Any]) -> User:
    user = current_user(request)
    assert user is not None  # the guard let only signed-in users through
    return user


class TokenController(Controller):
    path = "/tokens"
    guards = [roles(Role.admin, Role.operator)]
    include_in_schema = False

    @get("/", name="tokens", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any], db_session: DB) -> Template:
        return self._page(request, db_session, errors={}, new_secret=None, status=200)

    @post("/", name="token_create", sync_to_thread=True)
    def create(self, request: Request[Any, Any, Any], db_session: DB, data: FormData) -> Template:
        user = _user(request)
        name = text(data, "name")
        own = visible_department(user)
        department = (
            db_session.get(Department, own)
            if own is not None
            else by_code(db_session, text(data, "department"))
        )
        errors: dict[str, str] = {}
        if department is None or not can_see_department(user, department.id):  # type: ignore[arg-type]
            errors["department"] = _("Choose a department.")
        if not name:
            errors["name"] = _("Give the token a name, such as the system that will use it.")
        if errors or department is None:
            return self._page(request, db_session, errors=errors, new_secret=None, status=400)
        token, secret = create_token(db_session, department.id, name, utcnow(), user.id)  # type: ignore[arg-type]
        # The secret appears on this one answer and nowhere else: it is not stored.
        return self._page(request, db_session, errors={}, new_secret=(token, secret), status=201)

    @post("/{token_id:int}/revoke", name="token_revoke", sync_to_thread=True)
    def revoke(self, request: Request[Any, Any, Any], db_session: DB, token_id: FromPath[int]) -> Redirect:
        token = get_in_scope(db_session, ApiToken, token_id, _user(request))
        revoke(token, utcnow())
        db_session.add(token)
        flash(request, "success", _("Token %(name)s revoked.", name=token.name))
        return Redirect("/tokens")

    @staticmethod
    def _page(
        request: Request[Any, Any, Any],
        db: Session,
        *,
        errors: dict[str, str],
        new_secret: tuple[ApiToken, str] | None,
        status: int,
    ) -> Template:
        user = _user(request)
        own = visible_department(user)
        stmt = select(Department).order_by(Department.code)
        if own is not None:
            stmt = stmt.where(Department.id == own)
        departments = list(db.exec(stmt))
        return Template(
            "tokens/index.html",
            context={
                "tokens": department_tokens(db, own),
                "departments": departments,
                "department_names": {d.id: d for d in departments},
                "errors": errors,
                "new_secret": new_secret,
            },
            status_code=status,
            headers=NO_STORE,
        )
