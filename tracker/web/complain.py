"""/complain: anyone files a complaint, then follows it with its tracking number and secret.

No account and no JavaScript: plain forms that work on a phone. Attempts are counted per client
address in the database before anything is looked at, as on /rate. The status page is reached by
a form (POST), so the secret never appears in an address, a log or a Referer header.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import FromQuery
from litestar.response import Template
from sqlmodel import Session, select

from powerlists.columns import utcnow
from powerlists.models import Department
from tracker.calendar_store import load_calendar
from tracker.complaints.handling import outcome
from tracker.complaints.intake import FIELDS, MAX_FILES, ComplaintRefused, file_complaint, find
from tracker.db import begin_writing
from tracker.flags.attachments import AttachmentRefused
from tracker.i18n import gettext as _
from tracker.thresholds import load_thresholds
from tracker.web.caching import NO_STORE
from tracker.web.client_limits import limit_attempts
from tracker.web.forms import DB, FormData, text
from tracker.web.runtime import runtime
from tracker.web.uploads import NamedForm, form_uploads, read_form

FILINGS = 5  # complaints per client address per hour: more is a flood, not a grievance
FILING_WINDOW = timedelta(hours=1)
LOOKUPS = 10  # status look-ups per client address in 10 minutes, as rating codes
LOOKUP_WINDOW = timedelta(minutes=10)


def _form_page(db: Session, form: dict[str, str], errors: dict[str, str], status: int = 200) -> Template:
    departments = db.exec(select(Department).order_by(Department.code)).all()
    return Template(
        "complaints/form.html",
        context={"form": form, "errors": errors, "departments": departments, "max_files": MAX_FILES},
        status_code=status,
        headers=NO_STORE,
    )


def _status_page(error: str = "", status: int = 200, number: str = "") -> Template:
    return Template(
        "complaints/status_form.html",
        context={"error": error, "number": number},
        status_code=status,
        headers=NO_STORE,
    )


def complain_controller(max_upload_bytes: int) -> type[Controller]:
    """The public pages, with the upload routes' body limit: a complaint may carry files."""

    class ComplainController(Controller):
        path = "/complain"
        include_in_schema = False
        request_max_body_size = max_upload_bytes

        @get("/", name="complain", sync_to_thread=True)
        def start(
            self, db_session: DB, department: FromQuery[str] = "", power: FromQuery[str] = ""
        ) -> Template:
            return _form_page(db_session, {"department": department[:32], "power": power[:64]}, {})

        @post("/", name="complain_submit", sync_to_thread=True, dependencies={"form": Provide(read_form)})
        def submit(self, request: Request[Any, Any, Any], db_session: DB, form: NamedForm) -> Template:
            limit_attempts(request, "complain", FILINGS, FILING_WINDOW)
            fields = {k: text(form.dict(), k) for k in FIELDS}
            uploads = form_uploads(form)
            rt = runtime(request)
            try:
                begin_writing(db_session)
                filed = file_complaint(
                    db_session,
                    fields,
                    uploads,
                    now=utcnow(),
                    cal=load_calendar(db_session),
                    tz=rt.settings.tz,
                    days=load_thresholds(db_session).value("complaint_workdays"),
                    data_dir=rt.settings.data_dir,
                    max_bytes=rt.settings.max_attachment_bytes,
                )
                db_session.commit()
            except ComplaintRefused as exc:
                db_session.rollback()
                return _form_page(db_session, fields, {exc.field: _(exc.message, **exc.args_)}, 400)
            except AttachmentRefused as exc:
                db_session.rollback()
                return _form_page(db_session, fields, {"files": exc.phrase.text(_)}, 400)
            finally:
                for upload in uploads:
                    upload.stream.close()
            return Template(
                "complaints/filed.html",
                context={"complaint": filed.complaint, "secret": filed.secret},
                headers=NO_STORE,
            )

        @get("/status", name="complaint_status_form", sync_to_thread=True)
        def status_form(self, number: FromQuery[str] = "") -> Template:
            return _status_page(number=number[:24])

        @post("/status", name="complaint_status", sync_to_thread=True)
        def status(self, request: Request[Any, Any, Any], db_session: DB, data: FormData) -> Template:
            limit_attempts(request, "complaint-status", LOOKUPS, LOOKUP_WINDOW)
            complaint = find(db_session, text(data, "number"), text(data, "secret"))
            if complaint is None:
                message = _("There is no complaint with this number and secret. Check both and try again.")
                return _status_page(message, 400, text(data, "number")[:24])
            return Template(
                "complaints/status.html",
                context={
                    "complaint": complaint,
                    "department": db_session.get(Department, complaint.department_id),
                    "outcome": outcome(db_session, complaint),
                },
                headers=NO_STORE,
            )

    return ComplainController
