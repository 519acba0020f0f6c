"""The public deadline calculator and the admin's calendar page."""

from __future__ import annotations

import secrets
import shutil
from datetime import date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session, col, select

from powerlists.columns import utcnow
from powerlists.limits import MAX_VALUE, Limit, Unit
from powerlists.zipcheck import WorkbookRefused
from tracker.accounts.guards import admin_only, current_user
from tracker.calendar import package_years
from tracker.calendar_store import (
    CalendarDay,
    CalendarFileError,
    CalendarYear,
    Entry,
    in_range,
    load_calendar,
    read_calendar_file,
    remove_day,
    store,
)
from tracker.cases.ingest import recompute_after_calendar_change
from tracker.flags.attachments import display_name
from tracker.i18n import gettext as _
from tracker.sla import Due, due
from tracker.web.dates import today
from tracker.web.flash import flash
from tracker.web.forms import DB, FormData, checkbox, text
from tracker.web.runtime import runtime

UploadData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def calculate(db: Session, tz: Any, start: str, value: int, unit: str) -> tuple[Due | None, str]:
    """The calculator's one computation, for the page and its JSON twin: (result, error message)."""
    try:
        start_date = date.fromisoformat(start)
    except ValueError:
        return None, _("Write the date as YYYY-MM-DD.")
    if unit not in {u.value for u in Unit}:
        return None, _("Choose a unit.")
    if unit != Unit.immediate and not 1 <= value <= MAX_VALUE:
        return None, _("The number must be between 1 and 9999.")
    limit = Limit(0 if unit == Unit.immediate else value, Unit(unit))
    start_at = datetime.combine(start_date, datetime.min.time(), tzinfo=tz)
    try:
        return due(start_at, limit, load_calendar(db), tz), ""
    except OverflowError:  # past the year 9999
        return None, _("The deadline would fall after the year 9999.")


class CalculatorController(Controller):
    include_in_schema = False

    @get("/calculator", name="calculator", sync_to_thread=True)
    def calculator(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        start: FromQuery[str] = "",
        value: FromQuery[int] = 20,
        unit: FromQuery[str] = "workday",
        format: FromQuery[str] = "html",
    ) -> Response[Any]:
        result, error = (
            calculate(db_session, runtime(request).settings.tz, start, value, unit) if start else (None, "")
        )
        if format == "json":
            if not start:
                error = _("Write the date as YYYY-MM-DD.")
            if error:
                raise ValidationException(error)
            assert result is not None
            return Response({"value": value, "unit": unit, **result.as_dict()})
        return Template(
            "calculator.html",
            context={
                "start": start or today(request).isoformat(),
                "value": value,
                "unit": unit,
                "units": [u.value for u in Unit],
                "result": result,
                "error": error,
            },
        )


def _calendar_page(db: Session, errors: dict[str, str], status: int = 200) -> Template:
    years = db.exec(select(CalendarYear).order_by(col(CalendarYear.year))).all()
    days = db.exec(select(CalendarDay).order_by(col(CalendarDay.day).desc()).limit(500)).all()
    package = package_years()
    return Template(
        "admin/calendar.html",
        context={
            "years": years,
            "days": days,
            "package_first": min(package),
            "package_last": max(package),
            "errors": errors,
        },
        status_code=status,
    )


class CalendarAdminController(Controller):
    path = "/admin/calendar"
    guards = [admin_only]
    include_in_schema = False

    @get("/", name="admin_calendar", sync_to_thread=True)
    def index(self, db_session: DB) -> Template:
        return _calendar_page(db_session, {})

    @post("/load", name="admin_calendar_load", sync_to_thread=True)
    def load(self, request: Request[Any, Any, Any], db_session: DB, data: UploadData) -> Template | Redirect:
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _calendar_page(db_session, {"file": _("Choose a file.")}, 400)
        uploads = runtime(request).settings.data_dir / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        path = uploads / f"{secrets.token_hex(16)}.upload"
        try:
            with path.open("wb") as out:
                shutil.copyfileobj(upload.file, out)
            name = display_name(upload.filename)  # without folders or control characters, ≤ 255
            entries = read_calendar_file(path, name=name)
            user = current_user(request)
            source = "local" if checkbox(data, "local") else "notice"
            years = store(
                db_session,
                entries,
                source=source,
                source_name=name,
                now=utcnow(),
                by=user.id if user else None,
            )
            recompute_after_calendar_change(
                db_session,
                load_calendar(db_session),
                runtime(request).settings.tz,
                source=source,
                days=[e.day for e in entries],
            )
        except CalendarFileError as exc:
            return _calendar_page(db_session, {"file": _(exc.message, **exc.args_)}, 400)
        except WorkbookRefused as exc:
            return _calendar_page(db_session, {"file": _(exc.message, **exc.args_)}, 400)
        finally:
            path.unlink(missing_ok=True)
        flash(
            request,
            "success",
            _(
                "Loaded %(days)d days for %(years)s.",
                days=len({e.day for e in entries}),
                years=", ".join(map(str, sorted(years))),
            ),
        )
        return Redirect("/admin/calendar/")

    @post("/days", name="admin_calendar_day", sync_to_thread=True)
    def add_day(self, request: Request[Any, Any, Any], db_session: DB, data: FormData) -> Template | Redirect:
        try:
            day = in_range(date.fromisoformat(text(data, "day")), "day")
        except CalendarFileError as exc:
            return _calendar_page(db_session, {"day": _(exc.message, **exc.args_)}, 400)
        except ValueError:
            return _calendar_page(db_session, {"day": _("Write the date as YYYY-MM-DD.")}, 400)
        user = current_user(request)
        entry = Entry(day, text(data, "kind") == "workday", text(data, "note")[:200])
        store(db_session, [entry], source="local", source_name="", now=utcnow(), by=user.id if user else None)
        recompute_after_calendar_change(
            db_session, load_calendar(db_session), runtime(request).settings.tz, source="local", days=[day]
        )
        flash(request, "success", _("Saved %(day)s.", day=day.isoformat()))
        return Redirect("/admin/calendar/")

    @post("/days/{day:str}/delete", name="admin_calendar_day_delete", sync_to_thread=True)
    def delete_day(self, request: Request[Any, Any, Any], db_session: DB, day: FromPath[str]) -> Redirect:
        try:
            the_day = date.fromisoformat(day)
        except ValueError:
            return Redirect("/admin/calendar/")
        if remove_day(db_session, the_day):
            recompute_after_calendar_change(
                db_session,
                load_calendar(db_session),
                runtime(request).settings.tz,
                source="local",
                days=[the_day],
            )
            flash(request, "success", _("Removed %(day)s.", day=day))
        return Redirect("/admin/calendar/")
