"""The ratings workbench: supervisors read every department's ratings and hide comments that break
the rules; operators read their own department's (with the comments as written, to follow up)."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session, select

from powerlists.columns import utcnow
from powerlists.departments import by_code
from powerlists.models import Department
from tracker.accounts.guards import current_user, roles
from tracker.accounts.models import Role, User
from tracker.accounts.scope import get_in_scope, visible_department
from tracker.cases.models import Case
from tracker.exports.ratings import EXPORT_LIMIT, FIELDS, rating_rows
from tracker.i18n import gettext as _
from tracker.ratings import bad_reviews
from tracker.ratings.models import BadReview, Rating
from tracker.ratings.moderation import ModerationError, set_hidden
from tracker.ratings.queries import rating_list
from tracker.web.caching import NO_STORE
from tracker.web.downloads import check_table_format, table_download
from tracker.web.flash import flash
from tracker.web.forms import DB, FormData, text
from tracker.web.pagination import paginate_rows
from tracker.web.runtime import runtime

NAMES = [f.name for f in FIELDS]


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
        format: FromQuery[str] = "html",
    ) -> Response[Any]:
        user = _user(request)
        only = visible_department(user)
        found = paginate_rows(db_session, self._query(db_session, user, department, bad), page)
        if format == "json":
            tz = runtime(request).settings.tz
            items = [dict(zip(NAMES, row, strict=True)) for row in rating_rows(found.items, tz)]
            return Response({**found.as_dict(), "items": items}, headers=NO_STORE)
        return Template(
            "ratings/index.html",
            context={
                "page": found,
                "department": department,
                "bad": bad == "1",
                "departments": []
                if only is not None
                else db_session.exec(select(Department).order_by(Department.code)).all(),
                "can_moderate": user.role in (Role.supervisor, Role.admin),
            },
            headers=NO_STORE,
        )

    @staticmethod
    def _query(db: Session, user: User, department: str, bad: str) -> Any:
        """The workbench's one query, for the page, its JSON twin and the export."""
        only = visible_department(user)
        chosen = by_code(db, department) if department and only is None else None
        return rating_list(only_department=only, department_id=chosen.id if chosen else None, bad=bad == "1")

    @get("/export", name="ratings_export", sync_to_thread=True)
    def export(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        department: FromQuery[str] = "",
        bad: FromQuery[str] = "",
        format: FromQuery[str] = "xlsx",
    ) -> Response[bytes]:
        check_table_format(format)
        stmt = self._query(db_session, _user(request), department, bad).limit(EXPORT_LIMIT)
        rows = rating_rows(db_session.execute(stmt), runtime(request).settings.tz)
        return table_download(format, _("Ratings"), FIELDS, rows, "ratings")

    @get("/{rating_id:int}", name="rating", sync_to_thread=True)
    def detail(self, request: Request[Any, Any, Any], db_session: DB, rating_id: FromPath[int]) -> Template:
        return self._page(request, db_session, rating_id, {}, "", 200)

    @post("/{rating_id:int}/follow-up", name="rating_follow_up", sync_to_thread=True)
    def follow_up(
        self, request: Request[Any, Any, Any], db_session: DB, rating_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        user = _user(request)
        rating = get_in_scope(db_session, Rating, rating_id, user)
        review = db_session.exec(select(BadReview).where(BadReview.rating_id == rating.id)).first()
        if review is None:
            raise NotFoundException()
        form = {k: text(data, k) for k in ("contacted_on", "action", "reply")}
        try:
            contacted = date.fromisoformat(form["contacted_on"]) if form["contacted_on"] else None
        except ValueError:
            return self._page(request, db_session, rating_id, form, _("Write the date as YYYY-MM-DD."), 400)
        try:
            bad_reviews.follow_up(
                db_session,
                review,
                user,
                contacted_on=contacted,
                action=form["action"],
                reply=form["reply"],
                now=utcnow(),
                tz=runtime(request).settings.tz,
            )
        except bad_reviews.FollowUpError as exc:
            if user.role != Role.operator:
                raise PermissionDeniedException() from None
            return self._page(request, db_session, rating_id, form, _(exc.message, **exc.args_), 400)
        flash(request, "success", _("The follow-up is recorded and the reply published."))
        return Redirect(f"/ratings/{rating_id}")

    def _page(
        self,
        request: Request[Any, Any, Any],
        db: Session,
        rating_id: int,
        form: dict[str, str],
        error: str,
        status: int,
    ) -> Template:
        user = _user(request)
        rating = get_in_scope(db, Rating, rating_id, user)
        case = db.get(Case, rating.case_id)
        review = db.exec(select(BadReview).where(BadReview.rating_id == rating.id)).first()
        verdict = db.exec(select(Rating).where(Rating.follows_id == rating.id)).first()
        return Template(
            "ratings/detail.html",
            context={
                "r": rating,
                "case": case,
                "department": db.get(Department, rating.department_id),
                "review": review,
                "verdict": verdict,
                "overdue": review is not None and bad_reviews.is_overdue(review, utcnow()),
                "can_follow_up": user.role == Role.operator,
                "can_moderate": user.role in (Role.supervisor, Role.admin),
                "form": form,
                "error": error,
            },
            status_code=status,
            headers=NO_STORE,
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
            return Redirect(f"/ratings/{rating_id}")
        flash(request, "success", _("The comment is hidden.") if hidden else _("The comment is shown again."))
        return Redirect(f"/ratings/{rating_id}")
