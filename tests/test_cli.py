"""The `tracker` command, run as the installed console script against its own SQLite file.

These tests do not use the shared test database: each gets a fresh SQLite file and data
directory, so they run the same whether the suite is on SQLite or PostgreSQL.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import click
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from powerlists.models import Department
from tests.conftest import USER_PASSWORD, Tracker, one_line_error
from tracker.accounts.models import Role, User
from tracker.accounts.passwords import verify_password
from tracker.cli import cli
from tracker.demo import CITY_DEPARTMENTS, DEMO_ADMIN, DISTRICTS, OPERATOR_PASSWORD


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(model)).one()


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths += _command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


COMMANDS = _command_paths(cli)


def test_the_cli_offers_every_documented_command() -> None:
    expected = {
        (),
        ("serve",),
        ("db",),
        ("db", "upgrade"),
        ("demo",),
        ("users",),
        ("users", "add"),
        ("departments",),
        ("departments", "add"),
        ("departments", "list"),
        ("powerlist",),
        ("powerlist", "import"),
        ("powerlist", "export"),
        ("powerlist", "template"),
        ("scheduler",),
        ("scheduler", "run"),
    }
    assert expected <= set(COMMANDS)


def test_every_command_and_group_answers_help(tracker: Tracker) -> None:
    def first_line(path: tuple[str, ...]) -> str:
        result = tracker(*path, "--help")
        if result.returncode != 0 or result.stderr:
            return f"exit {result.returncode}: {result.stderr.strip()}"
        return result.stdout.splitlines()[0]

    with ThreadPoolExecutor(max_workers=6) as pool:  # one process each, a second apiece: run them together
        answers = dict(zip(COMMANDS, pool.map(first_line, COMMANDS), strict=True))
    wrong = {
        " ".join(path): line
        for path, line in answers.items()
        if not line.startswith(" ".join(("Usage: tracker", *path)) + " ")
    }
    assert wrong == {}


def test_db_upgrade_creates_the_schema_and_can_run_again(tracker: Tracker, cli_db: Engine) -> None:
    assert "is up to date" in tracker.ok("db", "upgrade")
    assert "is up to date" in tracker.ok("db", "upgrade")
    assert _count(cli_db, Department) == 0


def test_a_department_added_is_listed_as_json(migrated: Tracker) -> None:
    out = migrated.ok(
        "departments", "add", "X1", "--name", "测试局", "--name-en", "Test Bureau", "--phone", "0571-1"
    )
    assert "X1" in out
    listed = json.loads(migrated.ok("departments", "list", "--format", "json"))
    assert listed == [
        {"code": "X1", "name": "测试局", "name_en": "Test Bureau", "parent": None, "phone": "0571-1"}
    ]


def test_a_department_can_name_its_parent_and_text_listing_shows_it(migrated: Tracker) -> None:
    migrated.ok("departments", "add", "city", "--name", "市局")
    migrated.ok("departments", "add", "city-east", "--name", "东区分局", "--parent", "city")
    listed = json.loads(migrated.ok("departments", "list", "--format", "json"))
    assert [(d["code"], d["parent"]) for d in listed] == [("city", None), ("city-east", "city")]
    text = migrated.ok("departments", "list").splitlines()
    assert text == ["city\t市局\t\t-\t-", "city-east\t东区分局\t\tcity\t-"]


def test_a_duplicate_department_code_is_one_line_naming_it(migrated: Tracker) -> None:
    migrated.ok("departments", "add", "X1", "--name", "测试局")
    line = one_line_error(migrated("departments", "add", "X1", "--name", "另一局"))
    assert "'X1'" in line
    assert "--code" in line
    listed = json.loads(migrated.ok("departments", "list", "--format", "json"))
    assert [d["name"] for d in listed] == ["测试局"]


def test_an_unknown_parent_is_one_line_naming_it(migrated: Tracker) -> None:
    line = one_line_error(migrated("departments", "add", "X2", "--name", "测试局", "--parent", "NOPE"))
    assert "'NOPE'" in line
    assert "--parent" in line
    assert json.loads(migrated.ok("departments", "list", "--format", "json")) == []


def test_every_problem_of_a_department_is_reported_on_its_one_line(migrated: Tracker) -> None:
    line = one_line_error(
        migrated(
            "departments", "add", "bad code!", "--name", "测试局", "--phone", "call me", "--website", "x.cn"
        )
    )
    assert "--code" in line
    assert "--phone" in line
    assert "--website" in line


def _add_department(engine: Engine, code: str) -> None:
    with Session(engine) as db:
        db.add(Department(code=code, name="测试局"))
        db.commit()


def test_a_user_is_added_with_the_password_from_stdin(migrated: Tracker, cli_db: Engine) -> None:
    _add_department(cli_db, "X1")
    out = migrated.ok(
        "users",
        "add",
        "--email",
        "A@Example.org",
        "--role",
        "operator",
        "--department",
        "X1",
        "--name",
        "Alice",
        stdin=USER_PASSWORD + "\nignored second line\n",
    )
    assert "a@example.org" in out
    with Session(cli_db) as db:
        user = db.exec(select(User)).one()
        department = db.exec(select(Department)).one()
    assert (user.email, user.role, user.display_name) == ("a@example.org", Role.operator, "Alice")
    assert user.department_id == department.id
    assert USER_PASSWORD not in user.password_hash
    assert verify_password(USER_PASSWORD, user.password_hash)[0] is True
    assert verify_password("a wrong password", user.password_hash)[0] is False


def test_an_admin_is_added_without_a_department(migrated: Tracker, cli_db: Engine) -> None:
    migrated.ok("users", "add", "--email", "boss@example.org", "--role", "admin", stdin=USER_PASSWORD + "\n")
    with Session(cli_db) as db:
        user = db.exec(select(User)).one()
    assert (user.role, user.department_id) == (Role.admin, None)


@pytest.mark.parametrize(
    ("args", "password", "field"),
    [
        (["--role", "operator"], USER_PASSWORD, "--department"),
        (["--role", "admin", "--department", "X1"], USER_PASSWORD, "--department"),
        (["--role", "operator", "--department", "X1"], "short", "--password"),
        (["--role", "operator", "--department", "X1"], "", "--password"),
        (["--role", "operator", "--department", "NOPE"], USER_PASSWORD, "'NOPE'"),
    ],
    ids=[
        "operator-without-department",
        "admin-with-department",
        "short-password",
        "no-password",
        "unknown-dept",
    ],
)
def test_a_refused_user_is_one_line_and_nothing_is_stored(
    migrated: Tracker, cli_db: Engine, args: list[str], password: str, field: str
) -> None:
    _add_department(cli_db, "X1")
    result = migrated("users", "add", "--email", "a@example.org", *args, stdin=password + "\n")
    assert field in one_line_error(result)
    assert _count(cli_db, User) == 0


def test_a_second_user_with_the_same_email_is_refused(migrated: Tracker, cli_db: Engine) -> None:
    migrated.ok("users", "add", "--email", "a@example.org", "--role", "supervisor", stdin=USER_PASSWORD)
    result = migrated("users", "add", "--email", "A@example.org", "--role", "admin", stdin=USER_PASSWORD)
    assert "a@example.org" in one_line_error(result)
    assert _count(cli_db, User) == 1


@pytest.mark.parametrize(
    "url", ["foo://", "not a url", "sqlite://", "postgresql://tracker@db.example:port/x"]
)
def test_a_malformed_database_url_is_one_line_without_a_traceback(tracker: Tracker, url: str) -> None:
    result = tracker("departments", "list", TRACKER_DATABASE_URL=url)
    assert result.returncode == 1
    assert one_line_error(result).startswith("error: TRACKER_DATABASE_URL:")
    assert result.stdout == ""


def test_an_unreachable_database_server_is_one_line(tracker: Tracker) -> None:
    result = tracker("departments", "list", TRACKER_DATABASE_URL="postgresql://nobody:hunter2@127.0.0.1:1/x")
    assert result.returncode == 1
    line = one_line_error(result)
    assert line.startswith("error: cannot connect to the database")
    assert "hunter2" not in line


def test_a_bad_setting_is_one_line_naming_it(tracker: Tracker) -> None:
    result = tracker("departments", "list", TRACKER_TIMEZONE="Mars/Olympus")
    assert result.returncode == 1
    line = one_line_error(result)
    assert "TRACKER_TIMEZONE" in line
    assert "Mars/Olympus" in line


def test_an_unmigrated_database_asks_for_db_upgrade(tracker: Tracker) -> None:
    result = tracker("departments", "list")
    assert result.returncode == 1
    assert "run `tracker db upgrade`" in one_line_error(result)


def test_serve_refuses_several_workers_with_the_in_process_scheduler(migrated: Tracker) -> None:
    result = migrated("serve", "--workers", "2", TRACKER_RUN_SCHEDULER="on")
    assert result.returncode == 1
    assert "TRACKER_RUN_SCHEDULER" in one_line_error(result)


def test_demo_builds_the_region_once_and_is_idempotent(migrated: Tracker, cli_db: Engine) -> None:
    first = migrated.ok("demo")
    assert "departments: 30 added" in first
    assert "users: 32 added" in first
    assert DEMO_ADMIN.password in first  # the demo accounts are shown
    assert "0 rejected" in first  # a year of demo cases, all accepted by the real ingestion
    second = migrated.ok("demo")
    assert "cases: 0 events stored" in second
    assert "departments: 0 added, 30 already there" in second
    assert "users: 0 added, 32 already there" in second
    assert _count(cli_db, Department) == len(CITY_DEPARTMENTS) == 30
    assert _count(cli_db, User) == 32
    with Session(cli_db) as db:
        operator = db.exec(select(User).where(User.email == "scjgj@demo.gov.cn")).one()
        department = db.exec(select(Department).where(Department.code == "scjgj")).one()
        roles = sorted(db.exec(select(User.role)).all())
    assert operator.department_id == department.id
    assert verify_password(OPERATOR_PASSWORD, operator.password_hash)[0] is True
    assert roles.count(Role.operator) == 30
    assert roles.count(Role.admin) == roles.count(Role.supervisor) == 1


def test_demo_large_adds_the_district_departments_under_their_city_departments(
    migrated: Tracker, cli_db: Engine
) -> None:
    out = migrated.ok("demo", "--size", "large", "--no-cases")
    assert "district departments: 360 added" in out
    assert len(DISTRICTS) == 12
    assert _count(cli_db, Department) == 30 + 12 * 30
    with Session(cli_db) as db:
        ids = {d.code: d.id for d in db.exec(select(Department))}
        district = db.exec(select(Department).where(Department.code == "dc-gaj")).one()
    assert district.parent_id == ids["gaj"]
    assert district.name == "东城区公安局"
    again = migrated.ok("demo", "--size", "large", "--no-cases")
    assert "district departments: 0 added" in again
    assert _count(cli_db, Department) == 390
    assert _count(cli_db, User) == 32
