"""Public power-list pages: search every list in force, one item with its steps and history, downloads."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy import Row
from sqlmodel import Session, select

from powerlists.categories import CHINESE, ENGLISH, Category
from powerlists.columns import utcnow
from powerlists.departments import by_code
from powerlists.fields import ITEM_COLUMNS
from powerlists.importer import load_items, version_in_force, versions
from powerlists.models import Department, PowerItem, PowerList
from powerlists.queries import ItemDetail, item_detail, search_items
from powerlists.template import to_json, write_csv, write_template, write_workbook
from tracker.audit.published import publish_once
from tracker.exports.tables import MEDIA_TYPES
from tracker.i18n import current_language
from tracker.i18n import gettext as _
from tracker.scorecards.periods import ROLLING
from tracker.scorecards.queries import department_card, period_choices
from tracker.web.caching import public_headers
from tracker.web.dates import today
from tracker.web.forms import DB
from tracker.web.page_cache import RenderedPage, html, json_page, page_cache
from tracker.web.pagination import DEFAULT_PER_PAGE, Page, paginate_rows
from tracker.web.runtime import runtime
from tracker.web.scorecard_views import card_json, chosen_period
from tracker.web.transparency import proof_headers

PUBLIC_CACHE = {"cache-control": "public, max-age=300"}


def category_names() -> dict[str, str]:
    names = CHINESE if current_language() == "zh-CN" else ENGLISH
    return {c.value: names[c] for c in Category}


def field_names() -> dict[str, str]:
    """Column labels in the visitor's language, for "what changed" lists."""
    zh = current_language() == "zh-CN"
    labels = {c.field: c.zh if zh else c.en for c in ITEM_COLUMNS}
    labels["steps"] = _("Process steps")
    return labels


def _download(
    body: bytes, filename: str, media_type: str, extra: dict[str, str] | None = None
) -> Response[bytes]:
    return Response(
        body,
        media_type=media_type,
        headers={
            **PUBLIC_CACHE,
            "content-disposition": f'attachment; filename="{filename}"',
            **(extra or {}),
        },
    )


def department_list(db: Session, code: str, version: int | None, on: date) -> tuple[Department, PowerList]:
    """The department and the requested version of its list (default: the one in force)."""
    department = by_code(db, code)
    if department is None:
        raise NotFoundException()
    if version is None:
        power_list = version_in_force(db, department.id, on)  # type: ignore[arg-type]
    else:
        power_list = next((v for v in versions(db, department.id) if v.version == version), None)  # type: ignore[arg-type]
    if power_list is None:
        raise NotFoundException()
    return department, power_list


def powers_page(
    db: Session,
    on: date,
    *,
    q: str,
    department: str,
    category: str,
    page: int,
    per_page: int = DEFAULT_PER_PAGE,
) -> Page[Row[Any]]:
    """The one query behind /powers and /api/v1/powers."""
    dept = by_code(db, department) if department else None
    if department and dept is None:
        return Page(items=[], number=1, per_page=per_page, total=0)
    stmt = search_items(
        on,
        q=q,
        department_id=dept.id if dept else None,
        category=category if category in {c.value for c in Category} else "",
    )
    return paginate_rows(db, stmt, page, per_page)


def _limit_dict(value: int | None, unit: str | None) -> dict[str, Any] | None:
    return {"value": value or 0, "unit": unit} if unit else None


def item_row_dict(item: PowerItem, department: Department) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "category": item.category,
        "department": department.code,
        "statutory_limit": _limit_dict(item.statutory_value, item.statutory_unit),
        "promised_limit": _limit_dict(item.promised_value, item.promised_unit),
    }


def detail_dict(detail: ItemDetail) -> dict[str, Any]:
    return {
        "department": detail.department.code,
        "version": detail.power_list.version,
        "effective": detail.power_list.effective_from.isoformat(),
        "item": detail.item.as_dict(),
        "history": [
            {
                "version": v.power_list.version,
                "effective": v.power_list.effective_from.isoformat(),
                "change": v.kind,
                "fields": sorted(v.changes),
            }
            for v in detail.history
        ],
    }


class PowersController(Controller):
    include_in_schema = False

    @get("/powers", name="powers", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        q: FromQuery[str] = "",
        department: FromQuery[str] = "",
        category: FromQuery[str] = "",
        page: FromQuery[int] = 1,
        format: FromQuery[str] = "html",
    ) -> Response[Any]:
        found = powers_page(
            db_session, today(request), q=q, department=department, category=category, page=page
        )
        if format == "json":
            items = [item_row_dict(item, dept) for item, dept in found.items]
            return Response({**found.as_dict(), "items": items}, headers=public_headers(request))
        departments = db_session.exec(select(Department).order_by(Department.code)).all()
        return Template(
            "powers/index.html",
            context={
                "page": found,
                "q": q,
                "department": department,
                "category": category,
                "departments": departments,
                "categories": category_names(),
            },
            headers=public_headers(request),
        )

    @get("/powers/template.xlsx", name="powers_template", sync_to_thread=True)
    def template(self) -> Response[bytes]:
        buffer = io.BytesIO()
        write_template(buffer, language=current_language())
        return _download(buffer.getvalue(), "powerlist-template.xlsx", MEDIA_TYPES["xlsx"])

    @get("/powers/{code:str}", name="power")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        code: FromPath[str],
        period: FromQuery[str] = ROLLING,
        format: FromQuery[str] = "html",
    ) -> Response[bytes]:
        chosen = chosen_period(request, period)

        def render() -> RenderedPage:
            detail = item_detail(db_session, code.removesuffix(".json"), today(request))
            if detail is None:
                raise NotFoundException()
            assert detail.department.id is not None
            department_id = detail.department.id
            # The item's performance next to its limits, from its scorecard rows.
            card = department_card(db_session, department_id, chosen, today(request), detail.item.code)
            if format == "json" or code.endswith(".json"):
                return json_page(detail_dict(detail) | {"scorecard": card_json(card)})
            context = {
                "d": detail,
                "categories": category_names(),
                "field_names": field_names(),
                "card": card,
                "periods": period_choices(today(request)),
            }
            return html(request, "powers/detail.html", context)

        return await page_cache(request).serve(request, render)

    # One handler per format: a sync handler mounted on several paths answers with a coroutine in
    # litestar 2.25 (see PITFALLS), so each path gets its own handler.
    @get("/departments/{code:str}/powerlist.xlsx", name="powerlist_xlsx", sync_to_thread=True)
    def download_xlsx(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        code: FromPath[str],
        version: FromQuery[int | None] = None,
    ) -> Response[bytes]:
        return self._download(request, db_session, code, version, "xlsx")

    @get("/departments/{code:str}/powerlist.csv", name="powerlist_csv", sync_to_thread=True)
    def download_csv(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        code: FromPath[str],
        version: FromQuery[int | None] = None,
    ) -> Response[bytes]:
        return self._download(request, db_session, code, version, "csv")

    @get("/departments/{code:str}/powerlist.json", name="powerlist_json", sync_to_thread=True)
    def download_json(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        code: FromPath[str],
        version: FromQuery[int | None] = None,
    ) -> Response[bytes]:
        return self._download(request, db_session, code, version, "json")

    @staticmethod
    def _download(
        request: Request[Any, Any, Any], db_session: Session, code: str, version: int | None, fmt: str
    ) -> Response[bytes]:
        department, power_list = department_list(db_session, code, version, today(request))
        language = current_language()

        def make() -> bytes:
            items = load_items(db_session, power_list.id)  # type: ignore[arg-type]
            if fmt == "json":
                data = to_json(department.code, power_list.version, power_list.effective_from, items)
                return json.dumps(data, ensure_ascii=False).encode()
            if fmt == "csv":
                text = io.StringIO()
                write_csv(items, text, language=language)
                return text.getvalue().encode("utf-8")
            buffer = io.BytesIO()
            write_workbook(items, buffer, language=language)
            return buffer.getvalue()

        # Published once per version, format (and language, for the headers) and served as stored.
        stored_name = f"powerlist/{department.code}/v{power_list.version}/" + (
            "list.json" if fmt == "json" else f"{language}.{fmt}"
        )
        export, body = publish_once(
            db_session, runtime(request).settings, stored_name, MEDIA_TYPES[fmt], make, utcnow()
        )
        name = f"powerlist-{department.code}-v{power_list.version}.{fmt}"
        return _download(body, name, export.media_type, proof_headers(export))
