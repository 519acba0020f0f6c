"""Refreshing the rollups and the scorecards (the scheduler's hourly ``scorecards`` job).

A month's rollup rows are recomputed whole from the cases, flags, ratings and complaints of that
month and replaced in one transaction, so a refresh is idempotent and a stop loses nothing; the
scorecards of every period containing a refreshed month (and the rolling twelve months) are then
recomputed from the rollups alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, case, delete, func, select
from sqlmodel import Session

from powerlists.limits import Unit
from powerlists.models import PowerItem
from tracker.bulk import insert_rows
from tracker.calendar import WorkCalendar
from tracker.cases.models import OPEN_CASES, Case, CaseStep
from tracker.complaints.models import Complaint
from tracker.db import begin_writing
from tracker.deadlines import stored_suspensions, workdays_used
from tracker.flags.models import VIOLATION, Flag, FlagAction, FlagStatus, ScanMark
from tracker.flags.subjects import COMPLAINT
from tracker.ratings.models import BadReview, Level, Rating, RatingKind
from tracker.scorecards.figures import COUNTS, OPEN_BUCKETS, combine
from tracker.scorecards.grading import grade
from tracker.scorecards.models import ALL_ITEMS, CaseRollup, OpenRollup, Scorecard
from tracker.scorecards.periods import ROLLING, month_bounds, month_key, parse_period, periods_of, shift_month
from tracker.sla import working_days_between
from tracker.thresholds import Thresholds, load_thresholds

MARK = "scorecards"
REGION = 0  # department_id of the whole region's scorecard

_case: Table = Case.__table__  # type: ignore[attr-defined]
_step: Table = CaseStep.__table__  # type: ignore[attr-defined]
_flag: Table = Flag.__table__  # type: ignore[attr-defined]
_action: Table = FlagAction.__table__  # type: ignore[attr-defined]
_item: Table = PowerItem.__table__  # type: ignore[attr-defined]
_rollup: Table = CaseRollup.__table__  # type: ignore[attr-defined]
_open: Table = OpenRollup.__table__  # type: ignore[attr-defined]
_card: Table = Scorecard.__table__  # type: ignore[attr-defined]
_rating: Table = Rating.__table__  # type: ignore[attr-defined]
_review: Table = BadReview.__table__  # type: ignore[attr-defined]
_complaint: Table = Complaint.__table__  # type: ignore[attr-defined]

Key = tuple[int, str]  # (department_id, power_code)


@dataclass
class _Counts:
    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    workdays: dict[str, int] = field(default_factory=dict)

    def add(self, other: _Counts) -> None:
        for name, value in other.values.items():
            self.values[name] += value
        for days, n in other.workdays.items():
            self.workdays[days] = self.workdays.get(days, 0) + n


def _statutory_workdays(db: Session) -> dict[int, int]:
    """Power items whose statutory limit is counted in working days: their limit."""
    query = select(_item.c.id, _item.c.statutory_value).where(_item.c.statutory_unit == Unit.workday.value)
    return {item_id: value for item_id, value in db.execute(query) if value}


def month_counts(
    db: Session, month: str, cal: WorkCalendar, tz: ZoneInfo, now: datetime
) -> dict[Key, _Counts]:
    """Every count of one local month, per department and power item."""
    start, end = month_bounds(month, tz)
    counts: dict[Key, _Counts] = defaultdict(_Counts)
    dept, code = _case.c.department_id, _case.c.power_code
    in_month = _case.c.received_at >= start, _case.c.received_at < end
    for d, c, n in db.execute(select(dept, code, func.count()).where(*in_month).group_by(dept, code)):
        counts[(d, c)].values["received"] = n
    limits = _statutory_workdays(db)
    decided = select(
        dept,
        code,
        _case.c.power_item_id,
        _case.c.received_at,
        _case.c.accepted_at,
        _case.c.decided_at,
        _case.c.promised_due_at,
        _case.c.statutory_due_at,
        _case.c.suspensions,
    ).where(_case.c.decided_at >= start, _case.c.decided_at < end)
    for row in db.execute(decided):
        v = counts[(row.department_id, row.power_code)]
        v.values["decided"] += 1
        if row.promised_due_at is not None:
            v.values["promised_n"] += 1
            v.values["promised_on_time"] += row.decided_at <= row.promised_due_at
        if row.statutory_due_at is not None:
            v.values["statutory_n"] += 1
            v.values["statutory_on_time"] += row.decided_at <= row.statutory_due_at
        suspensions = stored_suspensions(row.suspensions)
        used = workdays_used(row.accepted_at or row.received_at, row.decided_at, suspensions, cal, tz)
        v.workdays[str(used)] = v.workdays.get(str(used), 0) + 1
        limit = limits.get(row.power_item_id)
        if limit:
            v.values["speed_n"] += 1
            v.values["speed_used"] += used
            v.values["speed_limit"] += limit
    late_steps = (
        select(dept, code, func.count())
        .select_from(_step.join(_case, _case.c.id == _step.c.case_id))
        .where(_step.c.due_at >= start, _step.c.due_at < end, _step.c.due_at < now)
        .where((_step.c.completed_at.is_(None)) | (_step.c.completed_at > _step.c.due_at))
        .group_by(dept, code)
    )
    for d, c, n in db.execute(late_steps):
        counts[(d, c)].values["step_overruns"] = n
    # The inner join leaves out the flags without a case (a complaint's review, and the flags raised
    # about it): an upheld complaint counts once, as complaints_upheld, not again as a violation.
    flags = _flag.join(_case, _case.c.id == _flag.c.case_id)
    detected = _flag.c.detected_at >= start, _flag.c.detected_at < end
    by_level = select(_flag.c.department_id, code, _flag.c.level, func.count()).select_from(flags)
    for d, c, level, n in db.execute(
        by_level.where(*detected).group_by(_flag.c.department_id, code, _flag.c.level)
    ):
        counts[(d, c)].values[f"flags_{level}"] = n
    violations = select(_flag.c.id, _flag.c.department_id, code, _flag.c.status).select_from(flags)
    found = list(db.execute(violations.where(*detected, _flag.c.status.in_(VIOLATION))))
    on_time = _rectified_on_time(db, [f.id for f in found if f.status == FlagStatus.closed.value])
    for f in found:
        v = counts[(f.department_id, f.power_code)]
        v.values["violations"] += 1
        v.values["rectified_on_time"] += f.id in on_time
    _rating_counts(db, counts, start, end, now)
    _complaint_counts(db, counts, start, end)
    return counts


def _rating_counts(
    db: Session, counts: dict[Key, _Counts], start: datetime, end: datetime, now: datetime
) -> None:
    """The month's ratings (by when they were given) and the follow-up of its bad reviews."""
    ratings = (
        select(
            _rating.c.department_id,
            _rating.c.power_code,
            _rating.c.level,
            _review.c.due_at,
            _review.c.rectified_at,
        )
        .select_from(_rating.outerjoin(_review, _review.c.rating_id == _rating.c.id))
        .where(
            _rating.c.kind == RatingKind.rating.value,
            _rating.c.rated_at >= start,
            _rating.c.rated_at < end,
        )
    )
    for d, c, level, due_at, rectified_at in db.execute(ratings):
        v = counts[(d, c)].values
        v["rated"] += 1
        v["satisfied"] += level >= Level.satisfied
        if due_at is None:
            continue
        v["bad_reviews"] += 1
        if rectified_at is not None or due_at < now:
            v["bad_due"] += 1
            v["bad_on_time"] += rectified_at is not None and rectified_at <= due_at


def _upheld() -> Any:
    """Whether a complaint's review confirmed a violation (whenever it was decided)."""
    return (
        select(_flag.c.id)
        .where(
            _flag.c.complaint_id == _complaint.c.id,
            _flag.c.kind == COMPLAINT,
            _flag.c.status.in_(VIOLATION),
        )
        .exists()
    )


def _complaint_counts(db: Session, counts: dict[Key, _Counts], start: datetime, end: datetime) -> None:
    """The month's complaints (by when they were received) and, of those, the upheld ones: a
    complaint upheld months later still counts in the month it was received. A complaint about the
    department in general has the power code '' (ALL_ITEMS): it counts in the department's whole
    row only (see ``_rows``)."""
    dept, code = _complaint.c.department_id, _complaint.c.power_code
    query = (
        select(dept, code, func.count(), func.sum(case((_upheld(), 1), else_=0)))
        .where(_complaint.c.received_at >= start, _complaint.c.received_at < end)
        .group_by(dept, code)
    )
    for d, c, n, upheld in db.execute(query):
        v = counts[(d, c)].values
        v["complaints"] += n
        v["complaints_upheld"] += int(upheld or 0)


def _rectified_on_time(db: Session, closed: list[int]) -> set[int]:
    """The closed violations whose accepted rectification was reported by its deadline."""
    if not closed:
        return set()
    query = (
        select(_action.c.flag_id, _action.c.action, _action.c.at, _action.c.due_at)
        .where(_action.c.flag_id.in_(closed))
        .order_by(_action.c.flag_id, _action.c.at, _action.c.id)
    )
    reported: dict[int, tuple[datetime, datetime | None]] = {}
    on_time: set[int] = set()
    for flag_id, action, at, due_at in db.execute(query):
        if action == "report_rectification":
            reported[flag_id] = (at, due_at)
        elif action == "accept_rectification" and flag_id in reported:
            report_at, due = reported[flag_id]
            if due is None or report_at <= due:
                on_time.add(flag_id)
            else:
                on_time.discard(flag_id)
    return on_time


def _rows(month: str, counts: dict[Key, _Counts]) -> list[dict[str, Any]]:
    """Rollup rows per item and, summed, per department ('' for every item).

    Counts keyed by ALL_ITEMS itself (complaints about no item) go into the department's whole
    row alone: a row of their own would collide with it."""
    totals: dict[int, _Counts] = defaultdict(_Counts)
    for (department_id, _code), v in counts.items():
        totals[department_id].add(v)
    items = [(key, v) for key, v in counts.items() if key[1] != ALL_ITEMS]
    keyed = [*items, *(((d, ALL_ITEMS), v) for d, v in totals.items())]
    return [
        {"department_id": d, "power_code": c, "month": month, **v.values, "workdays": v.workdays}
        for (d, c), v in keyed
    ]


def refresh_month(db: Session, month: str, cal: WorkCalendar, tz: ZoneInfo, now: datetime) -> int:
    """Replace one month's rollup rows; returns how many were written (the caller commits)."""
    rows = _rows(month, month_counts(db, month, cal, tz, now))
    db.execute(delete(_rollup).where(_rollup.c.month == month))
    insert_rows(db, _rollup, rows)
    return len(rows)


def refresh_open(db: Session, cal: WorkCalendar, tz: ZoneInfo, now: datetime) -> int:
    """Replace the open-case snapshot: each open case by working days past its deadline."""
    today = now.astimezone(tz).date()
    overdue_days: dict[date, int] = {}
    buckets: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OPEN_BUCKETS, 0))
    query = select(
        _case.c.department_id, _case.c.power_code, _case.c.statutory_due_at, _case.c.promised_due_at
    ).where(OPEN_CASES)
    for department_id, code, statutory, promised in db.execute(query):
        due = statutory or promised
        if due is None or due >= now:
            bucket = "within"
        else:
            day = due.astimezone(tz).date()
            if day not in overdue_days:
                overdue_days[day] = working_days_between(cal, day, today)
            days = overdue_days[day]
            bucket = "overdue_1_5" if days <= 5 else "overdue_6_20" if days <= 20 else "overdue_over_20"
        for key in ((department_id, code), (department_id, ALL_ITEMS)):
            buckets[key][bucket] += 1
    rows = [{"department_id": d, "power_code": c, **b, "as_of": now} for (d, c), b in buckets.items()]
    db.execute(delete(_open))
    insert_rows(db, _open, rows)
    return len(rows)


def refresh_scorecards(db: Session, periods: Iterable[str], today: date, now: datetime) -> int:
    """Recompute the scorecards of ``periods`` from the rollups; returns the rows written."""
    thresholds = load_thresholds(db)
    open_rows: dict[Key, dict[str, Any]] = {
        (r["department_id"], r["power_code"]): dict(r) for r in db.execute(select(_open)).mappings()
    }
    written = 0
    for key in sorted(set(periods)):
        period = parse_period(key, today)
        rows = [
            dict(r) for r in db.execute(select(_rollup).where(_rollup.c.month.in_(period.months))).mappings()
        ]
        cards = _cards(period.key, period.quarterly, rows, open_rows, thresholds, now)
        db.execute(delete(_card).where(_card.c.period == period.key))
        insert_rows(db, _card, cards)
        written += len(cards)
    return written


def _cards(
    period: str,
    quarterly: bool,
    rows: list[dict[str, Any]],
    open_rows: dict[Key, dict[str, Any]],
    thresholds: Thresholds,
    now: datetime,
) -> list[dict[str, Any]]:
    grouped: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        grouped[(r["department_id"], r["power_code"])].append(r)
        if r["power_code"] == ALL_ITEMS:
            grouped[(REGION, ALL_ITEMS)].append(r)
    region_open = [o for (d, c), o in open_rows.items() if c == ALL_ITEMS]
    cards = []
    for (department_id, code), group in grouped.items():
        opened = (
            region_open
            if department_id == REGION
            else [o for o in [open_rows.get((department_id, code))] if o]
        )
        figures = combine(group, opened)
        graded = grade(figures, thresholds)
        data = figures.as_dict() | {"grading": graded.as_dict()}
        cards.append(
            {
                "department_id": department_id,
                "power_code": code,
                "period": period,
                "decided": figures.counts["decided"],
                "on_time_promised": figures.on_time_promised.value,
                "rank": None,
                "grade": graded.grade if quarterly else None,
                "figures": data,
                "refreshed_at": now,
            }
        )
    _rank(cards, thresholds.value("ranking_min_cases"))
    return cards


def _rank(cards: list[dict[str, Any]], min_cases: int) -> None:
    """Rank the departments' whole rows with enough decided cases: by on-time rate against the
    promised limit, then the statutory one; equal figures share a rank (1, 2, 2, 4)."""
    ranked = [
        c
        for c in cards
        if c["power_code"] == ALL_ITEMS and c["department_id"] != REGION and c["decided"] >= min_cases
    ]

    def key(c: dict[str, Any]) -> tuple[float, float]:
        figures = c["figures"]
        return (
            -(figures["on_time_promised"]["rate"] or 0.0),
            -(figures["on_time_statutory"]["rate"] or 0.0),
        )

    ranked.sort(key=key)
    for position, card in enumerate(ranked, start=1):
        before = ranked[position - 2] if position > 1 else None
        card["rank"] = before["rank"] if before is not None and key(before) == key(card) else position


def _touched_since(db: Session, since: datetime | None, tz: ZoneInfo, current: str) -> list[str]:
    """The months whose cases, flags, ratings or complaints may have changed since ``since`` (all of
    them at first)."""
    if since is None:
        earliest = [
            db.execute(select(func.min(_case.c.received_at))).scalar(),
            db.execute(select(func.min(_complaint.c.received_at))).scalar(),
        ]
    else:
        earliest = [
            db.execute(select(func.min(_case.c.received_at)).where(_case.c.last_event_at >= since)).scalar(),
            db.execute(select(func.min(_flag.c.detected_at)).where(_flag.c.detected_at >= since)).scalar(),
            db.execute(
                select(func.min(_flag.c.detected_at))
                .select_from(_flag.join(_action, _action.c.flag_id == _flag.c.id))
                .where(_action.c.at >= since)
            ).scalar(),
            # Bad reviews followed up, or whose deadline passed, since: their rating's month changes.
            db.execute(
                select(func.min(_rating.c.rated_at))
                .select_from(_rating.join(_review, _review.c.rating_id == _rating.c.id))
                .where((_review.c.rectified_at >= since) | (_review.c.due_at >= since))
            ).scalar(),
            db.execute(
                select(func.min(_complaint.c.received_at)).where(_complaint.c.received_at >= since)
            ).scalar(),
            # A complaint's review decided since (upheld, or no longer): its received month changes.
            db.execute(
                select(func.min(_complaint.c.received_at))
                .select_from(
                    _complaint.join(_flag, _flag.c.complaint_id == _complaint.c.id).join(
                        _action, _action.c.flag_id == _flag.c.id
                    )
                )
                .where(_flag.c.kind == COMPLAINT, _action.c.at >= since)
            ).scalar(),
        ]
    starts = [month_key(e.astimezone(tz).date()) for e in earliest if e is not None]
    month = min([*starts, current])
    months = []
    while month <= current:
        months.append(month)
        month = shift_month(month, 1)
    return months


@dataclass(frozen=True)
class Refreshed:
    months: list[str]
    scorecards: int


def refresh(
    db: Session, now: datetime, cal: WorkCalendar, tz: ZoneInfo, *, months: list[str] | None = None
) -> Refreshed:
    """The job: refresh the touched months (or ``months``), the open snapshot, and the scorecards of
    every period those months belong to and of the rolling twelve months. The caller commits."""
    begin_writing(db)
    today = now.astimezone(tz).date()
    mark = db.get(ScanMark, MARK)
    if months is None:
        months = _touched_since(db, mark.until if mark else None, tz, month_key(today))
    for month in months:
        refresh_month(db, month, cal, tz, now)
    refresh_open(db, cal, tz, now)
    periods = {p for m in months for p in periods_of(m)} | {ROLLING}
    written = refresh_scorecards(db, periods, today, now)
    db.merge(ScanMark(name=MARK, until=now))
    db.flush()
    return Refreshed(months, written)
