"""Page latency: a public page rendered from the database, next to the bare health check.

The ratio shows what templates, translation and middleware cost on top of one
database round trip. Runs in-process against a fresh SQLite file with the demo
region loaded.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from litestar.testing import TestClient

from tracker.app import create_app
from tracker.db import import_models, make_engine, upgrade
from tracker.demo import build_demo
from tracker.settings import load_settings

ROUNDS = 300


def _median_ms(call: Callable[[], object], rounds: int = ROUNDS) -> float:
    for _ in range(20):  # warm up
        call()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        import_models()
        engine = make_engine(url)
        upgrade(engine)
        build_demo(engine, "small", progress=lambda _msg: None)
        settings = load_settings(
            {
                "TRACKER_DATABASE_URL": url,
                "TRACKER_DATA_DIR": tmp,
                "TRACKER_ALLOWED_HOSTS": "testserver.local",
                "TRACKER_LOG_LEVEL": "WARNING",
            }
        )
        app = create_app(settings, engine)
        with TestClient(app, base_url="http://testserver.local") as client:
            baseline = _median_ms(lambda: client.get("/healthz"))
            listing = _median_ms(lambda: client.get("/departments"))
            detail = _median_ms(lambda: client.get("/departments/scjgj"))
            api = _median_ms(lambda: client.get("/api/v1/departments"))
        engine.dispose()
    print("page latency, median of", ROUNDS, "requests (in-process, SQLite)")
    print(f"  {'baseline /healthz':<28} {baseline:7.2f} ms   1.00x")
    for name, value in (
        ("/departments (30 rows)", listing),
        ("/departments/CODE", detail),
        ("/api/v1/departments", api),
    ):
        print(f"  {name:<28} {value:7.2f} ms   {value / baseline:.2f}x baseline")
