"""The flags queue: supervisors see every department's, operators their own; JSON, xlsx and CSV twins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery
from litestar.response import Template
from sqlmodel import Session, select

from powerlists.models import Department
from tracker.accounts.guards import current_user, roles
from tracker.accounts.models import Role
from tracker.accounts.scope import visible_department
from tracker.exports.tables import csv_text, xlsx_bytes
from tracker.flags.models import FlagStatus, Level
from tracker.flags.queries import FlagFilter, FlagRow, as_row, flag_counts, flag_rows, flag_select
from tracker.flags.rules import RULES
from tracker.i18n import gettext as _
from tracker.web.forms import DB
from tracker.web.pagination import paginate_rows
from tracker.web.runtime import runtime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An export is for a desk, not a data dump: the open-data exports (a later issue) stream the rest.
EXPORT_LIMIT = 50_000


def _filter(
    request: Request[Any, Any, Any], department: str, kind: str, level: str, status: str
) -> FlagFilter:
    user = current_user(request)
    assert user is not None  # guarded
    return FlagFilter(visible_department(user), department, kind, level, status)


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
