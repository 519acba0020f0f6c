"""The large demo's bulk cases: the rows ingestion would have stored, a realistic year, written once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, Table, delete, func, insert
from sqlmodel import Session, col, select

from powerlists.columns import utcnow
from powerlists.models import PowerStep
from tests.conftest import Cast
from tracker import demo_bulk
from tracker.bulk import insert_rows
from tracker.calendar_store import load_calendar
from tracker.cases.ingest import ingest
from tracker.cases.models import Case, CaseEvent, CaseStatus, CaseStep
from tracker.demo import CITY_DEPARTMENTS, build_demo
from tracker.demo_bulk import PREFIX, build_bulk_cases

SHANGHAI = ZoneInfo("Asia/Shanghai")
CASES = 2_000
BULK = col(Case.ref).startswith(PREFIX)


def _quiet(_line: str) -> None:
    pass


def _stored(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every bulk case, step and event as the database holds it (the driver's values, not the ORM's),
    keyed by what ingestion keys them by rather than by their ids."""
    conn = db.connection()

    def names(table: Table, alias: str) -> str:
        return ", ".join(f'{alias}."{c.name}"' for c in table.c if c.name not in ("id", "case_id"))

    cases, steps, events = (m.__table__ for m in (Case, CaseStep, CaseEvent))  # type: ignore[attr-defined]
    bulk = f"substr(f.ref, 1, {len(PREFIX)}) = '{PREFIX}'"
    return {
        "cases": conn.exec_driver_sql(
            f"SELECT {names(cases, 'f')} FROM case_file f WHERE {bulk} ORDER BY f.department_id, f.ref"
        ).all(),
        "steps": conn.exec_driver_sql(
            f"SELECT f.department_id, f.ref, {names(steps, 's')} FROM case_step s "
            f"JOIN case_file f ON f.id = s.case_id WHERE {bulk} ORDER BY f.department_id, f.ref, s.seq"
        ).all(),
        "events": conn.exec_driver_sql(
            f"SELECT {names(events, 'e')} FROM case_event e "
            f"JOIN case_file f ON f.id = e.case_id WHERE {bulk} ORDER BY e.department_id, e.source_id"
        ).all(),
    }


def _reported(db: Session) -> dict[int, list[dict[str, Any]]]:
    """The bulk cases' events as a department's system would have reported them, by department."""
    rows = db.exec(
        select(Case.department_id, Case.ref, CaseEvent)
        .join(CaseEvent, col(CaseEvent.case_id) == col(Case.id))
        .where(BULK)
        .order_by(col(Case.id), col(CaseEvent.id))
    ).all()
    out: dict[int, list[dict[str, Any]]] = {}
    for department_id, ref, event in rows:
        out.setdefault(department_id, []).append(
            {
                "case": ref,
                "type": event.type,
                "at": event.at.isoformat(),
                "recorded_at": event.recorded_at.isoformat(),
                "id": event.source_id,
                **event.data,
            }
        )
    return out


def test_the_large_demo_writes_what_ingestion_would_have_written(engine: Engine, db: Session) -> None:
    build_demo(engine, progress=_quiet, cases=False)
    assert build_bulk_cases(engine, SHANGHAI, total=CASES, progress=_quiet) == CASES
    written = _stored(db)
    assert len(written["cases"]) == CASES
    now = db.exec(select(func.max(CaseEvent.ingested_at))).one()
    reported = _reported(db)
    db.execute(delete(Case).where(BULK))  # steps and events go with their case
    db.commit()

    cal = load_calendar(db)
    for department_id, events in reported.items():
        results = ingest(db, department_id, events, now=now, channel="file", cal=cal, tz=SHANGHAI)
        assert Counter(r.status for r in results) == {"stored": len(events)}
    db.commit()
    assert _stored(db) == written


def test_the_large_demo_is_a_realistic_year(engine: Engine, db: Session) -> None:
    build_demo(engine, progress=_quiet, cases=False)
    build_bulk_cases(engine, SHANGHAI, total=CASES, progress=_quiet)
    cases = db.exec(select(Case).where(BULK)).all()
    assert len(cases) == CASES
    assert len({c.department_id for c in cases}) == len(CITY_DEPARTMENTS)
    statuses = Counter(c.status for c in cases)
    assert statuses[CaseStatus.decided] > 0.85 * CASES
    assert 0.01 * CASES < statuses[CaseStatus.open] < 0.1 * CASES
    assert 0.01 * CASES < statuses[CaseStatus.withdrawn] < 0.06 * CASES
    decided = [c for c in cases if c.decided_at is not None]
    late = [c for c in decided if c.promised_due_at and c.decided_at > c.promised_due_at]  # type: ignore[operator]
    unlawful = [c for c in decided if c.statutory_due_at and c.decided_at > c.statutory_due_at]  # type: ignore[operator]
    assert 0.01 * len(decided) < len(late) < 0.1 * len(decided)
    assert 0.002 * len(decided) < len(unlawful) < 0.03 * len(decided)
    assert any(c.outcome == "rejected" and c.decision_reason for c in decided)
    assert all(c.warn_at is None and c.stall_at is None for c in decided)
    assert all(c.stall_at is not None for c in cases if c.status == CaseStatus.open)

    # One step a step of the item, and every step but the last reported done (the decision does the last).
    step_counts = Counter(
        db.exec(select(PowerStep.item_id).where(col(PowerStep.item_id).in_({c.power_item_id for c in cases})))
    )
    steps = db.exec(select(CaseStep).join(Case).where(BULK)).all()
    assert len(steps) == sum(step_counts[c.power_item_id] for c in cases)
    events = db.exec(select(CaseEvent).join(Case).where(BULK).order_by(col(CaseEvent.id))).all()
    by_case: dict[int, list[CaseEvent]] = {}
    for event in events:
        by_case.setdefault(event.case_id, []).append(event)
    for case in cases:
        assert case.id is not None
        types = [e.type for e in by_case[case.id]]
        times = [e.at for e in by_case[case.id]]
        assert times == sorted(set(times))  # in order, never two at once
        assert all(timedelta(0) <= e.recorded_at - e.at <= timedelta(hours=1) for e in by_case[case.id])
        assert case.last_event_at == times[-1]
        opened = ["received", "accepted"] + ["step_completed"] * max(0, step_counts[case.power_item_id] - 1)
        if case.status == CaseStatus.decided:  # delivered, unless that is still to come
            assert types in ([*opened, "decided", "delivered"], [*opened, "decided"])
        elif case.status == CaseStatus.withdrawn:
            assert types == [*opened, "withdrawn"]
        else:
            assert 2 <= len(types) <= len(opened) and types == opened[: len(types)]
    # Nothing that has not happened yet: every event is at or before the moment it was stored.
    assert all(e.at <= e.ingested_at <= utcnow() for e in events)


def test_the_large_demo_is_written_once_and_completed_where_it_stopped(
    engine: Engine, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_bulk, "CHUNK", 500)
    build_demo(engine, progress=_quiet, cases=False)
    lines: list[str] = []
    assert build_bulk_cases(engine, SHANGHAI, total=1_200, progress=lines.append) == 1_200
    assert [line.split(" (")[0] for line in lines] == [
        "bulk cases: 500 / 1,200",
        "bulk cases: 1,000 / 1,200",
        "bulk cases: 1,200 / 1,200",
    ]
    counts = [db.exec(select(func.count()).select_from(m)).one() for m in (Case, CaseStep, CaseEvent)]
    assert build_bulk_cases(engine, SHANGHAI, total=1_200, progress=lines.append) == 0
    assert lines[-1] == "bulk cases: 1,200 already there"
    assert [db.exec(select(func.count()).select_from(m)).one() for m in (Case, CaseStep, CaseEvent)] == counts

    # A larger total (or a run that was stopped) writes only the missing cases: the same ones a
    # single run would have written.
    assert build_bulk_cases(engine, SHANGHAI, total=2_000, progress=_quiet) == 800
    db.commit()  # read what the other connection wrote meanwhile
    resumed = db.exec(select(Case.ref, Case.power_code, Case.received_at).order_by(col(Case.ref))).all()
    db.execute(delete(Case))
    db.commit()
    assert build_bulk_cases(engine, SHANGHAI, total=2_000, progress=_quiet) == 2_000
    db.commit()
    at_once = db.exec(select(Case.ref, Case.power_code, Case.received_at).order_by(col(Case.ref))).all()
    assert resumed == at_once
    assert len({ref[-7:] for ref, _code, _at in at_once}) == 2_000


def test_the_large_demo_adds_the_bulk_cases_to_the_small_demo(engine: Engine, db: Session) -> None:
    lines: list[str] = []
    build_demo(engine, "large", progress=lines.append, tz=SHANGHAI, large_cases=300)
    assert lines[-2].startswith("bulk cases: 300 / 300 (") and lines[-1].startswith("scorecards: ")
    refs = db.exec(select(Case.ref)).all()
    assert len([ref for ref in refs if ref.startswith(PREFIX)]) == 300
    # The small demo's cases, reported through the ingestion (by API), keep refs of their own.
    assert len(refs) > 3_000
    assert db.exec(select(func.count()).select_from(CaseEvent).where(CaseEvent.channel == "api")).one() > 0
    build_demo(engine, "large", progress=lines.append, tz=SHANGHAI, large_cases=300)
    assert lines[-2] == "bulk cases: 300 already there"
    db.commit()
    assert len(db.exec(select(Case.ref)).all()) == len(refs)


def test_rows_inserted_in_bulk_are_stored_as_core_stores_them(db: Session, cast: Cast) -> None:
    """The SQLite path binds the values itself: timestamp text, JSON, numbers and flags must come out
    exactly as Core's own executemany writes them (ingestion reads and compares them as text)."""
    table = Case.__table__  # type: ignore[attr-defined]
    shanghai_morning = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=SHANGHAI)

    def row(ref: str) -> dict[str, Any]:
        return {
            "department_id": cast.dept_a.id,
            "ref": ref,
            "power_code": "XK-1",
            "power_item_id": None,
            "list_id": None,
            "received_at": shanghai_morning,
            "applicant": {"name": "张三", "ids": [1, 2]},
            "status": CaseStatus.decided,
            "outcome": "approved",
            "decision_reason": "",
            "accepted_at": datetime(2026, 3, 2, 2, tzinfo=UTC),
            "decided_at": shanghai_morning,  # the same value again: processed once, bound twice
            "delivered_at": None,
            "withdrawn_at": None,
            "fee_charged": Decimal("12.50"),
            "promised_due_at": datetime(2026, 3, 16, 23, 59, 59, 999999, tzinfo=SHANGHAI),
            "statutory_due_at": None,
            "deadlines_provisional": True,
            "warn_at": None,
            "stall_at": None,
            "suspended_since": None,
            "suspended_lawfully": False,
            "suspensions": [["2026-03-03T09:00:00+08:00", None, True]],
            "last_event_at": shanghai_morning,
        }

    insert_rows(db, table, [row("bulk-1"), {**row("bulk-2"), "applicant": None}])
    db.connection().execute(insert(table), [row("core-1"), {**row("core-2"), "applicant": None}])
    names = ", ".join(f'"{c.name}"' for c in table.c if c.name not in ("id", "ref"))
    stored = db.connection().exec_driver_sql(f"SELECT {names} FROM case_file ORDER BY ref").all()
    assert stored[:2] == stored[2:]  # bulk-1, bulk-2 == core-1, core-2
