"""Scorecards: refreshing a month of 100,000 decided cases, and serving the public pages.

- Rollup refresh of one month (goal < 10 s), next to fetching the same case rows (the floor).
- The overview and a department page under wrk (2 threads, 8 connections, 10 s) against one
  `tracker serve` worker: requests/s (goal ≥ 500) and latency (goal p95 < 50 ms; wrk prints the
  90th and 99th percentiles, so the p95 lies between them), next to /login, a plain Jinja page
  that reads no data. Skipped with a message when wrk is not installed (apt-get install wrk).

BENCH_SCORECARD_CASES sets the number of cases (default 100,000).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

CASES = int(os.environ.get("BENCH_SCORECARD_CASES", "100000"))
DEPARTMENTS = 100
ROUNDS = 3
TZ = ZoneInfo("Asia/Shanghai")
MONTH = "2026-03"


def _seed(url: str) -> None:
    from sqlalchemy import MetaData

    from powerlists.categories import Category
    from powerlists.columns import utcnow
    from powerlists.departments import DepartmentInput, add_department
    from powerlists.importer import write_version
    from powerlists.limits import Limit, Unit
    from powerlists.models import ListStatus
    from powerlists.validate import ItemData
    from tracker.bulk import insert_rows
    from tracker.cases.models import Case
    from tracker.db import import_models, make_engine, session_factory, upgrade

    import_models()
    engine = make_engine(url)
    existing = MetaData()
    existing.reflect(bind=engine)
    existing.drop_all(bind=engine)
    upgrade(engine)
    rng = random.Random(7)
    with session_factory(engine)() as db:
        items = []
        for d in range(DEPARTMENTS):
            department = add_department(
                db, DepartmentInput(f"D{d:03d}", f"基准部门{d:03d}", f"Bench {d:03d}")
            )
            power_list = write_version(
                db,
                department.id,  # type: ignore[arg-type]
                [
                    ItemData(
                        code=f"QL-{d:03d}",
                        name="基准事项",
                        category=Category.licensing,
                        statutory_limit=Limit(20, Unit.workday),
                        promised_limit=Limit(10, Unit.workday),
                    )
                ],
                status=ListStatus.published,
                effective=date(2026, 1, 1),
                source_name="bench",
                sha256="",
                imported_by_id=None,
                now=utcnow(),
            )
            items.append((department.id, power_list.id, f"QL-{d:03d}"))
        db.commit()
        from sqlmodel import select

        from powerlists.models import PowerItem

        item_ids = {code: item_id for item_id, code in db.exec(select(PowerItem.id, PowerItem.code))}
        rows = []
        start = datetime(2026, 2, 16, 1, 0, tzinfo=UTC)
        for n in range(CASES):
            department_id, list_id, code = items[n % DEPARTMENTS]
            received = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
            decided = datetime(2026, 3, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 60 * 24 * 29))
            rows.append(
                {
                    "department_id": department_id,
                    "ref": f"B{n:07d}",
                    "power_code": code,
                    "power_item_id": item_ids[code],
                    "list_id": list_id,
                    "status": "decided",
                    "outcome": "approved",
                    "decision_reason": "",
                    "received_at": received,
                    "accepted_at": received + timedelta(hours=1),
                    "decided_at": decided,
                    "fee_charged": 0,
                    "applicant": None,
                    "promised_due_at": received + timedelta(days=14),
                    "statutory_due_at": received + timedelta(days=28),
                    "deadlines_provisional": False,
                    "suspended_lawfully": False,
                    "suspensions": [],
                    "last_event_at": decided,
                }
            )
        insert_rows(db, Case.__table__, rows)  # type: ignore[attr-defined]
        db.commit()
    engine.dispose()


def _refresh(url: str) -> tuple[float, float, float]:
    from sqlalchemy import select

    from tracker.calendar_store import load_calendar
    from tracker.cases.models import Case
    from tracker.db import make_engine, session_factory
    from tracker.scorecards.periods import month_bounds
    from tracker.scorecards.refresh import refresh, refresh_month

    engine = make_engine(url)
    now = datetime(2026, 4, 10, 2, tzinfo=UTC)
    start, end = month_bounds(MONTH, TZ)
    table = Case.__table__  # type: ignore[attr-defined]
    month_times, floors = [], []
    with session_factory(engine)() as db:
        cal = load_calendar(db)
        for _ in range(ROUNDS):
            t = time.perf_counter()
            db.execute(select(table).where(table.c.decided_at >= start, table.c.decided_at < end)).all()
            floors.append(time.perf_counter() - t)
            db.rollback()
            t = time.perf_counter()
            refresh_month(db, MONTH, cal, TZ, now)
            db.commit()
            month_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        refresh(db, now, cal, TZ, months=["2026-02", MONTH, "2026-04"])
        db.commit()
        whole = time.perf_counter() - t
    engine.dispose()
    return statistics.median(month_times), statistics.median(floors), whole


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wrk(url: str) -> tuple[float, float, float]:
    """Requests/s, 90th and 99th percentile latency (ms) of a 10 s run."""
    wrk = shutil.which("wrk")
    assert wrk is not None
    out = subprocess.run(  # noqa: S603 - our own benchmark's fixed arguments
        [wrk, "-t2", "-c8", "-d10s", "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def ms(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return rate, ms("90"), ms("99")


def _cold_render_ms(url: str, rounds: int = 15) -> float:
    """A page the cache has not kept yet (a new query string each time): what a miss costs."""
    times = []
    for n in range(rounds):
        started = time.perf_counter()
        urllib.request.urlopen(f"{url}?cold={n}", timeout=30).read()  # noqa: S310 - http://127.0.0.1
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _pages(url: str, data_dir: str) -> None:
    if shutil.which("wrk") is None:
        print("  pages: SKIPPED, wrk is not installed (apt-get install wrk)")
        return
    port = _free_port()
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_DATA_DIR": data_dir,
        "TRACKER_LOG_LEVEL": "WARNING",
        "TRACKER_LANGUAGE": "zh-CN",
    }
    tracker = str(Path(sys.executable).with_name("tracker"))
    server = subprocess.Popen(  # noqa: S603 - the project's own command
        [tracker, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 - http://127.0.0.1
                break
            except OSError:
                time.sleep(0.2)
        baseline = _wrk(f"{base}/login")
        label, (rate, p90, p99) = "/login (plain Jinja, no data)", baseline
        print(f"  {label:<34} {rate:8,.0f} req/s   p90 {p90:6.1f} ms   p99 {p99:6.1f} ms")
        for path in ("/", "/departments/D042"):
            rate, p90, p99 = _wrk(f"{base}{path}")
            verdict = "ok" if rate >= 500 and p90 < 50 else "BELOW GOAL"
            print(
                f"  {path:<34} {rate:8,.0f} req/s   p90 {p90:6.1f} ms   p99 {p99:6.1f} ms   "
                f"{rate / baseline[0]:.2f}× the plain page   (goal ≥ 500 req/s, p95 < 50 ms: {verdict})"
            )
            print(
                f"  {'  rendered afresh (once a minute)':<34} {_cold_render_ms(base + path):8.1f} ms median"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("TRACKER_BENCH_PG_URL") or f"sqlite:///{Path(tmp) / 'bench.db'}"
        _seed(url)
        month, floor, whole = _refresh(url)
        print(f"scorecards: {CASES:,} cases decided in {MONTH} over {DEPARTMENTS} departments")
        verdict = "ok" if month < 10 else "BELOW GOAL"
        if CASES != 100_000:
            verdict = f"the goal is for 100,000 cases, {month * 100_000 / CASES:.2f} s pro rata"
        print(
            f"  rollup refresh of the month       {month:8.2f} s   fetching its rows {floor:6.2f} s   "
            f"ratio {month / floor:5.1f}   (goal < 10 s: {verdict})"
        )
        print(f"  refresh of 3 months + scorecards  {whole:8.2f} s")
        _pages(url, tmp)


if __name__ == "__main__":
    run()
