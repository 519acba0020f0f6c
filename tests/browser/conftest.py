"""The browser tests' ground: the real server over the demo region, and headless Chromium.

The server runs `tracker serve` in a subprocess, as a visitor would meet it, over a SQLite file
filled once per run with the demo region (what `tracker demo` builds). It keeps its own SQLite
file even in the PostgreSQL leg of CI: these tests are about pages in a browser, and the other
tests cover both databases.

Chromium is Debian's `chromium` package, driven by Playwright's Python client; Playwright never
downloads a browser of its own. Without Chromium every browser test is skipped, loudly, and the
summary says so again in red (from tests/conftest.py: pytest-xdist's controller loads only that one).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from tests.browser.installed import CHROMIUM, NO_CHROMIUM
from tracker.db import import_models, make_engine, upgrade
from tracker.demo import build_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
TRACKER = Path(sys.executable).parent / "tracker"
STARTUP_SECONDS = 30
SHANGHAI = ZoneInfo("Asia/Shanghai")
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test, so the page fixture can tell that the test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _build_demo(database_url: str) -> None:
    """What `tracker db upgrade` and `tracker demo` do, in this process: twice as fast as the commands."""
    import_models()
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        build_demo(engine, "small", progress=lambda _line: None)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def site_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("site")


@pytest.fixture(scope="session")
def site(site_home: Path) -> Iterator[str]:
    """The URL of `tracker serve` on a free loopback port over a freshly built demo region."""
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)  # nothing would look at the server: spare the demo's build time
    home = site_home
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_DATABASE_URL=f"sqlite:///{home / 'demo.db'}",
        TRACKER_DATA_DIR=str(home / "data"),
        TRACKER_SECRET_KEY="browser-test-secret-key-long-enough-0123456789",
        TRACKER_ALLOWED_HOSTS="127.0.0.1,localhost",
        TRACKER_SECURE_COOKIES="off",
        TRACKER_LANGUAGE="zh-CN",
        TRACKER_RUN_SCHEDULER="off",
        TRACKER_LOG_LEVEL="WARNING",
        TRACKER_SITE_URL=f"http://127.0.0.1:{port}",
    )
    _build_demo(env["TRACKER_DATABASE_URL"])
    log = home / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(TRACKER), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"tracker serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 - our loopback URL
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"tracker serve did not answer /healthz within {STARTUP_SECONDS} s:\n{log.read_text()}")


@pytest.fixture
def rating_code(site: str, site_home: Path) -> str:
    """A fresh code for a decided demo case nobody has rated, given as the department's system would."""
    from sqlmodel import Session, col, select

    from tracker.calendar import OFFICIAL
    from tracker.cases.ingest import ingest
    from tracker.cases.models import Case, CaseStatus
    from tracker.ratings.codes import generate
    from tracker.ratings.models import Rating, RatingCode

    engine = make_engine(f"sqlite:///{site_home / 'demo.db'}")
    try:
        with Session(engine) as db:
            case = db.exec(
                select(Case)
                .where(
                    Case.status == CaseStatus.decided,
                    col(Case.id).not_in(select(Rating.case_id)),
                    col(Case.id).not_in(select(RatingCode.case_id)),
                )
                .order_by(col(Case.decided_at).desc())
            ).first()
            assert case is not None and case.decided_at is not None
            code = generate()
            event = {
                "case": case.ref,
                "type": "rating_code_issued",
                "at": case.decided_at.isoformat(),
                "code": code,
            }
            [result] = ingest(
                db, case.department_id, [event], now=case.decided_at, channel="api", cal=OFFICIAL, tz=SHANGHAI
            )
            assert result.status == "stored", result
            db.commit()
    finally:
        engine.dispose()
    return code


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Module scope: Playwright's sync API keeps an event loop of its own, closed before other files run.
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert CHROMIUM is not None
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def new_page(browser: Browser, site: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """Opens pages in fresh browser contexts (own cookies), Chinese first as the site's default.

    Keyword arguments go to `browser.new_context` (e.g. a phone's viewport). When the test fails,
    each page's last state is kept as a screenshot.
    """
    contexts: list[BrowserContext] = []

    def open_page(**options: object) -> Page:
        context = browser.new_context(
            base_url=site,
            locale="zh-CN",
            accept_downloads=True,
            **options,  # type: ignore[arg-type]
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    reports = request.node.stash.get(_REPORTS, {})
    failed = "call" in reports and reports["call"].failed
    for n, context in enumerate(contexts, start=1):
        if failed:
            for page in context.pages:
                page.screenshot(path=str(_artifact(request.node.name, f"failed-{n}")), full_page=True)
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """`shot(page, "step")` keeps a full-page screenshot in test-artifacts/browser/<test>-NN-step.png."""
    steps = iter(range(1, 100))
    for old in ARTIFACTS.glob(f"{_slug(request.node.name)}-*.png"):  # from an earlier run
        old.unlink()

    def take(page: Page, step: str) -> Path:
        path = _artifact(request.node.name, f"{next(steps):02d}-{step}")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def _artifact(test_name: str, step: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{_slug(test_name)}-{_slug(step)}.png"
