"""Everyone's inbox: their own messages only, newest first, in their language; a JSON twin."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from powerlists.columns import utcnow
from tracker.accounts.guards import current_user, signed_in
from tracker.accounts.models import User
from tracker.i18n import gettext as _
from tracker.notify.models import Notification
from tracker.notify.reading import inbox_select, mark_all_read, mark_read, own_message, unread_count
from tracker.notify.render import render
from tracker.notify.subscriptions import SUBSCRIBERS
from tracker.web.flash import flash
from tracker.web.forms import DB, safe_next
from tracker.web.pagination import paginate
from tracker.web.runtime import runtime


def _user(request: Request[Any, Any, Any]) -> User:
    user = current_user(request)
    assert user is not None and user.id is not None  # guarded
    return user


def _own(db: Session, request: Request[Any, Any, Any], notification_id: int) -> Notification:
    message = own_message(db, _user(request).id, notification_id)  # type: ignore[arg-type]
    if message is None:  # someone else's, or none: the same answer
        raise NotFoundException()
    return message


class InboxController(Controller):
    path = "/inbox"
    guards = [signed_in]
    include_in_schema = False

    @get("/", name="inbox", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        page: FromQuery[int] = 1,
        format: FromQuery[str] = "html",
    ) -> Template | Response[dict[str, Any]]:
        user = _user(request)
        found = paginate(db_session, inbox_select(user.id), page)  # type: ignore[arg-type]
        tz = runtime(request).settings.tz
        items = [(n, render(n, tz)) for n in found.items]
        unread = unread_count(db_session, user.id)  # type: ignore[arg-type]
        if format == "json":
            return Response(
                {
                    **found.as_dict(),
                    "unread": unread,
                    "messages": [
                        {
                            "id": n.id,
                            "subject": shown.subject,
                            "body": shown.body,
                            "link": n.link,
                            "created_at": n.created_at.isoformat(),
                            "read_at": n.read_at.isoformat() if n.read_at else None,
                        }
                        for n, shown in items
                    ],
                }
            )
        return Template(
            "inbox/index.html",
            context={
                "page": found,
                "items": items,
                "unread": unread,
                "may_subscribe": user.role in SUBSCRIBERS,
            },
            headers={"cache-control": "private, no-store"},
        )

    @post("/{notification_id:int}/read", name="inbox_read", sync_to_thread=True)
    def read(
        self, request: Request[Any, Any, Any], db_session: DB, notification_id: FromPath[int]
    ) -> Redirect:
        mark_read(db_session, _own(db_session, request, notification_id), utcnow())
        return Redirect("/inbox")

    # A POST, not a GET: reading changes state, and a GET must not (a foreign page could trigger it).
    @post("/{notification_id:int}/open", name="inbox_open", sync_to_thread=True)
    def open(
        self, request: Request[Any, Any, Any], db_session: DB, notification_id: FromPath[int]
    ) -> Redirect:
        message = _own(db_session, request, notification_id)
        mark_read(db_session, message, utcnow())
        return Redirect(safe_next(message.link, "/inbox"))

    @post("/read-all", name="inbox_read_all", sync_to_thread=True)
    def read_all(self, request: Request[Any, Any, Any], db_session: DB) -> Redirect:
        count = mark_all_read(db_session, _user(request).id, utcnow())  # type: ignore[arg-type]
        if count:
            flash(request, "success", _("All messages marked as read."))
        return Redirect("/inbox")
