"""Supervisors choose which new flags reach their inbox: a department (or all) and a kind (or all)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session, select

from powerlists.columns import utcnow
from powerlists.departments import by_code
from powerlists.models import Department
from tracker.accounts.guards import current_user, roles
from tracker.accounts.models import Role, User
from tracker.flags.queries import KINDS
from tracker.i18n import gettext as _
from tracker.notify.subscriptions import (
    ALL_DEPARTMENTS,
    SubscriptionError,
    subscribe,
    subscriptions_of,
    unsubscribe,
)
from tracker.web.flash import flash
from tracker.web.forms import DB, FormData, text


def _user(request: Request[Any, Any, Any]) -> User:
    user = current_user(request)
    assert user is not None  # guarded
    return user


def _page(db: Session, user: User, errors: dict[str, str], status: int) -> Template:
    departments = list(db.exec(select(Department).order_by(Department.code)))
    return Template(
        "subscriptions/index.html",
        context={
            "subscriptions": subscriptions_of(db, user),
            "departments": departments,
            "by_id": {d.id: d for d in departments},
            "kinds": KINDS,
            "errors": errors,
        },
        status_code=status,
    )


class SubscriptionsController(Controller):
    path = "/subscriptions"
    guards = [roles(Role.admin, Role.supervisor)]
    include_in_schema = False

    @get("/", name="subscriptions", sync_to_thread=True)
    def index(
        self, request: Request[Any, Any, Any], db_session: DB, format: FromQuery[str] = "html"
    ) -> Template | Response[dict[str, Any]]:
        user = _user(request)
        if format == "json":
            codes = {d.id: d.code for d in db_session.exec(select(Department))}
            return Response(
                {
                    "subscriptions": [
                        {"id": s.id, "department": codes.get(s.department_id), "kind": s.kind or None}
                        for s in subscriptions_of(db_session, user)
                    ]
                }
            )
        return _page(db_session, user, {}, 200)

    @post("/", name="subscription_add", sync_to_thread=True)
    def add(self, request: Request[Any, Any, Any], db_session: DB, data: FormData) -> Template | Redirect:
        user = _user(request)
        code = text(data, "department")
        department = by_code(db_session, code) if code else None
        if code and department is None:
            return _page(db_session, user, {"department": _("Choose a department.")}, 400)
        try:
            subscribe(
                db_session,
                user,
                department.id if department else ALL_DEPARTMENTS,  # type: ignore[arg-type]
                text(data, "kind"),
                utcnow(),
            )
        except SubscriptionError as exc:
            db_session.rollback()
            return _page(db_session, user, {"kind": _(exc.message, **exc.args_)}, 400)
        flash(request, "success", _("Subscribed."))
        return Redirect("/subscriptions")

    @post("/{subscription_id:int}/delete", name="subscription_delete", sync_to_thread=True)
    def delete(
        self, request: Request[Any, Any, Any], db_session: DB, subscription_id: FromPath[int]
    ) -> Redirect:
        if not unsubscribe(db_session, _user(request), subscription_id):
            raise NotFoundException()
        flash(request, "success", _("Unsubscribed."))
        return Redirect("/subscriptions")
