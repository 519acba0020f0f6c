"""The shared ground of every test: a fresh database per run, a clean one per test, and a cast of users.

The database is a real SQLite file, or the PostgreSQL database named by
TRACKER_TEST_DATABASE_URL. It is migrated once per run with the real
migrations; after each test every table is emptied.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, MetaData, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from powerlists.columns import utcnow
from powerlists.importer import import_file
from powerlists.models import Department
from tests.browser.installed import NO_CHROMIUM
from tests.builders import build, item_row
from tracker.accounts.models import Role, User
from tracker.accounts.passwords import hash_password
from tracker.app import create_app
from tracker.db import import_models, make_engine, upgrade
from tracker.i18n import DEFAULT_LANGUAGE, speaking
from tracker.settings import Settings, load_settings

PASSWORD = "correct horse battery"
TEST_HOST = "testserver.local"

os.environ.setdefault("LITESTAR_WARN_IMPLICIT_SYNC_TO_THREAD", "1")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Browser tests skipped for want of Chromium are said so again in the summary, in red.

    Here rather than in tests/browser/conftest.py, which pytest-xdist's controller never loads.
    """
    skipped = terminalreporter.stats.get("skipped", [])
    if any(NO_CHROMIUM in str(report.longrepr) for report in skipped):
        terminalreporter.write_sep("!", NO_CHROMIUM, red=True, bold=True)


def database_url(tmp_dir: Path) -> str:
    base = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_dir / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _worker_database(base, worker) if worker else base


def _admin_engine(base: str) -> Engine:
    url = make_url(base).set(drivername="postgresql+psycopg", database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _worker_database(base: str, worker: str) -> str:
    """Each pytest-xdist worker gets its own database next to the one given (created when missing)."""
    url = make_url(base)
    name = f"{url.database}_{worker}"
    admin = _admin_engine(base)
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_worker_database(url: str) -> None:
    base = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if base and url != base:
        admin = _admin_engine(base)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()


def _drop_everything(engine: Engine) -> None:
    existing = MetaData()
    existing.reflect(bind=engine)
    existing.drop_all(bind=engine)


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    import_models()
    url = database_url(tmp_path_factory.mktemp("db"))
    eng = make_engine(url)
    _drop_everything(eng)  # a PostgreSQL database left over from an interrupted run
    upgrade(eng)
    yield eng
    eng.dispose()
    _drop_worker_database(url)


def empty_tables(engine: Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("TRUNCATE TABLE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            # Self-references (a department's parent) make row-by-row RESTRICT checks fail mid-delete.
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language, whatever an earlier in-process CLI run activated."""
    with speaking(DEFAULT_LANGUAGE):
        yield


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "engine" in request.fixturenames:
        empty_tables(request.getfixturevalue("engine"))


@pytest.fixture(scope="session")
def settings(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    return load_settings(
        {
            "TRACKER_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "TRACKER_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "TRACKER_DATA_DIR": str(data_dir),
            "TRACKER_ALLOWED_HOSTS": f"{TEST_HOST},localhost,127.0.0.1",
            "TRACKER_SECURE_COOKIES": "off",
            "TRACKER_LANGUAGE": "en",
            # Tests change the data between requests: every page rendered afresh (one test caches).
            "TRACKER_PAGE_CACHE_SECONDS": "0",
        }
    )


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine) -> Litestar:
    return create_app(settings, engine)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run


@dataclass
class Cast:
    """Who the tests act as: an admin, a supervisor, and operators of two departments."""

    dept_a: Department
    dept_b: Department
    admin: User
    supervisor: User
    op_a: User
    op_b: User


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def cast(db: Session, password_hash: str) -> Cast:
    dept_a = Department(code="dept-a", name="甲局", name_en="Bureau A", phone="0571-1")
    dept_b = Department(code="dept-b", name="乙局", name_en="Bureau B", phone="0571-2")
    db.add_all([dept_a, dept_b])
    db.flush()

    def user(email: str, role: Role, department: Department | None = None) -> User:
        u = User(
            email=email,
            password_hash=password_hash,
            role=role,
            department_id=department.id if department else None,
            created_at=utcnow(),
        )
        db.add(u)
        return u

    result = Cast(
        dept_a=dept_a,
        dept_b=dept_b,
        admin=user("admin@example.org", Role.admin),
        supervisor=user("supervisor@example.org", Role.supervisor),
        op_a=user("op-a@example.org", Role.operator, dept_a),
        op_b=user("op-b@example.org", Role.operator, dept_b),
    )
    db.commit()
    return result


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def new_client(app: Litestar) -> TestClient[Litestar]:
    return TestClient(app, base_url=f"http://{TEST_HOST}")


def post_form(client: TestClient[Litestar], path: str, data: dict[str, str], *, form_page: str | None = None):  # type: ignore[no-untyped-def]
    """Submit a form as a browser would: fetch the page that holds it, then post with its CSRF token."""
    page = client.get(form_page or path)
    return client.post(path, data={**data, "csrf_token": csrf_from(page.text)}, follow_redirects=False)


def sign_in(client: TestClient[Litestar], user: User, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    response = post_form(client, "/login", {"email": user.email, "password": password})
    assert response.status_code == 302, response.text
    return response


@pytest.fixture
def anon(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with new_client(app) as client:
        yield client


def _signed_in(app: Litestar, user: User) -> Iterator[TestClient[Litestar]]:
    with new_client(app) as client:
        sign_in(client, user)
        yield client


@pytest.fixture
def as_admin(app: Litestar, cast: Cast) -> Iterator[TestClient[Litestar]]:
    yield from _signed_in(app, cast.admin)


@pytest.fixture
def as_supervisor(app: Litestar, cast: Cast) -> Iterator[TestClient[Litestar]]:
    yield from _signed_in(app, cast.supervisor)


@pytest.fixture
def as_op_a(app: Litestar, cast: Cast) -> Iterator[TestClient[Litestar]]:
    yield from _signed_in(app, cast.op_a)


@pytest.fixture
def as_op_b(app: Litestar, cast: Cast) -> Iterator[TestClient[Litestar]]:
    yield from _signed_in(app, cast.op_b)


# The `tracker` command as a subprocess, with a SQLite file of its own (CLI tests).

TRACKER = Path(sys.executable).parent / "tracker"
USER_PASSWORD = "a long enough password"


class Tracker:
    """Runs `tracker ...` with an environment of its own."""

    def __init__(self, tmp_path: Path):
        self.cwd = tmp_path
        self.database_url = f"sqlite:///{tmp_path / 'cli.db'}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        self.env.update(
            TRACKER_DATABASE_URL=self.database_url,
            TRACKER_DATA_DIR=str(tmp_path / "data"),
            TRACKER_LANGUAGE="en",
        )

    def __call__(self, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(TRACKER), *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env={**self.env, **env},
            cwd=self.cwd,
            timeout=180,
            check=False,
        )

    def ok(self, *args: str, stdin: str = "") -> str:
        result = self(*args, stdin=stdin)
        assert result.returncode == 0, result.stderr
        return result.stdout


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single `error: ...` line a failing command prints, with no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def tracker(tmp_path: Path) -> Tracker:
    return Tracker(tmp_path)


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file migrated once by `tracker db upgrade`, copied for each test that needs one."""
    template = Tracker(tmp_path_factory.mktemp("template"))
    template.ok("db", "upgrade")
    return template.cwd / "cli.db"


@pytest.fixture
def migrated(tracker: Tracker, migrated_template: Path) -> Tracker:
    for suffix in ("", "-wal"):  # the WAL too, should the last connection have left one
        source = migrated_template.with_name(migrated_template.name + suffix)
        if source.exists():
            shutil.copyfile(source, tracker.cwd / f"cli.db{suffix}")
    return tracker


@pytest.fixture
def cli_db(tracker: Tracker) -> Iterator[Engine]:
    """The command's database, opened from the test to check what the command did."""
    import_models()
    engine = make_engine(tracker.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def listed(db: Session, cast: Cast, tmp_path: Path) -> Cast:
    """Department A's list: XK-1 (statutory 20 working days, promised 10) with three steps."""
    path = build(
        tmp_path / "list.xlsx",
        rows=[item_row("XK-1", "食品经营许可"), item_row("XK-2", "无期限事项", statutory="", promised="")],
        steps=[
            ["XK-1", 1, "受理", "1个工作日", "窗口"],
            ["XK-1", 2, "审查", "3个工作日", "科室"],
            ["XK-1", 3, "决定", "2个工作日", "科长"],
        ],
    )
    assert import_file(
        db,
        cast.dept_a.id,
        path,
        source_name="v1",
        effective=date(2026, 1, 1),  # type: ignore[arg-type]
        imported_by_id=None,
        now=datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")),
    ).report.ok
    db.commit()
    return cast
