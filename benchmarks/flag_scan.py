"""The deadline scan with many open cases of which a few just became due (issue 5).

Goal: with 1,000,000 open cases of which 10,000 have just become due, one deadline scan that raises
the 10,000 flags takes under 0.5 s, and the same scan with nothing new under 50 ms, on SQLite and
on PostgreSQL (TRACKER_BENCH_PG_URL); going from 100,000 to 1,000,000 open cases at most doubles
both. The floor: one indexed SELECT of the same rows.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DUE = 10_000
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SCAN_SIZES", "100000,1000000").split(","))
ROUNDS = 3
CHUNK = 50_000
NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=30)


def _build(url: str, open_cases: int) -> tuple[Any, int]:
    """A department with ``open_cases`` open cases (each received and accepted); the last DUE of
    them fell due in the minute before NOW, the others are due next month."""
    from benchmarks.ingest import _setup
    from tracker.bulk import insert_rows
    from tracker.cases.models import Case, CaseEvent
    from tracker.db import session_factory

    engine, _secret, department_id = _setup(url, "")
    case_table, event_table = Case.__table__, CaseEvent.__table__  # type: ignore[attr-defined]
    received = NOW - timedelta(days=10)
    with session_factory(engine)() as db:
        for start in range(0, open_cases, CHUNK):
            ids = range(start + 1, min(start + CHUNK, open_cases) + 1)
            cases = []
            for i in ids:
                due = NOW - timedelta(seconds=30) if i > open_cases - DUE else NOW + timedelta(days=30)
                cases.append(
                    {
                        "id": i,
                        "department_id": department_id,
                        "ref": f"B-{i:07d}",
                        "power_code": "QL-000001",
                        "power_item_id": 1,
                        "list_id": 1,
                        "status": "open",
                        "received_at": received,
                        "accepted_at": received,
                        "promised_due_at": due,
                        "statutory_due_at": due + timedelta(days=10),
                        "warn_at": due - timedelta(days=1),
                        "stall_at": NOW + timedelta(days=20),
                        "suspensions": [],
                        "fee_charged": 0,
                        "decision_reason": "",
                        "deadlines_provisional": False,
                        "suspended_lawfully": False,
                        "last_event_at": received,
                    }
                )
            insert_rows(db, case_table, cases)
            events = [
                {
                    "case_id": i,
                    "department_id": department_id,
                    "type": kind,
                    "at": received,
                    "recorded_at": received,
                    "ingested_at": received,
                    "source_id": f"{i}-{kind}",
                    "channel": "api",
                    "data": {"power": "QL-000001"} if kind == "received" else {},
                }
                for i in ids
                for kind in ("received", "accepted")
            ]
            insert_rows(db, event_table, events)
            db.commit()
    return engine, department_id


def _timed(step: Callable[[], Any]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def _measure(url: str, open_cases: int) -> tuple[float, float, float]:
    from sqlalchemy import delete, select

    from tracker.cases.models import OPEN_CASES, Case
    from tracker.db import session_factory
    from tracker.flags.models import Flag, ScanMark
    from tracker.flags.scans import DEADLINE_SCAN, deadline_scan

    engine, _department = _build(url, open_cases)
    case_table = Case.__table__  # type: ignore[attr-defined]
    since = NOW - timedelta(minutes=1)
    window = (case_table.c.promised_due_at >= since) & (case_table.c.promised_due_at <= NOW)
    first, again, floor = [], [], []
    with session_factory(engine)() as db:
        for _ in range(ROUNDS):
            db.execute(delete(Flag))
            db.merge(ScanMark(name=DEADLINE_SCAN, until=since))
            db.commit()
            floor.append(_timed(lambda: db.execute(select(case_table.c.id).where(OPEN_CASES, window)).all()))
            db.commit()
            raised: list[Any] = []
            first.append(_timed(lambda: (raised.extend(deadline_scan(db, NOW)), db.commit())))  # noqa: B023
            assert len({r.case_id for r in raised}) == DUE, len(raised)
            again.append(_timed(lambda: (deadline_scan(db, LATER), db.commit())))
    engine.dispose()
    return statistics.median(first), statistics.median(again), statistics.median(floor)


def run() -> None:
    targets = []
    with tempfile.TemporaryDirectory() as tmp:
        targets.append(("SQLite", lambda n: f"sqlite:///{Path(tmp) / f'scan-{n}.db'}"))
        if os.environ.get("TRACKER_BENCH_PG_URL"):
            targets.append(("PostgreSQL", lambda _n: os.environ["TRACKER_BENCH_PG_URL"]))
        print(f"deadline scan: {DUE:,} cases just due among N open cases, median of {ROUNDS}")
        for name, url_for in targets:
            for size in SIZES:
                first, again, floor = _measure(url_for(size), size)
                print(
                    f"  {name:<11} N={size:>9,}  raise {DUE:,}: {first * 1000:7.1f} ms (goal < 500; "
                    f"{first / floor:5.1f}× the indexed SELECT of {floor * 1000:.1f} ms)   "
                    f"nothing new: {again * 1000:6.1f} ms (goal < 50)"
                )
