"""Event ingestion through POST /api/v1/events on one worker, next to SQLAlchemy Core inserting the same rows.

Goal (issue 4): at least 5,000 events/s sustained, on SQLite and on PostgreSQL (set
TRACKER_BENCH_PG_URL to an empty PostgreSQL database to include it).

Two workloads of the same events: "whole cases" sends each case's events together (every batch
opens new cases), "follow-ups" first opens every case (received, accepted) and then reports
the rest, so half the batches change cases stored by earlier requests.
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

CASES = 2_500
ROUNDS = 3
BATCH = 1_000
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def follow_ups() -> list[dict[str, Any]]:
    opening = ("received", "accepted")
    all_events = events()
    return [e for e in all_events if e["type"] in opening] + [
        e for e in all_events if e["type"] not in opening
    ]


def events() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(CASES):
        at = START + timedelta(minutes=i)
        ref = f"B-{i:06d}"
        out += [
            {"case": ref, "type": "received", "at": at.isoformat(), "power": "QL-000001", "id": f"{ref}-r"},
            {"case": ref, "type": "accepted", "at": (at + timedelta(hours=1)).isoformat(), "id": f"{ref}-a"},
            {
                "case": ref,
                "type": "step_completed",
                "step": 1,
                "at": (at + timedelta(hours=2)).isoformat(),
                "id": f"{ref}-s",
            },
            {
                "case": ref,
                "type": "decided",
                "outcome": "approved",
                "at": (at + timedelta(days=3)).isoformat(),
                "id": f"{ref}-d",
            },
        ]
    return out


def _setup(url: str, data_dir: str) -> Any:
    from powerlists.categories import Category
    from powerlists.columns import utcnow
    from powerlists.departments import DepartmentInput, add_department
    from powerlists.importer import write_version
    from powerlists.limits import Limit, Unit
    from powerlists.models import ListStatus
    from powerlists.validate import ItemData, StepData
    from tracker.accounts.tokens import create_token
    from tracker.db import import_models, make_engine, session_factory, upgrade

    import_models()
    engine = make_engine(url)
    from sqlalchemy import MetaData

    existing = MetaData()
    existing.reflect(bind=engine)
    existing.drop_all(bind=engine)
    upgrade(engine)
    item = ItemData(
        code="QL-000001",
        name="基准事项",
        category=Category.licensing,
        statutory_limit=Limit(20, Unit.workday),
        promised_limit=Limit(10, Unit.workday),
        steps=[StepData(1, "受理", Limit(1, Unit.workday)), StepData(2, "决定", Limit(5, Unit.workday))],
    )
    with session_factory(engine)() as db:
        department = add_department(db, DepartmentInput("bench", "基准局"))
        write_version(
            db,
            department.id,
            [item],
            status=ListStatus.published,
            effective=date(2026, 1, 1),  # type: ignore[arg-type]
            source_name="bench",
            sha256="",
            imported_by_id=None,
            now=utcnow(),
        )
        _token, secret = create_token(db, department.id, "bench", utcnow(), None)  # type: ignore[arg-type]
        db.commit()
        department_id = department.id
    return engine, secret, department_id


def _api_rate(url: str, workload: Callable[[], list[dict[str, Any]]]) -> float:
    from litestar.testing import TestClient

    from tracker.app import create_app
    from tracker.settings import load_settings

    with tempfile.TemporaryDirectory() as data_dir:
        engine, secret, _dept = _setup(url, data_dir)
        settings = load_settings(
            {
                "TRACKER_DATABASE_URL": url,
                "TRACKER_DATA_DIR": data_dir,
                "TRACKER_ALLOWED_HOSTS": "testserver.local",
                "TRACKER_LOG_LEVEL": "WARNING",
            }
        )
        app = create_app(settings, engine)
        all_events = workload()
        with TestClient(app, base_url="http://testserver.local") as client:
            start = time.perf_counter()
            for i in range(0, len(all_events), BATCH):
                response = client.post(
                    "/api/v1/events",
                    json={"events": all_events[i : i + BATCH]},
                    headers={"authorization": f"Bearer {secret}"},
                )
                assert response.status_code == 200 and response.json()["rejected"] == 0, response.text[:500]
            elapsed = time.perf_counter() - start
        engine.dispose()
    return len(all_events) / elapsed


def _core_rate(url: str) -> float:
    from sqlalchemy import insert

    from tracker.cases.models import Case, CaseEvent

    with tempfile.TemporaryDirectory() as data_dir:
        engine, _secret, department_id = _setup(url, data_dir)
        all_events = events()
        case_table, event_table = Case.__table__, CaseEvent.__table__  # type: ignore[attr-defined]
        start = time.perf_counter()
        with engine.begin() as conn:
            ids = {}
            for i in range(CASES):
                ref = f"B-{i:06d}"
                ids[ref] = conn.execute(
                    insert(case_table).values(
                        department_id=department_id,
                        ref=ref,
                        power_code="QL-000001",
                        status="open",
                        received_at=START,
                        suspensions=[],
                        fee_charged=0,
                        decision_reason="",
                        deadlines_provisional=False,
                        suspended_lawfully=False,
                    )
                ).inserted_primary_key[0]
            now = datetime.now(UTC)
            rows = [
                {
                    "case_id": ids[e["case"]],
                    "department_id": department_id,
                    "type": e["type"],
                    "at": datetime.fromisoformat(e["at"]),
                    "recorded_at": now,
                    "ingested_at": now,
                    "source_id": e["id"],
                    "channel": "api",
                    "data": {},
                }
                for e in all_events
            ]
            for i in range(0, len(rows), BATCH):
                conn.execute(insert(event_table), rows[i : i + BATCH])
        elapsed = time.perf_counter() - start
        engine.dispose()
    return len(all_events) / elapsed


def run() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    targets = []
    with tempfile.TemporaryDirectory() as tmp:
        targets.append(("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}"))
        if os.environ.get("TRACKER_BENCH_PG_URL"):
            targets.append(("PostgreSQL", os.environ["TRACKER_BENCH_PG_URL"]))
        print(f"event ingestion: {CASES * 4:,} events ({CASES:,} cases × 4)", end=", ")
        print(f"batches of {BATCH}, median of {ROUNDS}")
        for name, url in targets:
            core = statistics.median(_core_rate(url) for _ in range(ROUNDS))
            for label, workload in (("whole cases", events), ("follow-ups", follow_ups)):
                api = statistics.median(_api_rate(url, workload) for _ in range(ROUNDS))
                verdict = "ok" if api >= 5000 else "BELOW GOAL"
                print(
                    f"  {name:<11} {label:<12} API {api:8,.0f} events/s   Core inserts {core:8,.0f} rows/s   "
                    f"ratio {api / core:.2f}   (goal ≥ 5,000/s: {verdict})"
                )
