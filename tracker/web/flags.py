"""The flags queue: supervisors see every department's, operators their own; JSON, xlsx and CSV twins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session, col, select

from powerlists.columns import utcnow
from powerlists.models import Department
from tracker.accounts.guards import current_user, roles
from tracker.accounts.models import Role, User
from tracker.accounts.scope import get_in_scope, visible_department
from tracker.calendar_store import load_calendar
from tracker.cases.models import Case, CaseEvent
from tracker.exports.tables import csv_text, xlsx_bytes
from tracker.flags.models import Flag, FlagStatus, Level
from tracker.flags.queries import FlagFilter, FlagRow, as_row, flag_counts, flag_rows, flag_select
from tracker.flags.review import ReviewError, act, available, history
from tracker.flags.rules import RULES
from tracker.i18n import gettext as _
from tracker.thresholds import load_thresholds
from tracker.web.flash import flash
from tracker.web.forms import DB, FormData, text
from tracker.web.pagination import paginate_rows
from tracker.web.runtime import runtime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An export is for a desk, not a data dump: the open-data exports (a later issue) stream the rest.
EXPORT_LIMIT = 50_000


def _user(request: Request[Any, Any, Any]) -> User:
    user = current_user(request)
    assert user is not None  # guarded
    return user


def _filter(
    request: Request[Any, Any, Any], department: str, kind: str, level: str, status: str
) -> FlagFilter:
    return FlagFilter(visible_department(_user(request)), department, kind, level, status)


def _export_rows(
    request: Request[Any, Any, Any], rows: list[FlagRow]
) -> tuple[list[str], Iterator[list[object]]]:
    tz = runtime(request).settings.tz
    headers = [
        _("Case"),
        _("Department"),
        _("Power"),
        _("Kind"),
        _("Level"),
        _("Step"),
        _("Since"),
        _("Detected"),
        _("Status"),
    ]

    def local(value: Any) -> Any:  # Excel has no time zones: local wall-clock time
        return value.astimezone(tz).replace(tzinfo=None)

    return headers, (
        [
            r.case,
            r.department,
            r.power,
            r.kind,
            r.level,
            r.step,
            local(r.since),
            local(r.detected_at),
            r.status,
        ]
        for r in rows
    )


def _flag_context(db: Session, flag: Flag, user: User) -> dict[str, Any]:
    case = db.get(Case, flag.case_id)
    assert case is not None
    evidence = (
        list(
            db.exec(select(CaseEvent).where(col(CaseEvent.id).in_(flag.evidence)).order_by(col(CaseEvent.at)))
        )
        if flag.evidence
        else []
    )
    return {
        "flag": flag,
        "case": case,
        "evidence": evidence,
        "history": history(db, flag.id),  # type: ignore[arg-type]
        "actions": [t.action for t in available(user, flag)],
    }


def _flag_dict(context: dict[str, Any]) -> dict[str, Any]:
    flag, case = context["flag"], context["case"]
    return {
        "id": flag.id,
        "case": case.ref,
        "case_id": case.id,
        "power": case.power_code,
        "kind": flag.kind,
        "level": flag.level,
        "step": flag.step or None,
        "since": flag.since.isoformat(),
        "detected_at": flag.detected_at.isoformat(),
        "status": flag.status,
        "due_at": flag.due_at.isoformat() if flag.due_at else None,
        "params": flag.params,
        "evidence": [{"id": e.id, "type": e.type, "at": e.at.isoformat()} for e in context["evidence"]],
        "history": [
            {"action": a.action, "status": a.to_status, "by": u.email, "at": a.at.isoformat(), "text": a.text}
            for a, u in context["history"]
        ],
        "actions": context["actions"],
    }


class FlagsController(Controller):
    path = "/flags"
    guards = [roles(Role.admin, Role.supervisor, Role.operator)]
    include_in_schema = False

    @get("/", name="flags", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        department: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        level: FromQuery[str] = "",
        status: FromQuery[str] = "",
        page: FromQuery[int] = 1,
        format: FromQuery[str] = "html",
    ) -> Template | dict[str, Any]:
        f = _filter(request, department, kind, level, status)
        found = paginate_rows(db_session, flag_select(f), page)
        rows = [as_row(row) for row in found.items]
        counts = flag_counts(db_session, f)
        if format == "json":
            return {
                "page": found.number,
                "pages": found.pages,
                "total": found.total,
                "counts": counts,
                "flags": [r.as_dict() for r in rows],
            }
        return Template(
            "flags/index.html",
            context={
                "page": found,
                "rows": rows,
                "counts": counts,
                "filter": f,
                "kinds": [r.kind for r in RULES],
                "levels": [lv.value for lv in Level],
                "statuses": [s.value for s in FlagStatus],
                "departments": _departments(db_session) if f.only_department is None else [],
                "query": request.url.query or "",
            },
        )

    @get("/{flag_id:int}", name="flag", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        flag_id: FromPath[int],
        format: FromQuery[str] = "html",
    ) -> Template | dict[str, Any]:
        user = _user(request)
        flag = get_in_scope(db_session, Flag, flag_id, user)
        context = _flag_context(db_session, flag, user)
        if format == "json":
            return _flag_dict(context)
        return Template("flags/detail.html", context={**context, "errors": {}, "text": ""})

    @post("/{flag_id:int}/act", name="flag_act", sync_to_thread=True)
    def take_action(
        self, request: Request[Any, Any, Any], db_session: DB, flag_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        user = _user(request)
        flag = get_in_scope(db_session, Flag, flag_id, user)
        action, written = text(data, "action"), text(data, "text")
        try:
            act(
                db_session,
                flag,
                action,
                user,
                written,
                now=utcnow(),
                cal=load_calendar(db_session),
                tz=runtime(request).settings.tz,
                thresholds=load_thresholds(db_session),
            )
        except ReviewError as exc:
            db_session.rollback()
            context = _flag_context(db_session, flag, user)
            errors = {"text": _(exc.message, **exc.args_)}
            return Template(
                "flags/detail.html", context={**context, "errors": errors, "text": written}, status_code=400
            )
        flash(request, "success", _("Recorded."))
        return Redirect(f"/flags/{flag_id}")

    @get("/export.xlsx", name="flags_xlsx", sync_to_thread=True)
    def export_xlsx(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        department: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        level: FromQuery[str] = "",
        status: FromQuery[str] = "",
    ) -> Response[bytes]:
        rows = flag_rows(db_session, _filter(request, department, kind, level, status), EXPORT_LIMIT)
        headers, values = _export_rows(request, rows)
        body = xlsx_bytes(_("Flags"), headers, values, widths=(24, 12, 16, 22, 9, 6, 18, 18, 10))
        return _attachment(body, "flags.xlsx", XLSX)

    @get("/export.csv", name="flags_csv", sync_to_thread=True)
    def export_csv(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        department: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        level: FromQuery[str] = "",
        status: FromQuery[str] = "",
    ) -> Response[bytes]:
        rows = flag_rows(db_session, _filter(request, department, kind, level, status), EXPORT_LIMIT)
        headers, values = _export_rows(request, rows)
        return _attachment(csv_text(headers, values).encode("utf-8"), "flags.csv", "text/csv; charset=utf-8")


def _departments(db: Session) -> list[Department]:
    return list(db.exec(select(Department).order_by(Department.code)))


def _attachment(body: bytes, filename: str, media_type: str) -> Response[bytes]:
    # Supervision data: never kept by a shared cache.
    headers = {
        "content-disposition": f'attachment; filename="{filename}"',
        "cache-control": "private, no-store",
    }
    return Response(body, media_type=media_type, headers=headers)
