"""Scorecards: the rollups and the figures, checked against an independent computation from raw cases."""

from __future__ import annotations

import math
import statistics
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from tests.conftest import Cast, Tracker, one_line_error
from tests.test_cases_ingest import SHANGHAI, send
from tracker.calendar import OFFICIAL
from tracker.cases.models import Case
from tracker.flags.models import Flag
from tracker.flags.scans import deadline_scan
from tracker.scorecards.figures import COUNTS, combine
from tracker.scorecards.grading import grade
from tracker.scorecards.models import ALL_ITEMS, CaseRollup, Scorecard
from tracker.scorecards.periods import BadPeriod, parse_period
from tracker.scorecards.refresh import REGION, _cards, refresh, refresh_open
from tracker.scorecards.stats import wilson
from tracker.thresholds import DEFAULTS, Thresholds

NOW = datetime(2026, 5, 6, 9, 0, tzinfo=SHANGHAI)
# (received, decided): March 2026 receipts, decided after 2 to 30 calendar days, two in April.
CASES = [
    ("2026-03-02T09:00:00", "2026-03-04T16:00:00"),
    ("2026-03-03T09:00:00", "2026-03-13T10:00:00"),
    ("2026-03-05T09:00:00", "2026-03-20T10:00:00"),
    ("2026-03-09T09:00:00", "2026-03-30T10:00:00"),
    ("2026-03-10T09:00:00", "2026-03-31T17:00:00"),
    ("2026-03-16T09:00:00", "2026-04-20T10:00:00"),
    ("2026-03-17T09:00:00", "2026-04-02T10:00:00"),
    ("2026-03-18T09:00:00", None),  # still open in May: far past both limits
]


def load(db: Session, cast: Cast) -> None:
    events: list[dict[str, Any]] = []
    for i, (received, decided) in enumerate(CASES):
        ref = f"S-{i}"
        events += [
            {"case": ref, "type": "received", "at": received, "power": "XK-1"},
            {"case": ref, "type": "accepted", "at": received.replace("T09", "T10")},
        ]
        if decided:
            events.append({"case": ref, "type": "decided", "at": decided, "outcome": "approved"})
    events.append({"case": "OFF-1", "type": "received", "at": "2026-03-20T09:00:00", "power": "NOT-LISTED"})
    assert all(r["status"] == "stored" for r in send(db, cast.dept_a.id, *events))


def card(db: Session, department_id: int, period: str, code: str = ALL_ITEMS) -> Scorecard:
    db.expire_all()
    row = db.get(Scorecard, (department_id, code, period))
    assert row is not None, (department_id, code, period)
    return row


def independent(db: Session, department_id: int, months: set[str]) -> dict[str, Any]:
    """The figures from the raw cases, with nothing but plain Python and the official calendar."""
    cases = list(db.exec(select(Case).where(Case.department_id == department_id)))

    def local_month(at: datetime | None) -> str | None:
        return at.astimezone(SHANGHAI).strftime("%Y-%m") if at else None

    decided = [c for c in cases if local_month(c.decided_at) in months]
    used = []
    for c in decided:
        start = (c.accepted_at or c.received_at).astimezone(SHANGHAI).date()
        end = c.decided_at.astimezone(SHANGHAI).date()  # type: ignore[union-attr]
        used.append(
            sum(OFFICIAL.is_working_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1))
        )
    promised = [c for c in decided if c.promised_due_at]
    statutory = [c for c in decided if c.statutory_due_at]
    with_limit = [u for c, u in zip(decided, used, strict=True) if c.power_code == "XK-1"]
    ordered = sorted(used)
    return {
        "received": sum(local_month(c.received_at) in months for c in cases),
        "decided": len(decided),
        "promised": (sum(c.decided_at <= c.promised_due_at for c in promised), len(promised)),  # type: ignore[operator]
        "statutory": (sum(c.decided_at <= c.statutory_due_at for c in statutory), len(statutory)),  # type: ignore[operator]
        "median": float(statistics.median(used)) if used else None,
        "p90": float(ordered[math.ceil(0.9 * len(ordered)) - 1]) if used else None,
        "speed_up": 1 - statistics.mean(with_limit) / 20 if with_limit else None,
    }


def assert_matches(figures: dict[str, Any], expected: dict[str, Any]) -> None:
    assert figures["counts"]["received"] == expected["received"]
    assert figures["counts"]["decided"] == expected["decided"]
    promised, statutory = figures["on_time_promised"], figures["on_time_statutory"]
    assert (promised["k"], promised["n"]) == expected["promised"]
    assert (statutory["k"], statutory["n"]) == expected["statutory"]
    assert figures["median_workdays"] == expected["median"]
    assert figures["p90_workdays"] == expected["p90"]
    assert figures["speed_up"] == pytest.approx(expected["speed_up"])
    low, high = wilson(*expected["promised"])  # type: ignore[misc]
    assert (promised["low"], promised["high"]) == pytest.approx((low, high))


def test_the_scorecards_match_an_independent_computation_from_the_raw_cases(
    db: Session, listed: Cast
) -> None:
    load(db, listed)
    refresh(db, NOW, OFFICIAL, SHANGHAI)
    db.commit()
    a = listed.dept_a.id
    assert a is not None
    march = independent(db, a, {"2026-03"})
    assert march["decided"] == 5 and march["promised"][0] < march["promised"][1]  # some were late
    assert_matches(card(db, a, "2026-03").figures, march)
    assert_matches(card(db, a, "2026-Q1").figures, march)
    spring = independent(db, a, {"2026-03", "2026-04"})
    assert_matches(card(db, a, "2026").figures, spring)
    assert_matches(card(db, a, "R12").figures, spring)
    assert_matches(card(db, REGION, "2026").figures, spring)
    item = card(db, a, "2026-03", "XK-1").figures
    assert item["counts"]["received"] == march["received"] - 1  # OFF-1 is not XK-1
    assert card(db, a, "2026-04").figures["counts"]["received"] == 0


def test_open_cases_are_counted_by_working_days_past_their_deadline(db: Session, listed: Cast) -> None:
    load(db, listed)
    refresh(db, NOW, OFFICIAL, SHANGHAI)
    db.commit()
    open_cases = card(db, listed.dept_a.id, "R12").figures["open_cases"]  # type: ignore[arg-type]
    # S-7 (accepted Wed 18 March, 20 working days) was due by the end of Thu 16 April; 17 April to
    # 6 May holds 11 working days (1–5 May off): overdue 6–20. OFF-1 has no deadline: within.
    s7 = db.exec(select(Case).where(Case.ref == "S-7")).one()
    assert s7.statutory_due_at is not None and s7.statutory_due_at.astimezone(SHANGHAI).date() == date(
        2026, 4, 16
    )
    assert open_cases == {"within": 1, "overdue_1_5": 0, "overdue_6_20": 1, "overdue_over_20": 0}
    later = NOW + timedelta(days=30)
    refresh_open(db, OFFICIAL, SHANGHAI, later)
    refresh(db, later, OFFICIAL, SHANGHAI, months=[])
    db.commit()
    # On 5 June: 34 working days late.
    assert card(db, listed.dept_a.id, "R12").figures["open_cases"]["overdue_over_20"] == 1  # type: ignore[arg-type]


def test_flags_are_counted_in_the_month_they_were_detected(db: Session, listed: Cast) -> None:
    load(db, listed)
    deadline_scan(db, NOW)
    db.commit()
    refresh(db, NOW, OFFICIAL, SHANGHAI)
    db.commit()
    flags = list(db.exec(select(Flag)))
    assert flags
    counts = card(db, listed.dept_a.id, "2026-05").figures["counts"]  # type: ignore[arg-type]
    for level in ("warning", "yellow", "red"):
        assert counts[f"flags_{level}"] == sum(f.level == level for f in flags)


def test_a_second_refresh_changes_nothing(db: Session, listed: Cast) -> None:
    load(db, listed)
    refresh(db, NOW, OFFICIAL, SHANGHAI)
    db.commit()

    def snapshot() -> list[Any]:
        db.expire_all()
        rollups = [r.model_dump() for r in db.exec(select(CaseRollup).order_by(col(CaseRollup.month)))]
        cards = [
            (c.department_id, c.power_code, c.period, c.figures, c.rank, c.grade)
            for c in db.exec(select(Scorecard).order_by(col(Scorecard.period), col(Scorecard.department_id)))
        ]
        return [rollups, cards]

    first = snapshot()
    refresh(db, NOW, OFFICIAL, SHANGHAI, months=["2026-03", "2026-04", "2026-05"])
    db.commit()
    assert snapshot() == first


def _rollup(department_id: int, decided: int, on_time: int) -> dict[str, Any]:
    counts = dict.fromkeys(COUNTS, 0)
    return {
        "department_id": department_id,
        "power_code": ALL_ITEMS,
        "month": "2026-02",
        **counts,
        "decided": decided,
        "promised_n": decided,
        "promised_on_time": on_time,
        "statutory_n": decided,
        "statutory_on_time": decided,
        "workdays": {"3": decided},
    }


def test_only_departments_with_enough_decided_cases_are_ranked_and_graded() -> None:
    rows = [_rollup(1, 40, 36), _rollup(2, 35, 35), _rollup(3, 10, 10), _rollup(4, 30, 27)]
    cards = {c["department_id"]: c for c in _cards("2026-Q1", True, rows, {}, DEFAULTS, NOW)}
    # 100% (dept 2) first; 90% (dept 1: 36/40, dept 4: 27/30) share the second rank; dept 3 has 10 < 30.
    assert [cards[d]["rank"] for d in (2, 1, 4, 3)] == [1, 2, 2, None]
    assert cards[3]["grade"] is None and cards[3]["figures"]["grading"]["min_cases"] == 30
    assert cards[REGION]["rank"] is None and cards[REGION]["decided"] == 115
    monthly = {c["department_id"]: c for c in _cards("2026-02", False, rows, {}, DEFAULTS, NOW)}
    assert monthly[2]["grade"] is None and monthly[2]["rank"] == 1  # grades are quarterly


def test_the_grade_is_a_weighted_score_of_published_rates() -> None:
    row = _rollup(1, 100, 90) | {"violations": 2, "rectified_on_time": 1}
    graded = grade(combine([row]), DEFAULTS)
    # 100 × (40 × 0.90 + 40 × 1.00 + 20 × 0.50) ÷ 100 = 86: good (85 ≤ 86 < 95).
    assert graded.score == pytest.approx(86.0) and graded.grade == "good"
    stricter = Thresholds(general={"grade_good": 90})
    assert grade(combine([row]), stricter).grade == "pass"
    no_violations = grade(combine([_rollup(1, 100, 100)]), DEFAULTS)
    assert no_violations.score == pytest.approx(100.0) and no_violations.grade == "excellent"
    assert [p["figure"] for p in no_violations.parts] == [
        "on_time_promised",
        "on_time_statutory",
    ]
    rated = grade(combine([row | {"rated": 10, "satisfied": 4}]), DEFAULTS)
    # Satisfaction joins with its weight: 100 × (36 + 40 + 10 + 20 × 0.40) ÷ 120 = 78.3: pass.
    assert rated.score == pytest.approx(9400 / 120) and rated.grade == "pass"
    assert rated.parts[-1] == {"figure": "satisfaction", "rate": 0.4, "weight": 20}


def test_the_wilson_interval_is_honest_about_small_numbers() -> None:
    low, high = wilson(8, 10)  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson(0, 0) is None
    assert wilson(3, 3)[1] == 1.0 and wilson(3, 3)[0] < 0.5  # type: ignore[index]


def test_periods_are_months_quarters_years_and_the_last_twelve_months() -> None:
    today = date(2026, 2, 10)
    assert parse_period("2026-Q1", today).months == ("2026-01", "2026-02", "2026-03")
    assert parse_period("2025", today).months[-1] == "2025-12"
    assert (
        parse_period("R12", today).months[0] == "2025-03"
        and parse_period("r12", today).months[-1] == "2026-02"
    )
    for bad in ("2026-13", "2026-Q5", "26", "last year"):
        with pytest.raises(BadPeriod):
            parse_period(bad, today)


def test_tracker_scorecards_refresh_refreshes_on_demand_and_names_a_bad_month(migrated: Tracker) -> None:
    out = migrated.ok("scorecards", "refresh", "--month", "2026-03")
    assert out.startswith("refreshed 1 month(s) (2026-03)")
    assert "'2026-3'" in one_line_error(migrated("scorecards", "refresh", "--month", "2026-3"))
    # The month after December 9999 does not exist: this was a traceback.
    too_late = one_line_error(migrated("scorecards", "refresh", "--month", "9999-12"))
    assert too_late == "error: --month: 9999-12 is not between 1970 and 2199"
