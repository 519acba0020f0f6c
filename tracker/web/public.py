"""Public pages: home, departments, language switch, health check."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_percent
from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import func
from sqlmodel import Session, select

from powerlists.departments import as_public_dict, by_code, parent_code_map, search_statement
from powerlists.importer import version_in_force, versions
from powerlists.models import Department
from powerlists.queries import list_items, search_items
from tracker.i18n import babel_locale, current_language
from tracker.i18n import gettext as _
from tracker.ratings.queries import public_comments
from tracker.scorecards.periods import ROLLING
from tracker.scorecards.queries import (
    DepartmentCard,
    confirmed_violations,
    department_card,
    overview,
    period_choices,
)
from tracker.settings import LANGUAGES
from tracker.web.caching import public_headers
from tracker.web.charts import badge_colour, badge_svg
from tracker.web.cookies import make_cookie
from tracker.web.dates import today
from tracker.web.forms import DB, safe_next
from tracker.web.page_cache import RenderedPage, html, json_page, page_cache
from tracker.web.pagination import paginate, paginate_rows
from tracker.web.powers import category_names
from tracker.web.runtime import runtime
from tracker.web.scorecard_charts import ranking_chart, trend_charts
from tracker.web.scorecard_views import card_json, chosen_period, overview_json, violation_json

ONE_YEAR = 365 * 24 * 3600
LATEST_VIOLATIONS = 10


def _percent_text(rate: float) -> str:
    return format_percent(rate, "#,##0.0%", locale=babel_locale())


class PublicController(Controller):
    include_in_schema = False

    @get("/", name="home")
    async def home(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        period: FromQuery[str] = ROLLING,
        format: FromQuery[str] = "html",
    ) -> Response[bytes]:
        chosen = chosen_period(request, period)

        def render() -> RenderedPage:
            board = overview(db_session, chosen)
            violations = confirmed_violations(db_session, limit=LATEST_VIOLATIONS)
            if format == "json":
                return json_page(overview_json(board, violations))
            count = db_session.exec(select(func.count()).select_from(Department)).one()
            context = {
                "department_count": count,
                "board": board,
                "ranking_chart": ranking_chart(board, current_language() == "en"),
                "violations": violations,
                "periods": period_choices(today(request)),
            }
            return html(request, "home.html", context)

        return await page_cache(request).serve(request, render)

    @get("/departments", name="departments", sync_to_thread=True)
    def departments(
        self,
        db_session: DB,
        q: FromQuery[str] = "",
        page: FromQuery[int] = 1,
        format: FromQuery[str] = "html",
    ) -> Response[Any]:
        found = paginate(db_session, search_statement(q), page)
        if format == "json":
            parents = parent_code_map(db_session)
            return Response(
                {**found.as_dict(), "q": q, "departments": [as_public_dict(d, parents) for d in found.items]}
            )
        return Template("departments/index.html", context={"page": found, "q": q})

    @get("/departments/{code:str}", name="department")
    async def department(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        code: FromPath[str],
        page: FromQuery[int] = 1,
        version: FromQuery[int | None] = None,
        period: FromQuery[str] = ROLLING,
        format: FromQuery[str] = "html",
    ) -> Response[bytes]:
        chosen = chosen_period(request, period)

        def render() -> RenderedPage:
            department = by_code(db_session, code.removesuffix(".json"))
            if department is None:
                raise NotFoundException()
            assert department.id is not None
            department_id = department.id
            card = department_card(db_session, department_id, chosen, today(request))
            violations = confirmed_violations(db_session, department_id, limit=LATEST_VIOLATIONS)
            if format == "json" or code.endswith(".json"):
                return json_page(
                    {
                        "department": {
                            "code": department.code,
                            "name": department.name,
                            "name_en": department.name_en,
                        },
                        "scorecard": card_json(card),
                        "confirmed_violations": [violation_json(v) for v in violations],
                    }
                )
            return html(
                request,
                "departments/detail.html",
                self._department_context(request, db_session, department, page, version, card, violations),
            )

        return await page_cache(request).serve(request, render)

    @staticmethod
    def _department_context(
        request: Request[Any, Any, Any],
        db_session: Session,
        department: Department,
        page: int,
        version: int | None,
        card: DepartmentCard,
        violations: list[dict[str, Any]],
    ) -> dict[str, Any]:
        parent = db_session.get(Department, department.parent_id) if department.parent_id else None
        children = db_session.exec(
            select(Department).where(Department.parent_id == department.id).order_by(Department.code)
        ).all()
        on = today(request)
        assert department.id is not None
        in_force = version_in_force(db_session, department.id, on)
        all_versions = versions(db_session, department.id)
        shown = in_force
        if version is not None:  # an earlier (or a future) version stays browsable
            shown = next((v for v in all_versions if v.version == version), None)
            if shown is None:
                raise NotFoundException()
        items = list_items(shown.id) if shown and shown.id else search_items(on, department_id=department.id)
        return {
            "department": department,
            "parent": parent,
            "children": children,
            "in_force": in_force,
            "shown": shown,
            "versions": all_versions,
            "items": paginate_rows(db_session, items, page, 50),
            "categories": category_names(),
            "card": card,
            "trend_charts": trend_charts(card),
            "violations": violations,
            "periods": period_choices(on),
            "comments": public_comments(db_session, department.id),
            "page_url": f"{runtime(request).settings.site_url}/departments/{department.code}",
        }

    @get("/departments/{code:str}/badge.svg", name="department_badge", sync_to_thread=True)
    def badge(self, request: Request[Any, Any, Any], db_session: DB, code: FromPath[str]) -> Response[str]:
        """The on-time rate (promised limit, last 12 months) as a badge other sites may embed."""
        department = by_code(db_session, code)
        if department is None or department.id is None:
            raise NotFoundException()
        card = department_card(
            db_session, department.id, chosen_period(request, ROLLING), today(request)
        ).card
        rate = card["figures"]["on_time_promised"]["rate"] if card else None
        enough = card is not None and card["decided"] >= card["figures"]["grading"]["min_cases"]
        shown = rate if enough else None  # too few cases: no rate worth a colour
        value = _percent_text(shown) if shown is not None else _("too few cases")
        svg = badge_svg(_("on time"), value, badge_colour(shown))
        return Response(svg, media_type="image/svg+xml", headers=public_headers(request, seconds=3600))

    @get("/lang/{language:str}", name="language", sync_to_thread=False)
    def language(
        self, request: Request[Any, Any, Any], language: FromPath[str], next: FromQuery[str] = "/"
    ) -> Redirect:
        # A display preference kept in the visitor's own cookie; nothing on the server changes.
        if language not in LANGUAGES:
            raise NotFoundException()
        rt = runtime(request)
        return Redirect(
            safe_next(next),
            cookies=[make_cookie(rt.settings, rt.cookies.language, language, max_age=ONE_YEAR)],
        )

    @get("/healthz", name="health", sync_to_thread=True)
    def health(self, db_session: DB) -> dict[str, str]:
        db_session.exec(select(1)).one()
        return {"status": "ok"}
