"""The JSON API (v1). It accepts department API tokens only, never cookies."""

from __future__ import annotations

from collections import Counter
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import Struct

from powerlists.columns import utcnow
from powerlists.departments import as_public_dict, by_code, list_departments, parent_code_map
from powerlists.models import Department
from powerlists.queries import item_detail
from tracker.accounts.guards import api_token
from tracker.accounts.principals import TokenAuth
from tracker.calendar_store import load_calendar
from tracker.cases.ingest import ingest
from tracker.db import begin_writing
from tracker.i18n import gettext as _
from tracker.ratings import invitations
from tracker.ratings.invitations import FEED_LIMIT
from tracker.web.dates import today
from tracker.web.forms import DB
from tracker.web.pagination import DEFAULT_PER_PAGE
from tracker.web.powers import detail_dict, item_row_dict, powers_page
from tracker.web.runtime import after_ingest, runtime

MAX_EVENTS = 1000
EVENTS_MAX_BYTES = 4 * 1024 * 1024  # 1,000 events with notes and applicant details


class DepartmentOut(Struct):
    code: str
    name: str
    name_en: str
    parent: str | None
    phone: str
    website: str


class TokenInfo(Struct):
    department: str
    token_id: int


class ApiController(Controller):
    path = "/api/v1"
    tags = ["api"]

    @get("/departments", sync_to_thread=True, summary="Every department, by code")
    def departments(self, db_session: DB) -> list[DepartmentOut]:
        parents = parent_code_map(db_session)
        return [DepartmentOut(**as_public_dict(d, parents)) for d in list_departments(db_session)]

    @get("/departments/{code:str}", sync_to_thread=True, summary="One department")
    def department(self, db_session: DB, code: FromPath[str]) -> DepartmentOut:
        department = by_code(db_session, code)
        if department is None:
            raise NotFoundException(f"No department has the code {code!r}.")
        return DepartmentOut(**as_public_dict(department, parent_code_map(db_session)))

    @get(
        "/powers",
        sync_to_thread=True,
        summary="Powers on the lists in force today (search, filter, paginate)",
    )
    def powers(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        q: FromQuery[str] = "",
        department: FromQuery[str] = "",
        category: FromQuery[str] = "",
        page: FromQuery[int] = 1,
        per_page: FromQuery[int] = DEFAULT_PER_PAGE,
    ) -> dict[str, Any]:
        result = powers_page(
            db_session,
            today(request),
            q=q,
            department=department,
            category=category,
            page=page,
            per_page=per_page,
        )
        return {**result.as_dict(), "items": [item_row_dict(item, dept) for item, dept in result.items]}

    @get("/powers/{code:str}", sync_to_thread=True, summary="One power with its steps and version history")
    def power(self, request: Request[Any, Any, Any], db_session: DB, code: FromPath[str]) -> dict[str, Any]:
        detail = item_detail(db_session, code, today(request))
        if detail is None:
            raise NotFoundException(f"No power in force has the code {code!r}.")
        return detail_dict(detail)

    @post(
        "/events",
        guards=[api_token],
        sync_to_thread=True,
        status_code=200,
        request_max_body_size=EVENTS_MAX_BYTES,
        summary="Report case events (up to 1,000 per call): each is stored, a duplicate, or rejected",
    )
    def events(
        self, request: Request[Any, Any, Any], db_session: DB, data: JSONBody[dict[str, Any]]
    ) -> dict[str, Any]:
        events = data.get("events")
        if not isinstance(events, list) or not events:
            raise ValidationException(_('Send {"events": [...]} with at least one event.'))
        if len(events) > MAX_EVENTS:
            raise ValidationException(_("Send at most %(max)d events per call.", max=MAX_EVENTS))
        auth = request.scope["auth"]
        assert isinstance(auth, TokenAuth)
        begin_writing(db_session)
        results = ingest(
            db_session,
            auth.department_id,
            events,
            now=utcnow(),
            channel="api",
            cal=load_calendar(db_session),
            tz=runtime(request).settings.tz,
        )
        # Committed here, in this worker thread, not by the before-send hook: that hook needs a
        # worker thread of its own, and on SQLite the threads of other batches waiting for this
        # one's write lock can take them all until their busy timeout.
        db_session.commit()
        counts = Counter(r.status for r in results)
        if counts["stored"]:
            after_ingest(request)
        return {
            "stored": counts["stored"],
            "duplicates": counts["duplicate"],
            "rejected": counts["rejected"],
            "results": [r.as_dict(_) for r in results],
        }

    @get(
        "/token",
        guards=[api_token],
        sync_to_thread=True,
        summary="The department the presented API token belongs to (to check a token works)",
    )
    def token(self, request: Request[Any, Any, Any], db_session: DB) -> TokenInfo:
        auth = request.scope["auth"]
        assert isinstance(auth, TokenAuth)
        department = db_session.get(Department, auth.department_id)
        assert department is not None
        return TokenInfo(department=department.code, token_id=auth.token_id)

    @get(
        "/rating-invitations",
        guards=[api_token],
        sync_to_thread=True,
        summary="Decided cases unrated three days later: invite each applicant once (after=last id seen)",
    )
    def rating_invitations(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        after: FromQuery[int] = 0,
        limit: FromQuery[int] = FEED_LIMIT,
    ) -> dict[str, Any]:
        auth = request.scope["auth"]
        assert isinstance(auth, TokenAuth)
        items = invitations.feed(db_session, auth.department_id, after=after, limit=limit)
        return {"items": items, "next_after": items[-1]["id"] if items else after}
