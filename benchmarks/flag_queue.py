"""The supervisors' flag queue with many flags (issue 8: each flag's subject by outer joins).

Since issue 8 the queue (``tracker.flags.queries``) joins each flag to its case or, for a
complaint's review, its complaint with LEFT OUTER JOINs and reads the reference and power code
through COALESCE. Measured: the queue's first page in SQL, ``flag_rows(limit=50)`` plus
``flag_counts``, for several filters, over N flags of N cases in a few departments plus 1,000
complaints with their review flags, on SQLite and on PostgreSQL (TRACKER_BENCH_PG_URL).

The baseline of each: the same page read from the flag table alone (the same conditions on flag
columns, newest detected first, 50 rows, and the counts by status and level), i.e. the page
without any join. The power filter has no flag column, so its baseline is the unfiltered one.
Printed too: the queue as it was before issue 8 (INNER JOIN on the case, complaints left out).

BENCH_QUEUE_SIZES sets N (default 100,000; e.g. "100000,1000000"); BENCH_QUEUE_EXPLAIN=1 also
prints each database's plan of the unfiltered first page.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.flags.queries import FlagFilter

SIZES = tuple(int(n) for n in os.environ.get("BENCH_QUEUE_SIZES", "100000").split(","))
COMPLAINTS = 1_000
DEPARTMENTS = ("bench", "dept2", "dept3", "dept4", "dept5")  # the first is _setup's
POWERS = 20  # power codes QL-000001…, a twentieth of the flags each
PAGE = 50
ROUNDS = 7
WARM_UP = 2
CHUNK = 50_000
NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
# The review as a queue of old flags looks: most settled, a fifth still open.
STATUSES = {
    "closed": 40,
    "dismissed": 20,
    "open": 20,
    "confirmed": 5,
    "explanation_requested": 5,
    "explained": 4,
    "rectification_submitted": 3,
    "exempted": 3,
}
LEVELS = {"warning": 60, "yellow": 30, "red": 10}


def _power(i: int) -> str:
    return f"QL-{i % POWERS + 1:06d}"


def _flag(rng: random.Random, department_id: int, **subject: Any) -> dict[str, Any]:
    """A flag detected some time in the last year, of a random level and review status."""
    from tracker.flags.models import NO_STEP

    detected = NOW - timedelta(seconds=rng.randrange(365 * 86_400))
    status = rng.choices(list(STATUSES), weights=list(STATUSES.values()))[0]
    return {
        "department_id": department_id,
        "level": rng.choices(list(LEVELS), weights=list(LEVELS.values()))[0],
        "step": NO_STEP,
        "since": detected - timedelta(days=rng.randrange(30)),
        "detected_at": detected,
        "params": {},
        "evidence": [],
        "status": status,
        "due_at": detected + timedelta(days=10) if status in {"explanation_requested", "confirmed"} else None,
        "origin_id": 0,
        **subject,
    }


def _build(url: str, flags: int) -> tuple[Any, dict[str, int]]:
    """``flags`` cases with a flag each, spread over DEPARTMENTS, and COMPLAINTS accepted
    complaints with their review flags; returns the engine and the departments' ids by code."""
    from benchmarks.ingest import _setup
    from powerlists.departments import DepartmentInput, add_department
    from tracker.bulk import insert_rows
    from tracker.cases.models import Case
    from tracker.complaints.models import Complaint, ComplaintStatus
    from tracker.db import session_factory
    from tracker.flags.models import Flag
    from tracker.flags.queries import KINDS
    from tracker.flags.subjects import COMPLAINT

    engine, _secret, first = _setup(url, "")
    case_table, flag_table = Case.__table__, Flag.__table__  # type: ignore[attr-defined]
    case_kinds = [k for k in KINDS if k != COMPLAINT]
    rng = random.Random(8)
    with session_factory(engine)() as db:
        ids = [first] + [add_department(db, DepartmentInput(c, f"基准局{c}")).id for c in DEPARTMENTS[1:]]
        departments = dict(zip(DEPARTMENTS, ids, strict=True))
        for start in range(0, flags, CHUNK):
            numbers = range(start + 1, min(start + CHUNK, flags) + 1)
            cases = [
                {
                    "id": i,
                    "department_id": ids[i % len(ids)],
                    "ref": f"B-{i:07d}",
                    "power_code": _power(i),
                    "power_item_id": 1,
                    "list_id": 1,
                    "status": "decided",
                    "received_at": NOW - timedelta(days=400),
                    "suspensions": [],
                    "fee_charged": 0,
                    "decision_reason": "",
                    "deadlines_provisional": False,
                    "suspended_lawfully": False,
                }
                for i in numbers
            ]
            insert_rows(db, case_table, cases)
            rows = [
                _flag(
                    rng, ids[i % len(ids)], case_id=i, complaint_id=None, kind=case_kinds[i % len(case_kinds)]
                )
                for i in numbers
            ]
            insert_rows(db, flag_table, rows)
            db.commit()
        complaints, reviews = [], []
        for i in range(1, COMPLAINTS + 1):
            department_id = ids[i % len(ids)]
            received = NOW - timedelta(days=rng.randrange(365))
            complaints.append(
                Complaint(
                    id=i,
                    number=f"TS20260101-{i:06d}",
                    secret_hash="0" * 64,
                    department_id=department_id,
                    power_code=_power(i) if i % 10 else "",  # a tenth about the department in general
                    happened_on=date(2026, 1, 1),
                    what="基准投诉",
                    status=ComplaintStatus.accepted,
                    received_at=received,
                    handle_by=received + timedelta(days=7),
                    handled_at=received + timedelta(days=1),
                ).model_dump()
            )
            reviews.append(_flag(rng, department_id, case_id=None, complaint_id=i, kind=COMPLAINT))
        insert_rows(db, Complaint.__table__, complaints)  # type: ignore[attr-defined]
        insert_rows(db, flag_table, reviews)
        db.commit()
    _analyze(engine)
    return engine, departments


def _analyze(engine: Any) -> None:
    """On PostgreSQL, the planner statistics autovacuum would have gathered by then. Not on
    SQLite: nothing in tracker runs ANALYZE there, so its planner goes without statistics."""
    from sqlalchemy import text

    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _scenarios() -> list[tuple[str, FlagFilter]]:
    from tracker.flags.queries import FlagFilter

    return [
        ("no filter", FlagFilter()),
        ("department", FlagFilter(department=DEPARTMENTS[2])),
        ("status open", FlagFilter(status="open")),
        ("sort by case", FlagFilter(sort="case")),
        ("power", FlagFilter(power=_power(2))),
    ]


def _queue(db: Any, f: FlagFilter) -> None:
    from tracker.flags.queries import flag_counts, flag_rows

    assert len(flag_rows(db, f, limit=PAGE)) == PAGE
    flag_counts(db, f)


def _flag_only(db: Any, f: FlagFilter, departments: dict[str, int]) -> None:
    """The same page from the flag table alone: what it would cost without any join."""
    from sqlalchemy import func, select
    from sqlmodel import col

    from tracker.flags.models import Flag

    where = []
    if f.department:
        where.append(col(Flag.department_id) == departments[f.department])
    if f.status:
        where.append(col(Flag.status) == f.status)
    page = select(Flag).where(*where).order_by(col(Flag.detected_at).desc(), col(Flag.id).desc())
    assert len(db.execute(page.limit(PAGE)).all()) == PAGE
    counts = select(col(Flag.status), col(Flag.level), func.count()).where(*where)
    db.execute(counts.group_by(col(Flag.status), col(Flag.level))).all()


def _inner_join(db: Any, f: FlagFilter) -> None:
    """The queue as it was before issue 8: an INNER JOIN on the case (complaints left out), in
    the same order (NULLS LAST included: it came with the due sort, before issue 8)."""
    from sqlalchemy import func, select
    from sqlmodel import col

    from powerlists.models import Department
    from tracker.cases.models import Case
    from tracker.flags.models import Flag

    def joined(stmt: Any) -> Any:
        stmt = stmt.join(Case, col(Case.id) == Flag.case_id).join(
            Department, col(Department.id) == Flag.department_id
        )
        if f.department:
            stmt = stmt.where(col(Department.code) == f.department)
        if f.status:
            stmt = stmt.where(col(Flag.status) == f.status)
        if f.power:
            stmt = stmt.where(col(Case.power_code) == f.power)
        return stmt

    order = (
        col(Case.ref).asc().nulls_last() if f.sort == "case" else col(Flag.detected_at).desc().nulls_last()
    )
    columns = (Flag, col(Case.ref), col(Case.power_code), col(Department.code), col(Department.name))
    tie = col(Flag.id).asc() if f.sort == "case" else col(Flag.id).desc()
    page = joined(select(*columns)).order_by(order, tie).limit(PAGE)
    assert len(db.execute(page).all()) == PAGE
    counts = joined(select(col(Flag.status), col(Flag.level), func.count()))
    db.execute(counts.group_by(col(Flag.status), col(Flag.level))).all()


def _median_ms(step: Callable[[], Any]) -> float:
    for _ in range(WARM_UP):
        step()
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        step()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def _plan(db: Any, f: FlagFilter) -> str:
    """The database's plan of the queue's first page (``flag_rows``' statement)."""
    from tracker.flags.queries import flag_select

    conn = db.connection()
    compiled = flag_select(f).limit(PAGE).compile(dialect=conn.dialect)
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {compiled}", compiled.params).all()
        return "\n".join(f"      {r[0]}" for r in rows)
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params).all()
    depth = {0: 0}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        lines.append(f"      {'  ' * depth[node]}{detail}")
    return "\n".join(lines)


def _measure(name: str, url: str, size: int) -> None:
    from tracker.db import session_factory

    engine, departments = _build(url, size)
    with session_factory(engine)() as db:
        for label, f in _scenarios():
            queue = _median_ms(lambda: _queue(db, f))  # noqa: B023
            floor = _median_ms(lambda: _flag_only(db, f, departments))  # noqa: B023
            before = _median_ms(lambda: _inner_join(db, f))  # noqa: B023
            print(
                f"  {name:<11} N={size:>9,}  {label:<13} {queue:7.1f} ms  "
                f"{queue / floor:5.1f}× the flag table alone ({floor:6.1f} ms)   "
                f"inner join (before issue 8): {before:7.1f} ms ({queue / before:4.2f}×)"
            )
        if os.environ.get("BENCH_QUEUE_EXPLAIN"):
            print(f"    plan of the unfiltered first page ({name}):")
            print(_plan(db, _scenarios()[0][1]))
        db.rollback()
    engine.dispose()


def run() -> None:
    targets: list[tuple[str, Callable[[int], str]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        targets.append(("SQLite", lambda n: f"sqlite:///{Path(tmp) / f'queue-{n}.db'}"))
        if os.environ.get("TRACKER_BENCH_PG_URL"):
            targets.append(("PostgreSQL", lambda _n: os.environ["TRACKER_BENCH_PG_URL"]))
        print(
            f"flag queue: first page ({PAGE} rows) + counts, N flags of N cases in {len(DEPARTMENTS)} "
            f"departments + {COMPLAINTS:,} complaint reviews, median of {ROUNDS}\n"
            "  (the power filter has no flag column: its baseline is the unfiltered page)"
        )
        for name, url_for in targets:
            for size in SIZES:
                _measure(name, url_for(size), size)
