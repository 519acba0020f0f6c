"""The flags queue: supervisors see every department's, operators their own; JSON, xlsx and CSV twins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.exceptions import ClientException
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
from tracker.cases.queries import timeline
from tracker.complaints.models import Complaint
from tracker.db import begin_writing
from tracker.exports.tables import MEDIA_TYPES, csv_text, xlsx_bytes
from tracker.flags.attachments import (
    ATTACHABLE_ACTIONS,
    MAX_FILES,
    AttachmentRefused,
    attachments_of,
    record_files,
    store_for,
)
from tracker.flags.bulk import BULK_ACTIONS, MAX_SELECTED, BulkRefused, Problem, act_on_many, parse_ids
from tracker.flags.models import Flag, FlagStatus, Level
from tracker.flags.queries import (
    AGE_PRESETS,
    KINDS,
    BadFilter,
    FlagFilter,
    FlagRow,
    as_row,
    flag_counts,
    flag_rows,
    flag_select,
    parse_filter,
)
from tracker.flags.review import SUPERVISING, ReviewError, act, available, history
from tracker.i18n import activate, ngettext
from tracker.i18n import gettext as _
from tracker.thresholds import load_thresholds
from tracker.web.complaints import complaint_facts
from tracker.web.downloads import private_download
from tracker.web.errors import http_exception_handler
from tracker.web.flash import flash
from tracker.web.forms import DB, FormData, text
from tracker.web.language import request_language
from tracker.web.pagination import DEFAULT_PER_PAGE, Page, paginate_rows
from tracker.web.runtime import runtime
from tracker.web.uploads import NamedForm, form_uploads, read_form

# An export is for a desk, not a data dump: the open-data exports (a later issue) stream the rest.
EXPORT_LIMIT = 50_000


def _user(request: Request[Any, Any, Any]) -> User:
    user = current_user(request)
    assert user is not None  # guarded
    return user


def _filter(request: Request[Any, Any, Any]) -> FlagFilter:
    """The queue's filter and sort from the address, for the page, its JSON and both exports."""
    return parse_filter(
        request.query_params,
        visible_department(_user(request)),
        tz=runtime(request).settings.tz,
        now=utcnow(),
    )


def _bad_filter(request: Request[Any, Any, Any], exc: BadFilter) -> Response[Any]:
    """400 naming the parameter: JSON for ``format=json``, the error page otherwise."""
    activate(request_language(request))
    message = _(exc.message, **exc.args_)
    return http_exception_handler(request, ClientException(detail=message, extra={exc.param: message}))


def _queue_url(f: FlagFilter, page: int, per_page: int) -> str:
    """The queue with this filter, for returning to it after a form (never a caller-given address)."""
    params = f.as_params()
    if page > 1:
        params["page"] = str(page)
    if per_page != DEFAULT_PER_PAGE:
        params["per_page"] = str(per_page)
    return "/flags/" + ("?" + urlencode(params) if params else "")


def _problem_text(problem: Problem) -> str:
    reason = _(problem.message, **problem.args)
    if problem.case:
        return _(
            "Flag %(id)d (case %(case)s): %(reason)s", id=problem.flag_id, case=problem.case, reason=reason
        )
    return _("Flag %(id)d: %(reason)s", id=problem.flag_id, reason=reason)


def _queue(db: Session, f: FlagFilter, page: int, per_page: int) -> tuple[Page[Any], dict[str, Any]]:
    """One page of the queue and its counts: the page's total is their sum, not a third count."""
    counts = flag_counts(db, f)
    return paginate_rows(db, flag_select(f), page, per_page, total=sum(counts["status"].values())), counts


def _queue_page(
    request: Request[Any, Any, Any],
    db: Session,
    f: FlagFilter,
    page: int,
    per_page: int,
    *,
    bulk: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    found, counts = _queue(db, f, page, per_page)
    user = _user(request)
    return Template(
        "flags/index.html",
        context={
            "page": found,
            "rows": [as_row(row) for row in found.items],
            "counts": counts,
            "filter": f,
            "kinds": KINDS,
            "levels": [lv.value for lv in Level],
            "statuses": [s.value for s in FlagStatus],
            "departments": _departments(db) if f.only_department is None else [],
            "age_presets": AGE_PRESETS,
            "query_string": request.url.query or "",
            # Operators answer their flags one by one, on each flag's page.
            "bulk_actions": BULK_ACTIONS if user.role in SUPERVISING else (),
            "max_selected": MAX_SELECTED,
            "bulk": bulk or {"errors": [], "selected": set(), "action": "", "text": ""},
        },
        status_code=status_code,
    )


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
        _("Deadline"),
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
            local(r.due_at) if r.due_at else None,
        ]
        for r in rows
    )


def _subject(db: Session, flag: Flag, user: User, tz: ZoneInfo) -> dict[str, Any]:
    """What the flag is about: the case and its timeline (the flagged step and the evidence
    marked), or the complaint its review was opened for."""
    if flag.case_id is None:
        assert flag.complaint_id is not None  # a flag has a case or a complaint
        complaint = db.get(Complaint, flag.complaint_id)
        assert complaint is not None
        return {"case": None, **complaint_facts(db, complaint, user)}
    case = db.get(Case, flag.case_id)
    assert case is not None
    return {"case": case, "c": None, "t": timeline(db, case, load_calendar(db), tz, utcnow())}


def _flag_context(db: Session, flag: Flag, user: User, tz: ZoneInfo) -> dict[str, Any]:
    evidence = (
        list(
            db.exec(select(CaseEvent).where(col(CaseEvent.id).in_(flag.evidence)).order_by(col(CaseEvent.at)))
        )
        if flag.evidence
        else []
    )
    steps = history(db, flag.id)  # type: ignore[arg-type]
    actions = [t.action for t in available(user, flag)]
    return {
        **_subject(db, flag, user, tz),
        "flag": flag,
        "evidence": evidence,
        "flagged_step": flag.step,
        "evidence_ids": set(flag.evidence),
        "history": steps,
        "attachments": attachments_of(db, (a.id for a, _u in steps if a.id is not None)),
        "actions": actions,
        "attachable": not ATTACHABLE_ACTIONS.isdisjoint(actions),
        "max_files": MAX_FILES,
    }


def _flag_dict(context: dict[str, Any]) -> dict[str, Any]:
    flag, case, complaint = context["flag"], context["case"], context["c"]
    return {
        "id": flag.id,
        "case": case.ref if case else None,
        "case_id": case.id if case else None,
        "complaint": complaint.number if complaint else None,
        "power": case.power_code if case else complaint.power_code or None,
        "kind": flag.kind,
        "level": flag.level,
        "step": flag.step or None,
        "since": flag.since.isoformat(),
        "detected_at": flag.detected_at.isoformat(),
        "status": flag.status,
        "due_at": flag.due_at.isoformat() if flag.due_at else None,
        "origin": flag.origin_id or None,  # the flag this one was raised about
        "params": flag.params,
        "evidence": [{"id": e.id, "type": e.type, "at": e.at.isoformat()} for e in context["evidence"]],
        "history": [
            {
                "action": a.action,
                "status": a.to_status,
                "by": u.email,
                "at": a.at.isoformat(),
                "text": a.text,
                "attachments": [
                    {
                        "id": f.id,
                        "name": f.original_name,
                        "type": f.content_type,
                        "size": f.size,
                        "url": f"/flags/{flag.id}/attachments/{f.id}",
                    }
                    for f in context["attachments"].get(a.id, [])
                ],
            }
            for a, u in context["history"]
        ],
        "actions": context["actions"],
    }


class FlagsController(Controller):
    path = "/flags"
    guards = [roles(Role.admin, Role.supervisor, Role.operator)]
    include_in_schema = False
    exception_handlers = {BadFilter: _bad_filter}

    @get("/", name="flags", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        page: FromQuery[int] = 1,
        per_page: FromQuery[int] = DEFAULT_PER_PAGE,
        format: FromQuery[str] = "html",
    ) -> Template | Response[dict[str, Any]]:
        # The filters are read by _filter from the address, the same way for every renderer.
        f = _filter(request)
        if format == "json":
            found, counts = _queue(db_session, f, page, per_page)
            return Response(
                {
                    **found.as_dict(),
                    "sort": f.sort,
                    "counts": counts,
                    "flags": [{"id": r.id, **r.as_dict()} for r in map(as_row, found.items)],
                }
            )
        return _queue_page(request, db_session, f, page, per_page)

    @get("/{flag_id:int}", name="flag", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        flag_id: FromPath[int],
        format: FromQuery[str] = "html",
    ) -> Template | Response[dict[str, Any]]:
        user = _user(request)
        flag = get_in_scope(db_session, Flag, flag_id, user)
        context = _flag_context(db_session, flag, user, runtime(request).settings.tz)
        if format == "json":
            return Response(_flag_dict(context))
        return Template("flags/detail.html", context={**context, "errors": {}, "text": ""})

    @get("/export.xlsx", name="flags_xlsx", sync_to_thread=True)
    def export_xlsx(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
    ) -> Response[bytes]:
        headers, values = _export_rows(request, flag_rows(db_session, _filter(request), EXPORT_LIMIT))
        body = xlsx_bytes(_("Flags"), headers, values, widths=(24, 12, 16, 22, 9, 6, 18, 18, 10, 18))
        return private_download(body, "flags.xlsx", MEDIA_TYPES["xlsx"])

    @get("/export.csv", name="flags_csv", sync_to_thread=True)
    def export_csv(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
    ) -> Response[bytes]:
        headers, values = _export_rows(request, flag_rows(db_session, _filter(request), EXPORT_LIMIT))
        return private_download(csv_text(headers, values).encode("utf-8"), "flags.csv", MEDIA_TYPES["csv"])

    @post("/act", name="flags_act", sync_to_thread=True, guards=[roles(Role.admin, Role.supervisor)])
    def act_on_selected(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        data: FormData,
        page: FromQuery[int] = 1,
        per_page: FromQuery[int] = DEFAULT_PER_PAGE,
    ) -> Template | Redirect:
        """One action and one reason for every selected flag, all or none; the form posts to
        ``/flags/act?<the queue's query>`` so that the queue comes back as it was."""
        f = _filter(request)
        action, written = text(data, "action"), text(data, "text")
        raw = data.get("flag", [])
        values = [str(v) for v in (raw if isinstance(raw, list) else [raw])]
        tz = runtime(request).settings.tz
        try:
            ids = parse_ids(values)
            begin_writing(db_session)
            records = act_on_many(
                db_session,
                ids,
                action,
                _user(request),
                written,
                now=utcnow(),
                cal=load_calendar(db_session),
                tz=tz,
                thresholds=load_thresholds(db_session),
            )
        except BulkRefused as exc:
            db_session.rollback()
            errors = [_(exc.message, **exc.args_)] if exc.message else []
            bulk = {
                "errors": errors + [_problem_text(p) for p in exc.problems],
                "selected": set(values),
                "action": action,
                "text": written,
            }
            return _queue_page(request, db_session, f, page, per_page, bulk=bulk, status_code=400)
        flash(request, "success", ngettext("%(num)d flag recorded.", "%(num)d flags recorded.", len(records)))
        return Redirect(_queue_url(f, page, per_page))


def review_controller(max_upload_bytes: int) -> type[Controller]:
    """Acting on a flag, with the upload routes' body limit: a reply or report may carry files."""

    class FlagReviewController(Controller):
        path = "/flags"
        guards = [roles(Role.admin, Role.supervisor, Role.operator)]
        include_in_schema = False
        request_max_body_size = max_upload_bytes

        @post(
            "/{flag_id:int}/act",
            name="flag_act",
            sync_to_thread=True,
            dependencies={"form": Provide(read_form)},
        )
        def take_action(
            self,
            request: Request[Any, Any, Any],
            db_session: DB,
            flag_id: FromPath[int],
            form: NamedForm,
        ) -> Template | Redirect:
            user = _user(request)
            flag = get_in_scope(db_session, Flag, flag_id, user)
            data = form.dict()
            action, written = text(data, "action"), text(data, "text")
            settings = runtime(request).settings
            now = utcnow()
            uploads = form_uploads(form)
            try:
                # Same transaction: a refused file refuses the action, a failed commit removes the files.
                stored = store_for(
                    action,
                    db_session,
                    uploads,
                    data_dir=settings.data_dir,
                    max_bytes=settings.max_attachment_bytes,
                )
                record = act(
                    db_session,
                    flag,
                    action,
                    user,
                    written,
                    now=now,
                    cal=load_calendar(db_session),
                    tz=settings.tz,
                    thresholds=load_thresholds(db_session),
                )
                record_files(db_session, record, stored, user=user, now=now)
            except ReviewError as exc:
                return _refused(db_session, flag, user, _(exc.message, **exc.args_), written, settings.tz)
            except AttachmentRefused as exc:
                return _refused(db_session, flag, user, exc.phrase.text(_), written, settings.tz)
            finally:
                for upload in uploads:
                    upload.stream.close()
            flash(request, "success", _("Recorded."))
            return Redirect(f"/flags/{flag_id}")

    return FlagReviewController


def _refused(db: Session, flag: Flag, user: User, message: str, written: str, tz: ZoneInfo) -> Template:
    db.rollback()
    context = _flag_context(db, flag, user, tz)
    return Template(
        "flags/detail.html",
        context={**context, "errors": {"text": message}, "text": written},
        status_code=400,
    )


def _departments(db: Session) -> list[Department]:
    return list(db.exec(select(Department).order_by(Department.code)))
