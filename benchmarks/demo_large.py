"""`tracker demo --size large` on SQLite: the demo region plus 1,000,000 cases with their steps and events.

Goal: the whole large demo in under 5 minutes (300 s) on a 2-core machine. Prints the elapsed
time next to the goal, and the rows written per second (cases, steps and events together).
Set TRACKER_BENCH_LARGE_CASES to time a smaller dataset.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 300


def run() -> None:
    from zoneinfo import ZoneInfo

    from sqlalchemy import func, select

    from tracker.cases.models import Case, CaseEvent, CaseStep
    from tracker.db import import_models, make_engine, upgrade
    from tracker.demo import LARGE_CASES, build_demo

    cases = int(os.environ.get("TRACKER_BENCH_LARGE_CASES", LARGE_CASES))
    import_models()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        print(f"large demo: {cases:,} bulk cases on SQLite")
        start = time.perf_counter()
        build_demo(
            engine,
            "large",
            progress=lambda line: print(f"  {time.perf_counter() - start:6.1f} s  {line}"),
            tz=ZoneInfo("Asia/Shanghai"),
            large_cases=cases,
        )
        elapsed = time.perf_counter() - start
        with engine.connect() as conn:
            counts = [
                conn.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (Case, CaseStep, CaseEvent)
            ]
        engine.dispose()
    rows = sum(counts)
    verdict = "ok" if elapsed <= GOAL_SECONDS else "OVER GOAL"
    print(
        f"  {counts[0]:,} cases, {counts[1]:,} steps, {counts[2]:,} events in {elapsed:,.1f} s "
        f"({rows / elapsed:,.0f} rows/s)   ratio to goal {elapsed / GOAL_SECONDS:.2f}   "
        f"(goal ≤ {GOAL_SECONDS} s: {verdict})"
    )
