"""The scorecards as a download: the ranking and each department's months, from the overview's data.

xlsx: a ranking sheet with a native bar chart of the on-time rates, and a monthly sheet; rates
as percentages, days with one decimal, bold frozen headers, autofilters, fitted widths. CSV and
JSON: the ranking table (JSON also carries the months).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.chart import BarChart, Reference  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from sqlalchemy import Table, select
from sqlmodel import Session

from powerlists.messages import N_
from powerlists.safecells import write_cell
from tracker.exports.tables import Field, fit_widths, write_table
from tracker.scorecards.models import ALL_ITEMS, Scorecard
from tracker.scorecards.periods import Period
from tracker.scorecards.queries import Overview, overview

PERCENT, DAYS = "0.0%", "0.0"
_card: Table = Scorecard.__table__  # type: ignore[attr-defined]

RANKING: tuple[Field, ...] = (
    Field(
        "rank",
        N_("Rank"),
        N_("Rank among the departments with enough decided cases; empty: too few."),
        "integer",
    ),
    Field("department", N_("Department code"), N_("The department's code."), "text"),
    Field("name", N_("Department"), N_("The department's name."), "text"),
    Field("received", N_("Received"), N_("Cases received in the period."), "integer"),
    Field("decided", N_("Decided"), N_("Cases decided in the period."), "integer"),
    Field(
        "on_time_promised", N_("On time (promised)"), N_("Share decided by the promised deadline."), "decimal"
    ),
    Field(
        "on_time_promised_low", N_("95% interval, low"), N_("Wilson 95% interval, lower bound."), "decimal"
    ),
    Field(
        "on_time_promised_high", N_("95% interval, high"), N_("Wilson 95% interval, upper bound."), "decimal"
    ),
    Field(
        "on_time_statutory",
        N_("On time (statutory)"),
        N_("Share decided by the statutory deadline."),
        "decimal",
    ),
    Field(
        "median_workdays",
        N_("Median working days"),
        N_("Median working days from acceptance to decision."),
        "decimal",
    ),
    Field("p90_workdays", N_("90th percentile"), N_("90th percentile of the working days used."), "decimal"),
    Field("speed_up", N_("Speed-up"), N_("1 − mean working days used ÷ mean statutory limit."), "decimal"),
    Field("step_overruns", N_("Step overruns"), N_("Steps finished late or still running late."), "integer"),
    Field("flags_red", N_("Red cards"), N_("Red flags detected in the period."), "integer"),
    Field(
        "violations", N_("Confirmed violations"), N_("Flags of the period supervisors confirmed."), "integer"
    ),
    Field(
        "rectified_on_time",
        N_("Rectified on time"),
        N_("Share of the violations rectified by the deadline."),
        "decimal",
    ),
    Field(
        "satisfaction",
        N_("Satisfaction"),
        N_("Ratings of 4 or 5 (satisfied, very satisfied) of all citizens' ratings given in the period."),
        "decimal",
    ),
    Field("bad_reviews", N_("Bad reviews"), N_("Ratings of 1 or 2 given in the period."), "integer"),
    Field(
        "bad_followed_on_time",
        N_("Bad reviews followed up on time"),
        N_("Of the bad reviews due, those the department followed up by the deadline."),
        "decimal",
    ),
    Field(
        "complaints", N_("Complaints received"), N_("Complaints (投诉) received in the period."), "integer"
    ),
    Field(
        "complaints_upheld",
        N_("Complaints upheld"),
        N_("Of the complaints received in the period, those whose review confirmed a violation."),
        "integer",
    ),
    Field("grade", N_("Grade"), N_("Quarterly grade: excellent, good, pass or fail."), "text"),
    Field("score", N_("Score"), N_("The quarterly score the grade comes from (0–100)."), "decimal"),
)
_SAME = {f.name: f for f in RANKING}
MONTHLY: tuple[Field, ...] = (
    _SAME["department"],
    Field("month", N_("Month"), N_("The month (YYYY-MM, local time)."), "text"),
    Field("received", N_("Received"), N_("Cases received in the month."), "integer"),
    Field("decided", N_("Decided"), N_("Cases decided in the month."), "integer"),
    _SAME["on_time_promised"],
    _SAME["on_time_statutory"],
    _SAME["median_workdays"],
    Field("flags_red", N_("Red cards"), N_("Red flags detected in the month."), "integer"),
)
RATES = {
    "on_time_promised",
    "on_time_promised_low",
    "on_time_promised_high",
    "on_time_statutory",
    "speed_up",
    "rectified_on_time",
    "satisfaction",
    "bad_followed_on_time",
}
ONE_DECIMAL = {"median_workdays", "p90_workdays", "score"}


def _values(figures: dict[str, Any]) -> dict[str, Any]:
    promised = figures["on_time_promised"]
    return {
        "received": figures["counts"]["received"],
        "decided": figures["counts"]["decided"],
        "on_time_promised": promised["rate"],
        "on_time_promised_low": promised["low"],
        "on_time_promised_high": promised["high"],
        "on_time_statutory": figures["on_time_statutory"]["rate"],
        "median_workdays": figures["median_workdays"],
        "p90_workdays": figures["p90_workdays"],
        "speed_up": figures["speed_up"],
        "step_overruns": figures["counts"]["step_overruns"],
        "flags_red": figures["counts"]["flags_red"],
        "violations": figures["counts"]["violations"],
        "rectified_on_time": figures["rectified_on_time"]["rate"],
        # Scorecards computed before ratings existed lack these until the next refresh.
        "satisfaction": figures.get("satisfaction", {}).get("rate"),
        "bad_reviews": figures["counts"].get("bad_reviews", 0),
        "bad_followed_on_time": figures.get("bad_followed_on_time", {}).get("rate"),
        # And these until the first refresh after complaints came.
        "complaints": figures.get("complaints", 0),
        "complaints_upheld": figures.get("complaints_upheld", 0),
        "score": figures["grading"]["score"],
    }


def ranking_rows(board: Overview, english: bool) -> list[list[Any]]:
    """The overview's departments, ranked first, as rows of RANKING."""
    rows = []
    for r in [*board.ranked, *board.unranked]:
        values = _values(r["figures"]) | {
            "rank": r["rank"],
            "department": r["code"],
            "name": r["name_en"] if english and r["name_en"] else r["name"],
            "grade": r["grade"],
        }
        rows.append([values[f.name] for f in RANKING])
    return rows


def monthly_rows(db: Session, board: Overview) -> list[list[Any]]:
    codes = {r["department_id"]: r["code"] for r in [*board.ranked, *board.unranked]}
    query = (
        select(_card.c.department_id, _card.c.period, _card.c.figures)
        .where(_card.c.power_code == ALL_ITEMS, _card.c.period.in_(board.period.months))
        .order_by(_card.c.department_id, _card.c.period)
    )
    rows = []
    for department_id, month, figures in db.execute(query):
        if department_id in codes:
            values = _values(figures) | {"department": codes[department_id], "month": month}
            rows.append([values[f.name] for f in MONTHLY])
    return sorted(rows, key=lambda r: (r[0], r[1]))


def _sheet(
    ws: Any, fields: Sequence[Field], rows: Iterable[Sequence[Any]], translate: Callable[[str], str]
) -> int:
    headers = [translate(f.label) for f in fields]
    rows = list(rows)
    for column, header in enumerate(headers, start=1):
        write_cell(ws, 1, column, header).font = Font(bold=True)
    for r, values in enumerate(rows, start=2):
        for column, (field, value) in enumerate(zip(fields, values, strict=True), start=1):
            cell = write_cell(ws, r, column, value)
            if field.name in RATES:
                cell.number_format = PERCENT
            elif field.name in ONE_DECIMAL:
                cell.number_format = DAYS
    for column, width in enumerate(fit_widths(headers, rows[:200]), start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(fields))}{max(1, len(rows) + 1)}"
    return len(rows)


def write_workbook(
    stream: IO[bytes] | str,
    board: Overview,
    monthly: list[list[Any]],
    english: bool,
    translate: Callable[[str], str],
) -> None:
    wb = Workbook()
    ranking = wb.active
    ranking.title = translate(N_("Ranking"))[:31]
    rows = ranking_rows(board, english)
    count = _sheet(ranking, RANKING, rows, translate)
    if count:
        chart = BarChart()
        chart.type = "bar"
        chart.title = translate(N_("On time against the promised limit"))
        chart.y_axis.number_format = PERCENT
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
        rate_column = [f.name for f in RANKING].index("on_time_promised") + 1
        name_column = [f.name for f in RANKING].index("name") + 1
        chart.add_data(
            Reference(ranking, min_col=rate_column, min_row=1, max_row=count + 1), titles_from_data=True
        )
        chart.set_categories(Reference(ranking, min_col=name_column, min_row=2, max_row=count + 1))
        chart.height, chart.width = max(7.5, 0.5 * count), 18
        ranking.add_chart(chart, f"{get_column_letter(len(RANKING) + 2)}2")
    months = wb.create_sheet(translate(N_("By month"))[:31])
    _sheet(months, MONTHLY, monthly, translate)
    wb.save(stream)


def export_scorecards(
    db: Session, period: Period, fmt: str, stream: IO[bytes], english: bool, translate: Callable[[str], str]
) -> int:
    """The scorecards of ``period`` in ``fmt`` to ``stream``; returns the number of departments."""
    board = overview(db, period)
    monthly = monthly_rows(db, board)
    if fmt == "xlsx":
        write_workbook(stream, board, monthly, english, translate)
        return len(board.ranked) + len(board.unranked)
    meta: dict[str, object] = {
        "period": period.key,
        "months": list(period.months),
        "min_cases": board.min_cases,
    }
    if fmt == "json":
        meta |= {"monthly": {"fields": [f.name for f in MONTHLY], "rows": monthly}}
    return write_table(
        fmt, stream, translate(N_("Ranking")), RANKING, ranking_rows(board, english), translate, meta
    )


def scorecards_bytes(
    db: Session, period: Period, fmt: str, english: bool, translate: Callable[[str], str]
) -> bytes:
    buffer = io.BytesIO()
    export_scorecards(db, period, fmt, buffer, english, translate)
    return buffer.getvalue()
