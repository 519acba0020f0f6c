"""The scorecard pages' charts, built from the same figures as their tables and JSON twins."""

from __future__ import annotations

from collections.abc import Callable

from babel.numbers import format_decimal, format_percent
from markupsafe import Markup

from tracker.i18n import babel_locale
from tracker.i18n import gettext as _
from tracker.scorecards.queries import DepartmentCard, Overview
from tracker.web.charts import Band, BarChart, LineChart, RankChart, RankRow, Series


def _percent(value: float) -> str:
    return format_percent(value, "#,##0.0%", locale=babel_locale())


def _count(value: float) -> str:
    return format_decimal(value, "#,##0.#", locale=babel_locale())


def _column(card: DepartmentCard, pick: Callable[[dict], float | None]) -> list[float | None]:  # type: ignore[type-arg]
    return [pick(t["figures"]) if t["figures"] else None for t in card.trend]


def trend_charts(card: DepartmentCard) -> list[Markup]:
    """On-time rate (with its interval), cases received and decided, median working days: by month."""
    months = [t["month"] for t in card.trend]
    promised = [t["figures"]["on_time_promised"] if t["figures"] else None for t in card.trend]
    summary = _("The numbers as a table")
    on_time = LineChart(
        id="trend-ontime",
        title=_("On time against the promised limit, by month"),
        desc=_("The share of decided cases decided by the promised deadline, with its 95% interval."),
        categories=months,
        series=Series(_("On-time rate"), [p["rate"] if p else None for p in promised]),
        band=Band(
            _("95% interval"),
            [p["low"] if p else None for p in promised],
            [p["high"] if p else None for p in promised],
            _("lower bound"),
            _("upper bound"),
        ),
        fmt=_percent,
        category_name=_("Month"),
        scale="rate",
    )
    volume = BarChart(
        id="trend-cases",
        title=_("Cases received and decided, by month"),
        desc=_("How many cases the department received and decided each month."),
        categories=months,
        series=[
            Series(_("Received"), _column(card, lambda f: f["counts"]["received"])),
            Series(_("Decided"), _column(card, lambda f: f["counts"]["decided"])),
        ],
        fmt=_count,
        category_name=_("Month"),
        scale="count",
    )
    days = LineChart(
        id="trend-days",
        title=_("Median working days from acceptance to decision, by month"),
        desc=_("Half of the cases decided that month took at most this many working days."),
        categories=months,
        series=Series(_("Median working days"), _column(card, lambda f: f["median_workdays"])),
        fmt=_count,
        category_name=_("Month"),
        scale="number",
    )
    return [chart.figure(summary) for chart in (on_time, volume, days)]


def ranking_chart(board: Overview, english: bool) -> Markup | None:
    rows = [
        RankRow(
            r["name_en"] if english and r["name_en"] else r["name"],
            r["figures"]["on_time_promised"]["rate"],
            r["figures"]["on_time_promised"]["low"],
            r["figures"]["on_time_promised"]["high"],
            too_few=r["rank"] is None,
        )
        for r in [*board.ranked, *board.unranked]
    ]
    if not rows:
        return None
    return RankChart(
        id="ranking",
        title=_("On time against the promised limit, by department"),
        desc=_("Ranked departments first; those with too few decided cases are shown apart, not ranked."),
        rows=rows,
        fmt=_percent,
        label_name=_("Department"),
        value_name=_("On-time rate"),
        too_few_text=_("too few cases to rank"),
        lower_name=_("lower bound"),
        upper_name=_("upper bound"),
    ).figure(_("The numbers as a table"))
