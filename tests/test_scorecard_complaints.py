"""Complaints (投诉) on the scorecards: received and upheld per department, item and region, checked
against a count made here from the complaints themselves; and their part in the quarterly grade."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, select

from tests.conftest import Cast
from tests.test_scorecards import NOW, SHANGHAI, _rollup, card, load
from tracker.calendar import OFFICIAL
from tracker.complaints.models import Complaint, ComplaintStatus
from tracker.exports.scorecards import scorecards_bytes
from tracker.flags.models import Flag, FlagAction, FlagStatus
from tracker.scorecards.figures import combine
from tracker.scorecards.grading import grade
from tracker.scorecards.models import ALL_ITEMS, CaseRollup, Scorecard
from tracker.scorecards.periods import parse_period
from tracker.scorecards.refresh import REGION, _touched_since, refresh
from tracker.thresholds import BY_NAME, DEFAULTS, Thresholds, set_threshold

UPHELD = {"confirmed", "rectification_submitted", "closed"}  # written out here, not imported
FIRST_REFRESH = datetime(2026, 4, 20, 9, 0, tzinfo=SHANGHAI)
DECIDED_LATER = datetime(2026, 5, 3, 10, 0, tzinfo=SHANGHAI)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@dataclass
class Filed:
    """A complaint as the test files it, and what its review came to (None: no review)."""

    department: str  # "a" or "b"
    power_code: str  # '' for the department in general
    received: datetime
    flag: str | None = None  # the status of the flag reviewing it
    accepted: datetime | None = None  # when the review was opened (the flag's detection)
    declined: bool = True  # without a flag: declined, else still waiting to be accepted


FILED = [
    Filed("a", "XK-1", local("2026-03-02T10:00:00"), "confirmed"),
    Filed("a", "XK-1", local("2026-03-10T10:00:00"), "dismissed"),
    Filed("a", "XK-2", local("2026-03-11T10:00:00"), "closed"),
    Filed("a", "", local("2026-03-12T10:00:00"), "rectification_submitted"),
    Filed("a", "", local("2026-03-13T10:00:00")),  # declined: no flag
    # Received in March, accepted in April, upheld in May (see test below): the review starts open.
    Filed("a", "XK-1", local("2026-03-30T15:00:00"), "open", local("2026-04-02T09:00:00")),
    Filed("a", "XK-2", local("2026-04-08T10:00:00"), "open"),
    Filed("a", "", local("2026-04-09T10:00:00"), "explained"),
    Filed("b", "XK-1", local("2026-03-05T10:00:00"), "exempted"),
    Filed("b", "", local("2026-03-06T10:00:00"), "confirmed"),
    Filed("b", "XK-1", local("2026-03-31T23:59:00"), declined=False),  # waiting; March, locally
    Filed("b", "XK-1", local("2026-04-01T00:30:00"), "confirmed"),  # 31 March in UTC, April locally
    Filed("b", "XK-9", local("2026-04-15T10:00:00"), "closed"),
    Filed("b", "", local("2026-04-16T10:00:00")),  # declined
]
LATE = 5  # the index in FILED of the complaint upheld in a later month


def file_complaints(db: Session, cast: Cast, filed: list[Filed]) -> list[Flag | None]:
    """The complaints as rows, and the flags reviewing the accepted ones."""
    departments = {"a": cast.dept_a.id, "b": cast.dept_b.id}
    flags: list[Flag | None] = []
    for i, f in enumerate(filed, start=1):
        department_id = departments[f.department]
        assert department_id is not None
        status = (
            ComplaintStatus.accepted
            if f.flag
            else ComplaintStatus.declined
            if f.declined
            else ComplaintStatus.received
        )
        complaint = Complaint(
            number=f"TS{f.received:%Y%m%d}-{i:06d}",
            secret_hash="x" * 64,
            department_id=department_id,
            power_code=f.power_code,
            happened_on=f.received.date() - timedelta(days=3),
            what="text",
            status=status,
            received_at=f.received,
            handle_by=f.received + timedelta(days=7),
        )
        db.add(complaint)
        db.flush()
        flag = None
        if f.flag is not None:
            accepted = f.accepted or f.received + timedelta(days=1)
            flag = Flag(
                kind="complaint",
                complaint_id=complaint.id,
                case_id=None,
                department_id=department_id,
                level="yellow",
                step=0,
                since=accepted,
                detected_at=accepted,
                params={},
                evidence=[],
                status=f.flag,
            )
            db.add(flag)
        flags.append(flag)
    db.commit()
    return flags


def counted(
    filed: list[Filed], departments: set[str], months: set[str], code: str | None = None
) -> tuple[int, int]:
    """(received, upheld) counted straight from the filed complaints; ``code`` None: every item."""
    chosen = [
        f
        for f in filed
        if f.department in departments
        and (code is None or f.power_code == code)
        and f.received.astimezone(SHANGHAI).strftime("%Y-%m") in months
    ]
    return len(chosen), sum(f.flag in UPHELD for f in chosen)


def shown(db: Session, department_id: int, period: str, code: str = ALL_ITEMS) -> tuple[int, int]:
    db.expire_all()
    row = db.get(Scorecard, (department_id, code, period))
    if row is None:
        return (0, 0)
    return row.figures["complaints"], row.figures["complaints_upheld"]


PERIODS = {
    "2026-03": {"2026-03"},
    "2026-04": {"2026-04"},
    "2026-Q1": {"2026-03"},
    "2026": {"2026-03", "2026-04"},
}


def assert_every_scorecard_matches(db: Session, cast: Cast, filed: list[Filed]) -> None:
    ids = {"a": cast.dept_a.id, "b": cast.dept_b.id}
    for period, months in PERIODS.items():
        for name, department_id in ids.items():
            assert department_id is not None
            whole = shown(db, department_id, period)
            assert whole == counted(filed, {name}, months), (name, period)
            for code in ("XK-1", "XK-2", "XK-9"):
                assert shown(db, department_id, period, code) == counted(filed, {name}, months, code), (
                    name,
                    period,
                    code,
                )
        assert shown(db, REGION, period) == counted(filed, {"a", "b"}, months), period


def confirmation(flag_id: int | None, listed: Cast) -> FlagAction:
    """The supervisor's confirmation of a complaint's review, recorded later than the refreshes."""
    return FlagAction(
        flag_id=flag_id,
        action="confirm",
        from_status="open",
        to_status="confirmed",
        text="属实",
        actor_id=listed.supervisor.id,
        at=DECIDED_LATER,
    )


def test_complaints_on_the_scorecards_match_a_count_of_the_complaints_by_department_item_and_region(
    db: Session, listed: Cast
) -> None:
    filed = [replace(f) for f in FILED]
    flags = file_complaints(db, listed, filed)
    refresh(db, FIRST_REFRESH, OFFICIAL, SHANGHAI)  # the first refresh: no cases, only complaints
    db.commit()
    assert counted(filed, {"a"}, {"2026-03"}) == (6, 3)
    assert_every_scorecard_matches(db, listed, filed)
    # The late complaint's review confirms a violation in May: it counts in March, when it was received.
    late = flags[LATE]
    assert late is not None
    late.status = FlagStatus.confirmed
    db.add(late)
    db.flush()
    db.add(confirmation(late.id, listed))
    db.commit()
    filed[LATE].flag = "confirmed"
    refresh(db, NOW, OFFICIAL, SHANGHAI)  # the touched months, found from the mark alone
    db.commit()
    assert counted(filed, {"a"}, {"2026-03"}) == (6, 4)
    assert_every_scorecard_matches(db, listed, filed)
    # A complaint about the department in general is in its whole row only, never an item row of ''.
    db.expire_all()
    march = db.exec(select(CaseRollup).where(CaseRollup.month == "2026-03")).all()
    assert sorted((r.department_id == listed.dept_a.id, r.power_code) for r in march) == [
        (False, ""),
        (False, "XK-1"),
        (True, ""),
        (True, "XK-1"),
        (True, "XK-2"),
    ]


def test_complaint_reviews_are_not_counted_again_as_flags_or_violations(db: Session, listed: Cast) -> None:
    file_complaints(db, listed, FILED)
    refresh(db, FIRST_REFRESH, OFFICIAL, SHANGHAI)
    db.commit()
    assert db.exec(select(Flag).where(Flag.status == "confirmed", Flag.level == "yellow")).all()
    for department_id in (listed.dept_a.id, listed.dept_b.id, REGION):
        counts = card(db, department_id, "2026-03").figures["counts"]  # type: ignore[arg-type]
        assert (counts["flags_yellow"], counts["violations"]) == (0, 0)
        assert counts["complaints_upheld"] > 0


def test_the_months_to_refresh_include_complaints_received_and_reviews_decided_since_the_mark(
    db: Session, listed: Cast
) -> None:
    # Received in February, accepted in March; then one received after the mark, in April.
    [early] = file_complaints(
        db, listed, [Filed("a", "XK-1", local("2026-02-10T10:00:00"), "open", local("2026-03-03T10:00:00"))]
    )
    file_complaints(db, listed, [Filed("b", "", local("2026-04-28T10:00:00"))])
    mark = FIRST_REFRESH
    assert _touched_since(db, mark, SHANGHAI, "2026-05") == ["2026-04", "2026-05"]
    assert early is not None
    db.add(confirmation(early.id, listed))
    db.commit()
    assert _touched_since(db, mark, SHANGHAI, "2026-05") == ["2026-02", "2026-03", "2026-04", "2026-05"]
    assert _touched_since(db, None, SHANGHAI, "2026-05")[0] == "2026-02"  # the first run, with no case


# The grade


def test_each_upheld_complaint_takes_points_off_the_grade_and_received_ones_cost_nothing() -> None:
    assert BY_NAME["complaint_deduction"].default == 2
    clean = grade(combine([_rollup(1, 100, 90) | {"complaints": 30}]), DEFAULTS)
    # 100 × (40 × 0.90 + 40 × 1.00) ÷ 80 = 95: excellent; complaints not upheld change nothing.
    assert clean.score == pytest.approx(95.0) and clean.grade == "excellent"
    assert clean.deduction == {"complaints_upheld": 0, "points_each": 2, "points": 0}
    upheld = grade(combine([_rollup(1, 100, 90) | {"complaints": 30, "complaints_upheld": 3}]), DEFAULTS)
    assert upheld.score == pytest.approx(95.0 - 3 * 2) and upheld.grade == "good"
    assert upheld.deduction == {"complaints_upheld": 3, "points_each": 2, "points": 6}
    assert [p["figure"] for p in upheld.parts] == ["on_time_promised", "on_time_statutory"]
    lenient = grade(
        combine([_rollup(1, 100, 90) | {"complaints_upheld": 3}]),
        Thresholds(general={"complaint_deduction": 0}),
    )
    assert lenient.score == pytest.approx(95.0)
    flooded = grade(combine([_rollup(1, 100, 90) | {"complaints_upheld": 80}]), DEFAULTS)
    assert flooded.score == 0.0 and flooded.grade == "fail"  # never below 0


# Shown where the other figures are


def test_the_pages_json_twins_and_exports_carry_the_complaints(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    set_threshold(db, "ranking_min_cases", 3)
    load(db, listed)  # department A: 5 cases decided in March
    file_complaints(db, listed, FILED)
    refresh(db, NOW, OFFICIAL, SHANGHAI)
    db.commit()
    received, upheld = counted(FILED, {"a"}, {"2026-03"})
    code = listed.dept_a.code
    figures = anon.get(f"/departments/{code}.json?period=2026-Q1").json()["scorecard"]["figures"]
    assert (figures["complaints"], figures["complaints_upheld"]) == (received, upheld) == (6, 3)
    assert figures["grading"]["deduction"] == {"complaints_upheld": 3, "points_each": 2, "points": 6}
    region = anon.get("/?period=2026-Q1&format=json").json()["region"]
    assert region["complaints"] == counted(FILED, {"a", "b"}, {"2026-03"})[0] == 9
    page = anon.get(f"/departments/{code}?period=2026-Q1", headers={"accept-language": "en"}).text
    assert "Complaints received" in page and "Complaints upheld" in page
    assert "Less 2 points each for 3 complaints upheld: 6." in page  # how the grade was computed
    period = parse_period("2026-Q1", date(2026, 11, 27))
    text = scorecards_bytes(db, period, "csv", True, lambda m: m).decode("utf-8-sig")
    rows = {r["Department code"]: r for r in csv.DictReader(io.StringIO(text))}
    assert (rows[code]["Complaints received"], rows[code]["Complaints upheld"]) == ("6", "3")
    data = json.loads(scorecards_bytes(db, period, "json", True, lambda m: m))
    names = [f["name"] for f in data["fields"]]
    assert "complaints" in names and "complaints_upheld" in names
    published = anon.get("/open-data/scorecards/2026-Q1.json").json()
    names = [f["name"] for f in published["fields"]]
    [row] = [
        dict(zip(names, r, strict=True)) for r in published["rows"] if r[names.index("department")] == code
    ]
    assert (row["complaints"], row["complaints_upheld"]) == (6, 3)
