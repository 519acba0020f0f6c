"""/open-data: every public download with its fields, and the monthly case and violation files.

A month that is over is published once (``publish_once``: recorded in the audit log, then served
byte for byte with its proof); the current month is made afresh on each request, marked
provisional and cached briefly. Nothing here carries personal data.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from email.utils import format_datetime
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from litestar.routes import HTTPRoute
from sqlalchemy import func
from sqlmodel import Session, col, select

from powerlists.columns import utcnow
from powerlists.departments import by_code
from powerlists.models import Department
from powerlists.template import EXPORT_ITEM_COLUMNS
from tracker.audit.published import publish_once
from tracker.calendar_store import load_calendar
from tracker.cases.models import Case
from tracker.exports import cases as case_export
from tracker.exports import flags as flag_export
from tracker.exports import scorecards as scorecard_export
from tracker.exports.tables import FORMATS, MEDIA_TYPES, Field, table_bytes
from tracker.flags.queries import FlagFilter
from tracker.i18n import current_language
from tracker.i18n import gettext as _
from tracker.scorecards.periods import ROLLING, BadPeriod, Period, parse_period, periods_of
from tracker.web.caching import public_headers
from tracker.web.dates import today
from tracker.web.forms import DB
from tracker.web.runtime import runtime
from tracker.web.transparency import proof_headers

PUBLISHED_CACHE = "public, max-age=86400"
CURRENT_CACHE = "public, max-age=300"
PAGE_SECONDS = 300
PROVISIONAL = "the month is not settled yet"
# A month's file is published for good this many days after the month ends: late decisions and
# confirmations of its cases and flags are in by then (a month published on its first day after
# would keep, for ever, every case of its last weeks as still open).
SETTLE_DAYS = 30
# Headers and published names follow the language, which the cookie or the browser chooses.
VARY = "Accept-Language, Cookie"
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_MONTH_FILE = re.compile(r"^(\d{4}-(?:0[1-9]|1[0-2]))\.([a-z]+)$")


def _month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def settled_before(on: date) -> str:
    """The first month that is not settled on ``on``: those before it are published for good."""
    return _month_key(on - timedelta(days=SETTLE_DAYS))


def month_days(key: str) -> tuple[date, date]:
    """The first and last day of the month ``YYYY-MM``."""
    year, month = int(key[:4]), int(key[5:7])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, newest first."""
    months, (year, month) = [], (int(last[:4]), int(last[5:7]))
    while f"{year:04d}-{month:02d}" >= first:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def first_month(db: Session, on: date, tz: Any) -> str:
    """The month of the first case received: nothing is published before it (so that nobody can
    make the site publish files for every month since year 1). The current one when there is none."""
    first = db.exec(select(func.min(col(Case.received_at)))).one()
    if first is None:
        return _month_key(on)
    return _month_key(first.astimezone(tz).date())


@dataclass(frozen=True)
class DataFile:
    period: str  # YYYY-MM for the monthly files; any scorecard period for the scorecards
    fmt: str
    current: bool  # the period is not settled: made on each request, never published


def parse_month_file(db: Session, value: str, on: date, tz: Any) -> DataFile:
    """``YYYY-MM.fmt`` from the address: 400 when malformed, 404 for a month with no data yet."""
    match = _MONTH_FILE.match(value)
    if match is None or match.group(2) not in FORMATS:
        raise ValidationException(
            _("“%(value)s” is not a month file: write YYYY-MM.xlsx, .csv or .json.", value=value)
        )
    month, fmt = match.group(1), match.group(2)
    current = _month_key(on)
    if month > current or month < first_month(db, on, tz):
        raise NotFoundException()
    return DataFile(month, fmt, month >= settled_before(on))


def parse_period_file(db: Session, value: str, on: date, tz: Any) -> tuple[Period, DataFile]:
    """``PERIOD.fmt`` (R12, 2026, 2026-Q1, 2026-03): 400 when malformed, 404 before the first case
    or after today. R12 moves with today, so it is never settled."""
    stem, dot, fmt = value.rpartition(".")
    try:
        period = parse_period(stem, on) if dot and fmt in FORMATS else None
    except BadPeriod:
        period = None
    if period is None:
        raise ValidationException(
            _(
                "“%(value)s” is not a scorecard file: write R12, YYYY, YYYY-Qn or YYYY-MM, "
                "then .xlsx, .csv or .json.",
                value=value,
            )
        )
    if period.months[0] > _month_key(on) or period.months[-1] < first_month(db, on, tz):
        raise NotFoundException()
    current = period.key == ROLLING or period.months[-1] >= settled_before(on)
    return period, DataFile(period.key, fmt, current)


def settled_periods(months: Sequence[str], on: date) -> list[Period]:
    """The quarters and years holding any of ``months`` that are settled: newest first, a year
    before its last quarter."""
    keys = {key for month in months for key in periods_of(month)[1:]}
    periods = [parse_period(key, on) for key in keys]
    settled = [p for p in periods if p.months[-1] < settled_before(on)]
    return sorted(settled, key=lambda p: (p.months[-1], len(p.months)), reverse=True)


def _filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def _table(
    file: DataFile,
    title: str,
    fields: Sequence[Field],
    rows: Callable[[], Iterable[Sequence[object]]],
    meta: dict[str, object],
) -> Callable[[], bytes]:
    return lambda: table_bytes(
        file.fmt, title, fields, rows(), _, {**meta, "generated_at": utcnow().isoformat()}
    )


def _serve(
    request: Request[Any, Any, Any],
    db: Session,
    file: DataFile,
    stored_stem: str,
    download_name: str,
    make: Callable[[], bytes],
) -> Response[bytes]:
    """A settled period's file published once and served byte for byte; a current one made afresh."""
    language = current_language()
    headers = {
        "content-disposition": f'attachment; filename="{_filename(download_name)}.{file.fmt}"',
        "vary": VARY,
    }
    if file.current:
        body = make()
        headers |= {"cache-control": CURRENT_CACHE, "x-provisional": PROVISIONAL}
        return Response(body, media_type=MEDIA_TYPES[file.fmt], headers=headers)
    # JSON has no headers to translate: one file for every language.
    name = f"{stored_stem}/" + ("data.json" if file.fmt == "json" else f"{language}.{file.fmt}")
    export, body = publish_once(db, runtime(request).settings, name, MEDIA_TYPES[file.fmt], make, utcnow())
    headers |= {
        "cache-control": PUBLISHED_CACHE,
        # The file shows the period as it stood then: cases decided later are not in it.
        "last-modified": format_datetime(export.created_at.astimezone(UTC), usegmt=True),
        **proof_headers(export),
    }
    return Response(body, media_type=export.media_type, headers=headers)


def _fields(fields: Iterable[Field]) -> list[dict[str, str]]:
    return [f.as_dict(_) for f in fields]


def _powerlist_fields() -> list[dict[str, str]]:
    zh = current_language() == "zh-CN"
    return [
        {
            "name": c.field,
            "label": c.zh if zh else c.en,
            "type": "text",
            "description": (c.help_zh if zh else c.help_en),
        }
        for c in EXPORT_ITEM_COLUMNS
    ]


def api_endpoints(request: Request[Any, Any, Any]) -> list[dict[str, str]]:
    """The public GET endpoints of the JSON API (those needing a token left out), from the app itself."""
    found = []
    for route in request.app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        for handler in route.route_handlers:
            if "GET" in handler.http_methods and not handler.resolve_guards():
                # The OpenAPI summary, in English like the rest of the API's description.
                found.append({"path": route.path, "summary": handler.summary or ""})
    return sorted(found, key=lambda e: e["path"])


def _downloads() -> list[dict[str, Any]]:
    return [
        {
            "name": "cases",
            "title": _("Cases of a department, by month of receipt"),
            "url": "/open-data/cases/{department}/{month}.{format}",
            "formats": list(FORMATS),
            "fields": _fields(case_export.FIELDS),
        },
        {
            "name": "violations",
            "title": _("Confirmed violations, by month of detection"),
            "url": "/open-data/violations/{month}.{format}",
            "formats": list(FORMATS),
            "fields": _fields(flag_export.FIELDS),
        },
        {
            "name": "scorecards",
            "title": _("Every department's scorecard of a period"),
            "url": "/open-data/scorecards/{period}.{format}",
            "formats": list(FORMATS),
            "fields": _fields(scorecard_export.RANKING),
        },
        {
            "name": "powerlist",
            "title": _("A department's power list in force"),
            "url": "/departments/{department}/powerlist.{format}",
            "formats": list(FORMATS),
            "fields": _powerlist_fields(),
        },
    ]


class OpenDataController(Controller):
    include_in_schema = False

    @get("/open-data", name="open_data", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        month: FromQuery[str] = "",
        format: FromQuery[str] = "html",
    ) -> Response[Any] | Template:
        return self._page(request, db_session, month, format == "json")

    @get("/open-data.json", name="open_data_json", sync_to_thread=True)
    def index_json(
        self, request: Request[Any, Any, Any], db_session: DB, month: FromQuery[str] = ""
    ) -> Response[Any] | Template:
        return self._page(request, db_session, month, True)

    @staticmethod
    def _page(
        request: Request[Any, Any, Any], db: Session, month: str, as_json: bool
    ) -> Response[Any] | Template:
        on = today(request)
        tz = runtime(request).settings.tz
        current = _month_key(on)
        months = months_between(first_month(db, on, tz), current)
        if month and (not _MONTH.match(month) or month not in months):
            raise ValidationException(_("“%(value)s” is not a month with open data.", value=month))
        # By default the last settled month (published for good), or the earliest there is.
        settled = [m for m in months if m < settled_before(on)]
        shown = month or (settled[0] if settled else months[-1])
        departments = list(db.exec(select(Department).order_by(col(Department.code))))
        context: dict[str, Any] = {
            "month": shown,
            "provisional": shown >= settled_before(on),
            "settle_days": SETTLE_DAYS,
            "settled_before": settled_before(on),
            "months": months,
            "current_month": current,
            "timezone": tz.key,
            "downloads": _downloads(),
            "scorecard_periods": [ROLLING] + [p.key for p in settled_periods(months, on)],
            "api": api_endpoints(request),
        }
        if as_json:
            data = {
                **context,
                "departments": [d.code for d in departments],
                "openapi": "/schema/openapi.json",
            }
            return Response(data, headers={"cache-control": CURRENT_CACHE, "vary": VARY})
        # The page's header names a signed-in user: only an anonymous visitor's page is public.
        return Template(
            "open_data/index.html",
            context={**context, "departments": departments},
            headers=public_headers(request, PAGE_SECONDS),
        )

    @get("/open-data/cases/{code:str}/{file:str}", name="open_data_cases", sync_to_thread=True)
    def cases(
        self, request: Request[Any, Any, Any], db_session: DB, code: FromPath[str], file: FromPath[str]
    ) -> Response[bytes]:
        department = by_code(db_session, code)
        if department is None:
            raise NotFoundException()
        tz = runtime(request).settings.tz
        wanted = parse_month_file(db_session, file, today(request), tz)
        first, last = month_days(wanted.period)
        assert department.id is not None
        department_id, department_code = department.id, department.code

        def rows() -> Iterable[Sequence[object]]:
            cal = load_calendar(db_session)
            return case_export.case_rows(db_session, department_id, department_code, first, last, tz, cal)

        meta: dict[str, object] = {
            "department": department_code,
            "month": wanted.period,
            "timezone": tz.key,
            "provisional": wanted.current,
        }
        return _serve(
            request,
            db_session,
            wanted,
            f"open-data/cases/{department_code}/{wanted.period}",
            f"cases-{department_code}-{wanted.period}",
            _table(wanted, _("Cases"), case_export.FIELDS, rows, meta),
        )

    @get("/open-data/violations/{file:str}", name="open_data_violations", sync_to_thread=True)
    def violations(
        self, request: Request[Any, Any, Any], db_session: DB, file: FromPath[str]
    ) -> Response[bytes]:
        tz = runtime(request).settings.tz
        wanted = parse_month_file(db_session, file, today(request), tz)
        first, last = month_days(wanted.period)
        f = FlagFilter(detected_from=first, detected_to=last, sort="detected", tz=tz)
        meta: dict[str, object] = {"month": wanted.period, "timezone": tz.key, "provisional": wanted.current}
        return _serve(
            request,
            db_session,
            wanted,
            f"open-data/violations/{wanted.period}",
            f"violations-{wanted.period}",
            _table(
                wanted,
                _("Violations"),
                flag_export.FIELDS,
                lambda: flag_export.violation_rows(db_session, f, tz),
                meta,
            ),
        )

    @get("/open-data/scorecards/{file:str}", name="open_data_scorecards", sync_to_thread=True)
    def scorecards(
        self, request: Request[Any, Any, Any], db_session: DB, file: FromPath[str]
    ) -> Response[bytes]:
        period, wanted = parse_period_file(db_session, file, today(request), runtime(request).settings.tz)
        english = current_language() == "en"
        return _serve(
            request,
            db_session,
            wanted,
            f"open-data/scorecards/{period.key}",
            f"scorecards-{period.key}",
            lambda: scorecard_export.scorecards_bytes(db_session, period, wanted.fmt, english, _),
        )
