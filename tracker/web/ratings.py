"""The ratings workbench: supervisors read every department's ratings and hide comments that break
the rules; operators read their own department's (with the comments as written, to follow up)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session, select

from powerlists.columns import utcnow
from powerlists.departments import by_code
from powerlists.models import Department
from tracker.accounts.guards import current_user, roles
from tracker.accounts.models import Role, User
from tracker.accounts.scope import get_in_scope, visible_department
from tracker.i18n import gettext as _
from tracker.ratings.models import Rating
from tracker.ratings.moderation import ModerationError, set_hidden
from tracker.ratings.queries import rating_list
from tracker.web.flash import flash
from tracker.web.forms import DB, FormData, text
from tracker.web.pagination import paginate_rows


def _user(request: Request[Any, Any, Any]) -> User:
    user = current_user(request)
    assert user is not None  # guarded
    return user


class RatingsController(Controller):
    path = "/ratings"
    guards = [roles(Role.admin, Role.supervisor, Role.operator)]
    include_in_schema = False

    @get("/", name="ratings", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        department: FromQuery[str] = "",
        bad: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        user = _user(request)
        only = visible_department(user)
        chosen = by_code(db_session, department) if department and only is None else None
        stmt = rating_list(only_department=only, department_id=chosen.id if chosen else None, bad=bad == "1")
        return Template(
            "ratings/index.html",
            context={
                "page": paginate_rows(db_session, stmt, page),
                "department": department,
                "bad": bad == "1",
                "departments": []
                if only is not None
                else db_session.exec(select(Department).order_by(Department.code)).all(),
                "can_moderate": user.role in (Role.supervisor, Role.admin),
            },
            headers={"cache-control": "no-store"},
        )

    @post("/{rating_id:int}/hide", name="rating_hide", sync_to_thread=True)
    def hide(
        self, request: Request[Any, Any, Any], db_session: DB, rating_id: FromPath[int], data: FormData
    ) -> Redirect:
        return self._moderate(request, db_session, rating_id, data, hidden=True)

    @post("/{rating_id:int}/show", name="rating_show", sync_to_thread=True)
    def show(
        self, request: Request[Any, Any, Any], db_session: DB, rating_id: FromPath[int], data: FormData
    ) -> Redirect:
        return self._moderate(request, db_session, rating_id, data, hidden=False)

    @staticmethod
    def _moderate(
        request: Request[Any, Any, Any], db: Session, rating_id: int, data: dict[str, Any], *, hidden: bool
    ) -> Redirect:
        user = _user(request)
        rating = get_in_scope(db, Rating, rating_id, user)
        if user.role not in (Role.supervisor, Role.admin):
            raise PermissionDeniedException()  # departments follow their ratings up; they do not moderate
        try:
            set_hidden(db, rating, hidden=hidden, by=user, reason=text(data, "reason"), now=utcnow())
        except ModerationError as exc:
            flash(request, "error", _(exc.message))
            return Redirect(f"/ratings/#rating-{rating_id}")
        flash(request, "success", _("The comment is hidden.") if hidden else _("The comment is shown again."))
        return Redirect(f"/ratings/#rating-{rating_id}")
