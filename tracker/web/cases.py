"""Case pages: the scoped list, one case's timeline, the operator's forms to open a case and record events.

Operators see and change only their department's cases; supervisors and admins read every case.
The forms go through the same validator and rules as the JSON API.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session, col, select

from powerlists.columns import utcnow
from powerlists.departments import by_code
from powerlists.importer import version_in_force
from powerlists.models import Department, PowerItem
from tracker.accounts.guards import current_user, roles
from tracker.accounts.models import Role, User
from tracker.accounts.scope import get_in_scope, visible_department
from tracker.calendar_store import load_calendar
from tracker.cases.ingest import RATING_EVENTS, EventResult, ingest
from tracker.cases.models import Case, CaseStatus, EventType, Outcome, SuspendReason
from tracker.cases.queries import case_list, late, timeline
from tracker.db import begin_writing
from tracker.i18n import gettext as _
from tracker.ratings.codes import generate
from tracker.ratings.models import Rating, RatingCode, RatingKind
from tracker.web.caching import NO_STORE
from tracker.web.dates import today
from tracker.web.flash import flash
from tracker.web.forms import DB, FormData, text
from tracker.web.pagination import paginate_rows
from tracker.web.runtime import after_ingest, runtime

EVENT_FIELDS = ("type", "at", "step", "reason", "outcome", "amount", "note")


def _user(request: Request[Any, Any, Any]) -> User:
    user = current_user(request)
    assert user is not None  # guarded
    return user


def _record(
    request: Request[Any, Any, Any], db: Session, department_id: int, event: dict[str, Any]
) -> EventResult:
    """One event from a form, through the same rules as the API; an empty field means absent."""
    clean = {k: v for k, v in event.items() if v not in ("", None)}
    if "step" in clean:
        clean["step"] = int(clean["step"]) if str(clean["step"]).isdigit() else clean["step"]
    rt = runtime(request)
    begin_writing(db)
    result = ingest(
        db, department_id, [clean], now=utcnow(), channel="form", cal=load_calendar(db), tz=rt.settings.tz
    )[0]
    db.commit()  # in this worker thread, as the API does (see there)
    if result.status == "stored":
        after_ingest(request)
    return result


def _listed_items(db: Session, department_id: int, request: Request[Any, Any, Any]) -> list[PowerItem]:
    power_list = version_in_force(db, department_id, today(request))
    if power_list is None:
        return []
    return list(
        db.exec(select(PowerItem).where(PowerItem.list_id == power_list.id).order_by(col(PowerItem.position)))
    )


class CasesController(Controller):
    path = "/cases"
    guards = [roles(Role.admin, Role.supervisor, Role.operator)]
    include_in_schema = False

    @get("/", name="cases", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        status: FromQuery[str] = "",
        department: FromQuery[str] = "",
        q: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        user = _user(request)
        only = visible_department(user)
        chosen = by_code(db_session, department) if department and only is None else None
        stmt = case_list(
            only_department=only, department_id=chosen.id if chosen else None, status=status, q=q
        )
        found = paginate_rows(db_session, stmt, page)
        now = utcnow()
        rows = []
        for c, d in found.items:
            done = c.decided_at or c.withdrawn_at
            rows.append((c, d, late(c.promised_due_at, done, now), late(c.statutory_due_at, done, now)))
        return Template(
            "cases/index.html",
            context={
                "page": found,
                "rows": rows,
                "status": status,
                "department": department,
                "q": q,
                "statuses": [s.value for s in CaseStatus],
                "departments": []
                if only is not None
                else db_session.exec(select(Department).order_by(Department.code)).all(),
                "can_open": user.role == Role.operator,
            },
        )

    @get("/new", name="case_new", sync_to_thread=True)
    def new(self, request: Request[Any, Any, Any], db_session: DB) -> Template:
        return self._new_page(request, db_session, {}, "", 200)

    @post("/new", name="case_create", sync_to_thread=True)
    def create(self, request: Request[Any, Any, Any], db_session: DB, data: FormData) -> Template | Redirect:
        user = _user(request)
        if user.role != Role.operator or user.department_id is None:
            raise PermissionDeniedException()
        form = {k: text(data, k) for k in ("ref", "power", "at", "applicant_name", "applicant_phone")}
        applicant = {
            k: v for k, v in (("name", form["applicant_name"]), ("phone", form["applicant_phone"])) if v
        }
        event: dict[str, Any] = {
            "case": form["ref"],
            "type": "received",
            "at": form["at"],
            "power": form["power"],
        }
        if applicant:
            event["applicant"] = applicant
        result = _record(request, db_session, user.department_id, event)
        if result.status != "stored":
            return self._new_page(
                request, db_session, form, _(result.reason, **(result.reason_args or {})), 400
            )
        case = db_session.exec(
            select(Case).where(Case.department_id == user.department_id, Case.ref == form["ref"])
        ).one()
        flash(request, "success", _("Case %(ref)s opened.", ref=case.ref))
        return Redirect(f"/cases/{case.id}")

    @get("/{case_id:int}", name="case", sync_to_thread=True)
    def detail(self, request: Request[Any, Any, Any], db_session: DB, case_id: FromPath[int]) -> Template:
        return self._case_page(request, db_session, case_id, {}, "", 200)

    @post("/{case_id:int}/events", name="case_event", sync_to_thread=True)
    def record(
        self, request: Request[Any, Any, Any], db_session: DB, case_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        user = _user(request)
        case = get_in_scope(db_session, Case, case_id, user)
        if user.role != Role.operator:
            raise PermissionDeniedException()  # supervisors and admins read; departments report
        form = {k: text(data, k) for k in EVENT_FIELDS}
        result = _record(request, db_session, case.department_id, {"case": case.ref, **form})
        if result.status != "stored":
            message = _(result.reason, **(result.reason_args or {})) if result.reason else _("Not stored.")
            return self._case_page(request, db_session, case_id, form, message, 400)
        flash(request, "success", _("Event recorded."))
        return Redirect(f"/cases/{case_id}")

    @post("/{case_id:int}/rating-code", name="case_rating_code", sync_to_thread=True)
    def rating_code(
        self, request: Request[Any, Any, Any], db_session: DB, case_id: FromPath[int]
    ) -> Template:
        """A new code for the applicant, shown once on the page that answers (never in a cookie)."""
        user = _user(request)
        case = get_in_scope(db_session, Case, case_id, user)
        if user.role != Role.operator:
            raise PermissionDeniedException()
        code = generate()
        event = {"case": case.ref, "type": "rating_code_issued", "at": utcnow().isoformat(), "code": code}
        result = _record(request, db_session, case.department_id, event)
        if result.status != "stored":
            message = _(result.reason, **(result.reason_args or {})) if result.reason else _("Not stored.")
            return self._case_page(request, db_session, case_id, {}, message, 400)
        return self._case_page(request, db_session, case_id, {}, "", 200, new_code=code)

    @staticmethod
    def _new_page(
        request: Request[Any, Any, Any], db: Session, form: dict[str, str], error: str, status: int
    ) -> Template:
        user = _user(request)
        if user.role != Role.operator or user.department_id is None:
            raise PermissionDeniedException()
        return Template(
            "cases/new.html",
            context={"form": form, "error": error, "items": _listed_items(db, user.department_id, request)},
            status_code=status,
        )

    @staticmethod
    def _case_page(
        request: Request[Any, Any, Any],
        db: Session,
        case_id: int,
        form: dict[str, str],
        error: str,
        status: int,
        new_code: str = "",
    ) -> Template:
        user = _user(request)
        case = get_in_scope(db, Case, case_id, user)
        rt = runtime(request)
        rating = db.exec(
            select(Rating).where(Rating.case_id == case_id, Rating.kind == RatingKind.rating)
        ).first()
        return Template(
            "cases/detail.html",
            context={
                "t": timeline(db, case, load_calendar(db), rt.settings.tz, utcnow()),
                "form": form,
                "error": error,
                "can_record": user.role == Role.operator,
                # Ratings and their codes have their own section (and codes are never typed in).
                "event_types": [
                    e.value for e in EventType if e != EventType.received and e not in RATING_EVENTS
                ],
                "rating": rating,
                "rating_code": db.exec(select(RatingCode).where(RatingCode.case_id == case_id)).first(),
                "new_code": new_code,
                "rate_url": f"{rt.settings.site_url}/rate",
                "reasons": [r.value for r in SuspendReason],
                "outcomes": [o.value for o in Outcome],
            },
            status_code=status,
            headers=NO_STORE,
        )
