"""Department operators (and admins) upload their power list, review the check, and publish it."""

from __future__ import annotations

import secrets
import shutil
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session, col, select

from powerlists.columns import utcnow
from powerlists.departments import by_code
from powerlists.importer import ImportConflict, ImportResult, import_file, publish, versions
from powerlists.models import Department, ListStatus, PowerList
from powerlists.zipcheck import WorkbookRefused, ZipLimits
from tracker.accounts.guards import current_user, roles
from tracker.accounts.models import Role, User
from tracker.accounts.scope import get_in_scope, visible_department
from tracker.audit.records import record_publication
from tracker.flags.attachments import display_name
from tracker.i18n import gettext as _
from tracker.web.dates import today
from tracker.web.flash import flash
from tracker.web.forms import DB, text
from tracker.web.runtime import runtime

UploadData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def _user(request: Request[Any, Any, Any]) -> User:
    user = current_user(request)
    assert user is not None  # guarded
    return user


def _department_for(db: Session, user: User, code: str) -> Department | None:
    """The operator's own department, or for an admin the one they chose."""
    own = visible_department(user)
    if own is not None:
        return db.get(Department, own)
    return by_code(db, code) if code else None


def _draft(db: Session, department_id: int) -> PowerList | None:
    return db.exec(
        select(PowerList).where(
            PowerList.department_id == department_id, PowerList.status == ListStatus.draft
        )
    ).first()


def _page(
    request: Request[Any, Any, Any],
    db: Session,
    department: Department | None,
    *,
    result: ImportResult | None = None,
    refusal: str = "",
    status: int = 200,
) -> Template:
    user = _user(request)
    choices = (
        []
        if visible_department(user) is not None
        else list(db.exec(select(Department).order_by(Department.code)))
    )
    listed = versions(db, department.id) if department else []  # type: ignore[arg-type]
    importer_ids = {v.imported_by_id for v in listed if v.imported_by_id}
    importers: dict[int | None, str] = {}
    if importer_ids:
        importers = {u.id: u.email for u in db.exec(select(User).where(col(User.id).in_(importer_ids)))}
    return Template(
        "powerlist/manage.html",
        context={
            "department": department,
            "departments": choices,
            "versions": listed,
            "importers": importers,
            "draft": _draft(db, department.id) if department else None,  # type: ignore[arg-type]
            "result": result.as_dict(department.code, _) if result and department else None,
            "refusal": refusal,
            "today": today(request).isoformat(),
        },
        status_code=status,
    )


def _effective(raw: str, fallback: date) -> date | None:
    if not raw:
        return fallback
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


class PowerListManageController(Controller):
    path = "/powerlist"
    guards = [roles(Role.admin, Role.operator)]
    include_in_schema = False

    @get("/", name="powerlist_manage", sync_to_thread=True)
    def index(
        self, request: Request[Any, Any, Any], db_session: DB, department: FromQuery[str] = ""
    ) -> Template:
        chosen = _department_for(db_session, _user(request), department)
        if department and chosen is None:
            raise NotFoundException()
        return _page(request, db_session, chosen)

    @post("/{list_id:int}/publish", name="powerlist_publish", sync_to_thread=True)
    def publish(
        self, request: Request[Any, Any, Any], db_session: DB, list_id: FromPath[int]
    ) -> Template | Redirect:
        power_list = get_in_scope(db_session, PowerList, list_id, _user(request))
        department = db_session.get(Department, power_list.department_id)
        assert department is not None
        now = utcnow()
        try:
            publish(db_session, power_list, now)
        except ImportConflict as exc:
            db_session.rollback()
            return _page(request, db_session, department, refusal=_(exc.message), status=409)
        record_publication(db_session, power_list, now)
        flash(
            request,
            "success",
            _(
                "Version %(version)d of the list is published, in force from %(date)s.",
                version=power_list.version,
                date=power_list.effective_from.isoformat(),
            ),
        )
        return Redirect(f"/departments/{department.code}")


def upload_controller(max_upload_bytes: int) -> type[Controller]:
    """The upload route, with its own (larger) body limit from the settings."""

    class PowerListUploadController(Controller):
        path = "/powerlist/upload"
        guards = [roles(Role.admin, Role.operator)]
        include_in_schema = False
        request_max_body_size = max_upload_bytes

        @post("/", name="powerlist_upload", sync_to_thread=True)
        def upload(self, request: Request[Any, Any, Any], db_session: DB, data: UploadData) -> Template:
            user = _user(request)
            department = _department_for(db_session, user, text(data, "department"))
            if department is None:
                raise NotFoundException()
            upload = data.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return _page(
                    request, db_session, department, refusal=_("Choose an xlsx file to upload."), status=400
                )
            effective = _effective(text(data, "effective"), today(request))
            if effective is None:
                return _page(
                    request, db_session, department, refusal=_("Write the date as YYYY-MM-DD."), status=400
                )
            uploads = runtime(request).settings.data_dir / "uploads"
            uploads.mkdir(parents=True, exist_ok=True)
            # A server-chosen name: the client's file name never reaches the file system.
            path = uploads / f"{secrets.token_hex(16)}.xlsx"
            try:
                with path.open("wb") as out:
                    shutil.copyfileobj(upload.file, out, length=1 << 20)
                name = display_name(upload.filename)  # without folders or control characters, ≤ 255
                return self._check(request, db_session, department, user, path, name, effective)
            finally:
                path.unlink(missing_ok=True)

        @staticmethod
        def _check(
            request: Request[Any, Any, Any],
            db: Session,
            department: Department,
            user: User,
            path: Path,
            filename: str,
            effective: date,
        ) -> Template:
            try:
                result = import_file(
                    db,
                    department.id,  # type: ignore[arg-type]
                    path,
                    source_name=filename,
                    effective=effective,
                    imported_by_id=user.id,
                    now=utcnow(),
                    status=ListStatus.draft,
                    limits=ZipLimits(max_file_bytes=runtime(request).settings.max_upload_bytes),
                )
            except WorkbookRefused as exc:
                return _page(request, db, department, refusal=_(exc.message, **exc.args_), status=400)
            except ImportConflict as exc:
                return _page(request, db, department, refusal=_(exc.message), status=409)
            return _page(request, db, department, result=result, status=200 if result.report.ok else 400)

    return PowerListUploadController
