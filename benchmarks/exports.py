"""Exporting 100,000 cases of one department to xlsx (issue 7).

Goals: the export (query, rows, write-only workbook, from start to saved file) takes at most
1.3 × openpyxl's own write-only time for the same rows, and its process peaks under 200 MB.

The baseline is openpyxl alone: the same rows, already in memory as plain values, appended to a
write-only sheet and saved. Each measurement runs in a fresh child process (``python -c``), and
the peak is that child's own ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (the high-water mark
of its resident memory, interpreter and imports included), read by the child just before it
exits. (RUSAGE_CHILDREN in this process would give the largest child so far, mixing the two.)
tracemalloc is not used: it sees only Python allocations and slows openpyxl several times over.
Each side runs ROUNDS times, alternating, and the best time of each is compared (the machine may
be busy with other work; the best run is the least disturbed). Set TRACKER_BENCH_EXPORT_CASES to
time another size.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CASES = int(os.environ.get("TRACKER_BENCH_EXPORT_CASES", "100000"))
ROUNDS = int(os.environ.get("TRACKER_BENCH_EXPORT_ROUNDS", "2"))
GOAL_RATIO = 1.3
GOAL_MB = 200
CHUNK = 20_000
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def _seed(url: str) -> int:
    """CASES cases received through 2026 (Core inserts): most decided, some late, some open."""
    from benchmarks.ingest import _setup
    from tracker.bulk import insert_rows
    from tracker.cases.models import Case
    from tracker.db import session_factory

    engine, _secret, department_id = _setup(url, "")
    table = Case.__table__  # type: ignore[attr-defined]
    with session_factory(engine)() as db:
        for start in range(0, CASES, CHUNK):
            rows = []
            for i in range(start, min(start + CHUNK, CASES)):
                received = START + timedelta(minutes=5 * i)
                accepted = received + timedelta(hours=2)
                decided = None if i % 10 == 0 else accepted + timedelta(days=3 + i % 25)
                rows.append(
                    {
                        "department_id": department_id,
                        "ref": f"B-{i:07d}",
                        "power_code": "QL-000001" if i % 50 else "OFF-LIST",
                        "power_item_id": 1 if i % 50 else None,
                        "list_id": 1 if i % 50 else None,
                        "status": "open" if decided is None else "decided",
                        "outcome": None if decided is None else ("approved" if i % 7 else "rejected"),
                        "decision_reason": "",
                        "received_at": received,
                        "accepted_at": accepted,
                        "decided_at": decided,
                        "promised_due_at": accepted + timedelta(days=14),
                        "statutory_due_at": accepted + timedelta(days=28),
                        "deadlines_provisional": False,
                        "suspended_lawfully": False,
                        "suspensions": [],
                        "fee_charged": 0 if i % 3 else 25,
                        "last_event_at": decided or accepted,
                    }
                )
            insert_rows(db, table, rows)
            db.commit()
    engine.dispose()
    return int(department_id)


# What the child processes run: each prints one JSON line with its time and peak.
_CHILD = """
import json, resource, sys, time
from datetime import date
from zoneinfo import ZoneInfo
from tracker.calendar import OFFICIAL
from tracker.db import import_models, make_engine, session_factory
from tracker.exports.cases import FIELDS, case_rows
url, department, out, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
import_models()
engine = make_engine(url)
tz = ZoneInfo("Asia/Shanghai")
first, last = date(2026, 1, 1), date(2027, 12, 31)
with session_factory(engine)() as db:
    if mode == "export":
        from tracker.exports.tables import write_table
        start = time.perf_counter()
        with open(out, "wb") as handle:
            rows = case_rows(db, department, "bench", first, last, tz, OFFICIAL)
            n = write_table("xlsx", handle, "bench", FIELDS, rows, str)
    else:
        from openpyxl import Workbook
        rows = [[v.replace(tzinfo=None) if hasattr(v, "tzinfo") and v.tzinfo else v for v in row]
                for row in case_rows(db, department, "bench", first, last, tz, OFFICIAL)]
        start = time.perf_counter()
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("bench")
        ws.append([f.label for f in FIELDS])
        for row in rows:
            ws.append(row)
        wb.save(out)
        n = len(rows)
    seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
print(json.dumps({"rows": n, "seconds": seconds, "peak_mb": peak}))
"""


def _child(url: str, department_id: int, out: Path, mode: str) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-c", _CHILD, url, str(department_id), str(out), mode],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        department_id = _seed(url)
        print(f"export: {CASES:,} cases of one department to xlsx (SQLite), best of {ROUNDS}")
        ours: list[dict[str, Any]] = []
        baseline: list[dict[str, Any]] = []
        for _ in range(ROUNDS):
            ours.append(_child(url, department_id, Path(tmp) / "ours.xlsx", "export"))
            baseline.append(_child(url, department_id, Path(tmp) / "baseline.xlsx", "baseline"))
    best, floor = min(r["seconds"] for r in ours), min(r["seconds"] for r in baseline)
    peak, floor_peak = max(r["peak_mb"] for r in ours), max(r["peak_mb"] for r in baseline)
    ratio = best / floor
    assert ours[0]["rows"] == baseline[0]["rows"] == CASES
    print(
        f"  time   {best:7.1f} s   openpyxl write-only alone {floor:7.1f} s   ratio {ratio:.2f}×   "
        f"(goal ≤ {GOAL_RATIO}×: {'ok' if ratio <= GOAL_RATIO else 'OVER GOAL'})"
    )
    print(
        f"  peak   {peak:7.0f} MB  openpyxl write-only alone {floor_peak:7.0f} MB (rows held in memory)   "
        f"(goal < {GOAL_MB} MB: {'ok' if peak < GOAL_MB else 'OVER GOAL'})"
    )
    print(
        f"  every run: export {[round(r['seconds'], 1) for r in ours]} s, "
        f"baseline {[round(r['seconds'], 1) for r in baseline]} s"
    )


if __name__ == "__main__":
    run()
