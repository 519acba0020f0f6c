"""The scans: flags with their true `since`, after any stop, each once; a bad case set aside."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from powerlists.columns import utcnow
from tests.conftest import Cast
from tests.test_cases_ingest import SHANGHAI, end_of, send
from tracker.cases.models import Case
from tracker.db import session_scope
from tracker.demo import build_demo
from tracker.demo_cases import build_demo_cases
from tracker.flags import scans
from tracker.flags.models import Flag, ScanMark, SetAside
from tracker.flags.rules import deadlines as deadline_rules
from tracker.flags.rules import evaluate
from tracker.flags.scans import deadline_scan, event_scan, load_views, scan_all
from tracker.thresholds import load_thresholds

# XK-1: statutory 20 working days, promised 10; steps 1 (1 working day), 2 (3), 3 (2).
# Received Mon 2 Mar 2026, accepted Tue 3 Mar: step 1 is due Wed 4 Mar, the promise Tue 17 Mar,
# the law Tue 31 Mar.
ACCEPTED = datetime(2026, 3, 3, 10, 0, tzinfo=SHANGHAI)


def at(d: date, hour: int = 9) -> datetime:
    return datetime(d.year, d.month, d.day, hour, 0, tzinfo=SHANGHAI)


def event(ref: str, kind: str, when: datetime, **extra: Any) -> dict[str, Any]:
    return {"case": ref, "type": kind, "at": when.isoformat(), "recorded_at": when.isoformat(), **extra}


def open_case(db: Session, cast: Cast, ref: str = "C-1", *extra: dict[str, Any]) -> None:
    events = [
        event(ref, "received", datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI), power="XK-1"),
        event(ref, "accepted", ACCEPTED),
        *extra,
    ]
    last = max(datetime.fromisoformat(e["at"]) for e in events)
    results = send(db, cast.dept_a.id, *events, now=last + timedelta(hours=1))
    assert {r["status"] for r in results} == {"stored"}


def flags(db: Session) -> set[tuple[str, int, datetime]]:
    db.commit()
    return {(f.kind, f.step, f.since) for f in db.exec(select(Flag))}


def scan(engine: Engine, now: datetime) -> list[scans.Raised]:
    with session_scope(engine) as session:
        return scan_all(session, now)


DEADLINE_KINDS = {
    deadline_rules.DUE_SOON,
    deadline_rules.STEP_OVERDUE,
    deadline_rules.PROMISE_OVERDUE,
    deadline_rules.STATUTORY_OVERDUE,
    deadline_rules.STALLED,
}

# What a case that nobody touches after acceptance collects, with its true `since`.
UNTOUCHED = {
    ("step_overdue", 1, end_of(date(2026, 3, 4))),
    ("due_soon", 0, datetime(2026, 3, 16, 0, 0, tzinfo=SHANGHAI)),  # the working day before the promise
    ("promise_overdue", 0, end_of(date(2026, 3, 17))),
    ("stalled", 0, end_of(date(2026, 3, 17))),  # 10 working days without an event after Tue 3 Mar
    ("statutory_overdue", 0, end_of(date(2026, 3, 31))),
}


def test_each_deadline_is_flagged_once_it_has_passed_with_the_end_of_the_due_date_as_since(
    engine: Engine, db: Session, listed: Cast
) -> None:
    open_case(db, listed)
    assert scan(engine, end_of(date(2026, 3, 4))) == []  # late only after the last instant of the day
    assert [(r.kind, r.step) for r in scan(engine, at(date(2026, 3, 5)))] == [("step_overdue", 1)]
    assert [r.kind for r in scan(engine, at(date(2026, 3, 16)))] == ["due_soon"]
    assert sorted(r.kind for r in scan(engine, at(date(2026, 3, 18)))) == ["promise_overdue", "stalled"]
    assert [r.kind for r in scan(engine, at(date(2026, 4, 1)))] == ["statutory_overdue"]
    assert flags(db) == UNTOUCHED
    assert scan(engine, at(date(2026, 4, 2))) == []  # nothing new, nothing twice


def test_after_a_weeks_downtime_one_scan_raises_everything_with_the_same_since(
    engine: Engine, db: Session, listed: Cast
) -> None:
    open_case(db, listed)
    assert scan(engine, at(date(2026, 3, 3), 12)) == []
    # The scheduler was down from 3 March to 1 April.
    assert len(scan(engine, at(date(2026, 4, 1)))) == len(UNTOUCHED)
    assert flags(db) == UNTOUCHED


def test_a_case_decided_on_time_collects_no_deadline_flags(engine: Engine, db: Session, listed: Cast) -> None:
    steps = [
        event("C-1", "step_completed", at(date(2026, 3, 4), 15), step=1),
        event("C-1", "step_completed", at(date(2026, 3, 6), 15), step=2),
        event("C-1", "decided", at(date(2026, 3, 9), 15), outcome="approved"),
    ]
    open_case(db, listed, "C-1", *steps)
    scan(engine, at(date(2026, 5, 1)))
    assert flags(db) == set()


def test_a_late_decision_reported_after_the_deadline_passed_is_flagged_by_the_event_scan(
    engine: Engine, db: Session, listed: Cast
) -> None:
    open_case(db, listed)
    with session_scope(engine) as session:
        deadline_scan(session, at(date(2026, 3, 3), 12))  # before anything was due
    late = [
        event("C-1", "step_completed", at(date(2026, 3, 4), 15), step=1),
        event("C-1", "step_completed", at(date(2026, 3, 6), 15), step=2),
        event("C-1", "decided", at(date(2026, 3, 19), 15), outcome="approved"),
    ]
    send(db, listed.dept_a.id, *late, now=at(date(2026, 3, 19), 16))
    with session_scope(engine) as session:
        raised = event_scan(session, at(date(2026, 3, 19), 17))
    # Step 3 (2 working days) ran from step 2's completion on Fri 6 Mar: due Tue 10 Mar.
    assert {(r.kind, r.step, r.since) for r in raised} == {
        ("promise_overdue", 0, end_of(date(2026, 3, 17))),
        ("step_overdue", 3, end_of(date(2026, 3, 10))),
    }


def test_a_scan_killed_at_any_point_and_run_again_gives_the_same_flags_none_twice(
    engine: Engine, db: Session, listed: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        open_case(
            db, listed, f"C-{n}", event(f"C-{n}", "suspended", at(date(2026, 3, 3), 11), reason="other")
        )
    now = at(date(2026, 4, 1))
    scan(engine, now)
    expected = sorted(
        (f.case_id, f.kind, f.step, f.since, f.params, f.evidence) for f in db.exec(select(Flag))
    )
    # Suspended for "other": the clock runs on and every deadline passes; not "stalled" (it is suspended).
    kinds = {k for k, _s, _t in UNTOUCHED} - {"stalled"} | {"unlawful_suspension"}
    assert {kind for _c, kind, *_rest in expected} == kinds
    real_execute = Session.execute
    statements = 0

    def counting(self: Session, *args: Any, **kwargs: Any) -> Any:
        nonlocal statements
        statements += 1
        return real_execute(self, *args, **kwargs)

    _reset(engine)
    monkeypatch.setattr(Session, "execute", counting)
    scan(engine, now)
    monkeypatch.setattr(Session, "execute", real_execute)
    assert statements > 5
    for kill_at in range(statements):
        _reset(engine)
        monkeypatch.setattr(Session, "execute", _dying_at(kill_at, real_execute))
        with pytest.raises(KeyboardInterrupt):  # the process is killed at this statement
            scan(engine, now)
        monkeypatch.setattr(Session, "execute", real_execute)
        scan(engine, now)
        db.commit()
        again = sorted(
            (f.case_id, f.kind, f.step, f.since, f.params, f.evidence) for f in db.exec(select(Flag))
        )
        assert again == expected, f"killed at statement {kill_at}"


def _reset(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.execute(Flag.__table__.delete())  # type: ignore[attr-defined]
        session.execute(ScanMark.__table__.delete())  # type: ignore[attr-defined]


def _dying_at(kill_at: int, execute: Any) -> Any:
    calls = 0

    def dying(self: Session, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls > kill_at:
            raise KeyboardInterrupt
        return execute(self, *args, **kwargs)

    return dying


def test_a_case_whose_evaluation_fails_is_set_aside_for_an_hour_and_the_others_are_flagged(
    engine: Engine, db: Session, listed: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = [event("C-good", "decided", at(date(2026, 3, 4)), outcome="rejected")]
    open_case(db, listed, "C-good", *refused)
    open_case(db, listed, "C-bad", *[{**e, "case": "C-bad"} for e in refused])
    real_evaluate = scans.evaluate

    def evaluate(case: Any, thresholds: Any, now: datetime) -> Any:
        if case.ref == "C-bad":
            raise ValueError("corrupt data")
        return real_evaluate(case, thresholds, now)

    monkeypatch.setattr(scans, "evaluate", evaluate)
    now = at(date(2026, 3, 5))
    with session_scope(engine) as session:
        raised = event_scan(session, now)
    assert {(r.ref, r.kind) for r in raised} == {
        ("C-good", "refused_without_reason"),
        ("C-good", "skipped_step"),
    }
    db.commit()
    [aside] = db.exec(select(SetAside)).all()
    assert aside.until == now + timedelta(hours=1) and "corrupt data" in aside.error
    monkeypatch.setattr(scans, "evaluate", real_evaluate)  # the data was repaired
    with session_scope(engine) as session:
        assert event_scan(session, now + timedelta(minutes=30)) == []  # still set aside
    with session_scope(engine) as session:
        later = event_scan(session, now + timedelta(hours=1, minutes=1))
    assert {(r.ref, r.kind) for r in later} == {
        ("C-bad", "refused_without_reason"),
        ("C-bad", "skipped_step"),
    }
    db.commit()
    assert db.exec(select(SetAside)).all() == []


def test_flags_record_the_thresholds_they_used(engine: Engine, db: Session, listed: Cast) -> None:
    open_case(db, listed)
    scan(engine, at(date(2026, 3, 18)))
    db.commit()
    stalled = db.exec(select(Flag).where(Flag.kind == "stalled")).one()
    due_soon = db.exec(select(Flag).where(Flag.kind == "due_soon")).one()
    assert stalled.params["stall_workdays"] == 10
    assert due_soon.params["warning_workdays"] == 1
    assert stalled.detected_at == at(date(2026, 3, 18))
    assert db.exec(select(Flag).where(col(Flag.status) != "open")).all() == []


def test_the_set_based_deadline_scan_and_the_rules_agree_field_for_field(engine: Engine, db: Session) -> None:
    """The deadline scan's SQL (flags/deadline_sql.py) and the rules in Python (flags/rules/deadlines.py)
    state the same conditions; over a year of demo cases they must raise the same flags."""
    build_demo(engine, progress=lambda _line: None, cases=False)
    build_demo_cases(engine, SHANGHAI, lambda _line: None, only={"scjgj", "jtj", "zjj"})
    now = utcnow()
    with session_scope(engine) as session:
        deadline_scan(session, now)
    db.commit()
    by_sql = {
        (f.case_id, f.kind, f.step): (f.level, f.since, f.params, f.evidence) for f in db.exec(select(Flag))
    }
    open_ids = db.exec(select(Case.id).where(col(Case.status).in_(["open", "suspended"]))).all()
    by_rules = {}
    thresholds = load_thresholds(db)
    for case in load_views(db, [i for i in open_ids if i is not None]):
        running = {s.seq for s in case.steps if s.completed_at is None}
        for f in evaluate(case, thresholds.for_item(case.power_code), now):
            # The deadline scan covers open cases and their running steps; the event scan the rest.
            if f.kind in DEADLINE_KINDS and (f.kind != "step_overdue" or f.step in running):
                by_rules[(case.id, f.kind, f.step)] = (f.level, f.since, f.params, list(f.evidence))
    assert len(by_sql) >= 10 and len({k for _c, k, _s in by_sql}) >= 3
    assert by_sql == by_rules


def test_a_promise_broken_across_national_day_is_flagged_after_the_holiday_and_the_make_up_saturday(
    engine: Engine, db: Session, listed: Cast
) -> None:
    """Accepted Mon 28 Sep 2026; 10 working days: 29, 30 Sep, (1–7 Oct off), 8, 9, Sat 10 Oct (a make-up
    working day), 12, 13, 14, 15, 16 Oct."""
    send(
        db,
        listed.dept_a.id,
        event("N-1", "received", at(date(2026, 9, 28)), power="XK-1"),
        event("N-1", "accepted", at(date(2026, 9, 28), 10)),
        now=at(date(2026, 9, 28), 11),
    )
    assert [r.kind for r in scan(engine, end_of(date(2026, 10, 16))) if r.kind == "promise_overdue"] == []
    raised = [r for r in scan(engine, at(date(2026, 10, 17))) if r.kind == "promise_overdue"]
    assert [(r.ref, r.since) for r in raised] == [("N-1", end_of(date(2026, 10, 16)))]
