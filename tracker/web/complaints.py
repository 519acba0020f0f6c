"""The complaints workbench: supervisors accept or decline each complaint; a department's operators
read the complaints accepted about it (without the complainant's contact details)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template
from sqlmodel import Session, select

from powerlists.columns import utcnow
from powerlists.departments import by_code
from powerlists.models import Department, PowerItem
from tracker.accounts.guards import current_user, roles
from tracker.accounts.models import Role, User
from tracker.accounts.scope import visible_department
from tracker.complaints import handling
from tracker.complaints.intake import files_of
from tracker.complaints.models import Complaint, ComplaintFile
from tracker.complaints.queries import SORTS, STATUSES, complaint_list
from tracker.db import begin_writing
from tracker.exports.complaints import EXPORT_LIMIT, complaint_rows, fields
from tracker.flags.attachments import TYPES, stored_path
from tracker.i18n import gettext as _
from tracker.thresholds import load_thresholds
from tracker.web.caching import NO_STORE
from tracker.web.downloads import check_table_format, stored_file, table_download
from tracker.web.flash import flash
from tracker.web.forms import DB, FormData, text
from tracker.web.pagination import paginate_rows
from tracker.web.runtime import runtime


def _user(request: Request[Any, Any, Any]) -> User:
    user = current_user(request)
    assert user is not None  # guarded
    return user


def _visible(db: Session, complaint_id: int, user: User) -> Complaint:
    """The complaint, or 404 for one this user may not see (as for another department's flag)."""
    complaint = db.get(Complaint, complaint_id)
    if complaint is None or not handling.may_see(user, complaint):
        raise NotFoundException()
    return complaint


def complaint_facts(db: Session, complaint: Complaint, user: User) -> dict[str, Any]:
    """What complaints/_facts.html shows, on the complaint's page and on its review flag's page."""
    assert complaint.id is not None
    return {
        "c": complaint,
        "department": db.get(Department, complaint.department_id),
        "item": db.get(PowerItem, complaint.power_item_id) if complaint.power_item_id else None,
        "files": files_of(db, complaint.id),
        "private": handling.may_handle(user),
        "now": utcnow(),
    }


def _query(db: Session, user: User, department: str, status: str, overdue: str, sort: str = "") -> Any:
    """The workbench's one query, for the page, its JSON twin and the downloads."""
    only = visible_department(user)
    chosen = by_code(db, department) if department and only is None else None
    return complaint_list(
        only_department=only,
        department_id=chosen.id if chosen else None,
        status=status,
        overdue=overdue == "1",
        now=utcnow(),
        sort=sort,
    )


def _items(request: Request[Any, Any, Any], user: User, rows: Iterable[Any]) -> list[dict[str, Any]]:
    private = handling.may_handle(user)
    names = [f.name for f in fields(private)]
    found = complaint_rows(rows, runtime(request).settings.tz, private=private, now=utcnow())
    return [dict(zip(names, row, strict=True)) for row in found]


class ComplaintsController(Controller):
    path = "/complaints"
    guards = [roles(Role.admin, Role.supervisor, Role.operator)]
    include_in_schema = False

    @get("/", name="complaints", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        department: FromQuery[str] = "",
        status: FromQuery[str] = "",
        overdue: FromQuery[str] = "",
        sort: FromQuery[str] = "",
        page: FromQuery[int] = 1,
        format: FromQuery[str] = "html",
    ) -> Response[Any]:
        user = _user(request)
        only = visible_department(user)
        stmt = _query(db_session, user, department, status, overdue, sort)
        found = paginate_rows(db_session, stmt, page)
        if format == "json":
            return Response(
                {**found.as_dict(), "items": _items(request, user, found.items)}, headers=NO_STORE
            )
        return Template(
            "complaints/index.html",
            context={
                "page": found,
                "department": department,
                "status": status,
                "overdue": overdue == "1",
                "sort": sort if sort in SORTS else "received",
                "statuses": STATUSES,
                "departments": []
                if only is not None
                else db_session.exec(select(Department).order_by(Department.code)).all(),
                "now": utcnow(),
                "days": load_thresholds(db_session).value("complaint_workdays"),
            },
            headers=NO_STORE,
        )

    @get("/export", name="complaints_export", sync_to_thread=True)
    def export(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        department: FromQuery[str] = "",
        status: FromQuery[str] = "",
        overdue: FromQuery[str] = "",
        sort: FromQuery[str] = "",
        format: FromQuery[str] = "xlsx",
    ) -> Response[bytes]:
        check_table_format(format)
        user = _user(request)
        stmt = _query(db_session, user, department, status, overdue, sort).limit(EXPORT_LIMIT)
        private = handling.may_handle(user)
        rows = complaint_rows(
            db_session.execute(stmt), runtime(request).settings.tz, private=private, now=utcnow()
        )
        return table_download(format, _("Complaints"), fields(private), rows, "complaints")

    @get("/{complaint_id:int}", name="complaint", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        complaint_id: FromPath[int],
        format: FromQuery[str] = "html",
    ) -> Response[Any]:
        if format != "json":
            return self._page(request, db_session, complaint_id, "", "", 200)
        user = _user(request)
        complaint = _visible(db_session, complaint_id, user)
        assert complaint.id is not None
        flag = handling.review_of(db_session, complaint.id)
        [found] = _items(
            request, user, [(complaint, db_session.get(Department, complaint.department_id), flag)]
        )
        found["files"] = [
            {
                "id": f.id,
                "name": f.original_name,
                "type": f.content_type,
                "size": f.size,
                "url": f"/complaints/{complaint.id}/files/{f.id}",
            }
            for f in files_of(db_session, complaint.id)
        ]
        return Response(found, headers=NO_STORE)

    def _page(
        self,
        request: Request[Any, Any, Any],
        db: Session,
        complaint_id: int,
        error: str,
        written: str,
        status: int,
    ) -> Template:
        user = _user(request)
        complaint = _visible(db, complaint_id, user)
        assert complaint.id is not None
        return Template(
            "complaints/detail.html",
            context={
                **complaint_facts(db, complaint, user),
                "flag": handling.review_of(db, complaint.id),
                "outcome": handling.outcome(db, complaint),
                "can_handle": handling.may_decide(user, complaint),
                "error": error,
                "text": written,
            },
            status_code=status,
            headers=NO_STORE,
        )

    @post("/{complaint_id:int}/handle", name="complaint_handle", sync_to_thread=True)
    def handle(
        self, request: Request[Any, Any, Any], db_session: DB, complaint_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        user = _user(request)
        if not handling.may_handle(user):
            raise PermissionDeniedException()
        begin_writing(db_session)  # SQLite: two supervisors deciding at once queue up
        complaint = _visible(db_session, complaint_id, user)
        # PostgreSQL: the row is locked, so the second of two decisions sees the first one's status.
        db_session.refresh(complaint, with_for_update=True)
        decision, written = text(data, "decision"), text(data, "text")
        now = utcnow()
        try:
            if decision == "accept":
                flag = handling.accept(db_session, complaint, user, written, now=now)
                db_session.commit()
                flash(request, "success", _("Accepted: the review is open on flag #%(flag)s.", flag=flag.id))
                return Redirect(f"/flags/{flag.id}")
            if decision == "decline":
                handling.decline(db_session, complaint, user, written, now=now)
                db_session.commit()
                flash(request, "success", _("Declined. The complainant can read your reason."))
                return Redirect(f"/complaints/{complaint_id}")
            raise handling.HandlingRefused(_("Choose to accept or to decline the complaint."))
        except handling.HandlingRefused as exc:
            db_session.rollback()
            return self._page(request, db_session, complaint_id, _(exc.message, **exc.args_), written, 400)

    @get("/{complaint_id:int}/files/{file_id:int}", name="complaint_file", sync_to_thread=True)
    def download(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        complaint_id: FromPath[int],
        file_id: FromPath[int],
    ) -> File:
        complaint = _visible(db_session, complaint_id, _user(request))
        found = db_session.get(ComplaintFile, file_id)
        if found is None or found.complaint_id != complaint.id:
            raise NotFoundException()
        kind = TYPES[found.content_type]
        return stored_file(
            stored_path(runtime(request).settings.data_dir, found),
            f"complaint-{complaint.number}-file-{found.id}.{kind.extension}",
            kind.content_type,
            f"file {found.id} of complaint {complaint.id}",
        )
