"""The database layer: URL checks, engine settings, migrations that match the models, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from powerlists.columns import utcnow
from powerlists.models import Department
from tracker.accounts.models import Role, User
from tracker.db import (
    alembic_config,
    check_connection,
    check_schema,
    make_engine,
    parse_database_url,
    pending_migrations,
    session_scope,
    table_names,
    upgrade,
)
from tracker.settings import ConfigError


def _config_error(raw_url: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_database_url(raw_url)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://tracker@db.example:5432/tracker",
        "postgres://tracker@db.example:5432/tracker",
        "postgresql+psycopg2://tracker@db.example:5432/tracker",
    ],
)
def test_postgresql_urls_use_psycopg_3(raw: str) -> None:
    url = parse_database_url(raw)
    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.host, url.port, url.database) == ("tracker", "db.example", 5432, "tracker")


def test_a_sqlite_file_url_is_kept() -> None:
    url = parse_database_url("sqlite:///./tracker.db")
    assert url.drivername == "sqlite"
    assert url.database == "./tracker.db"


def test_garbage_is_refused_in_one_line_naming_the_setting() -> None:
    message = _config_error("not a url")
    assert message.startswith("TRACKER_DATABASE_URL:")
    assert "'not a url'" in message


def test_a_url_with_a_bad_port_is_refused_in_one_line() -> None:
    message = _config_error("postgresql://tracker@db.example:port/tracker")
    assert message.startswith("TRACKER_DATABASE_URL:")


def test_a_refused_url_does_not_show_its_password() -> None:
    message = _config_error("postgresql:/tracker:hunter2@db.example/tracker")
    assert message.startswith("TRACKER_DATABASE_URL:")
    assert "hunter2" not in message


@pytest.mark.parametrize("raw", ["mysql://tracker@db.example/tracker", "foo://"])
def test_other_databases_are_refused_in_one_line(raw: str) -> None:
    message = _config_error(raw)
    assert message.startswith("TRACKER_DATABASE_URL:")
    assert "unsupported" in message
    assert repr(raw.split(":")[0]) in message


@pytest.mark.parametrize("raw", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_database_is_refused(raw: str) -> None:
    message = _config_error(raw)
    assert message.startswith("TRACKER_DATABASE_URL:")
    assert "memory" in message


def test_make_engine_refuses_what_parse_database_url_refuses() -> None:
    with pytest.raises(ConfigError):
        make_engine("mysql://tracker@db.example/tracker")


def test_a_postgresql_engine_uses_psycopg_3() -> None:
    engine = make_engine("postgresql://tracker@db.example/tracker")  # no connection is made
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() > 0
    finally:
        engine.dispose()


def test_the_test_database_connections_are_configured_for_their_dialect(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() > 0
        else:
            assert engine.dialect.name == "postgresql"
            assert engine.dialect.driver == "psycopg"
            assert conn.execute(text("SELECT 1")).scalar() == 1


def test_a_user_of_a_department_that_does_not_exist_is_refused(db: Session) -> None:
    db.add(
        User(
            email="ghost@example.org",
            password_hash="x",
            role=Role.operator,
            department_id=987654,
            created_at=utcnow(),
        )
    )
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    assert db.exec(select(func.count()).select_from(User)).one() == 0


def test_migrations_produce_exactly_the_schema_of_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == []


def test_the_migrated_test_database_is_current(engine: Engine) -> None:
    assert pending_migrations(engine) is False
    check_schema(engine)  # does not raise
    assert set(SQLModel.metadata.tables) <= set(table_names(engine))


def test_upgrading_again_changes_nothing(engine: Engine) -> None:
    before = table_names(engine)
    upgrade(engine)
    assert table_names(engine) == before
    assert pending_migrations(engine) is False


def test_an_empty_database_must_be_upgraded_first(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(ConfigError) as caught:
            check_schema(engine)
        assert "`tracker db upgrade`" in str(caught.value)
        assert "\n" not in str(caught.value)
        upgrade(engine)
        check_schema(engine)  # now it passes
    finally:
        engine.dispose()


def test_migrations_can_be_undone_to_an_empty_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    try:
        upgrade(engine)
        upgrade_tables = table_names(engine)
        assert set(SQLModel.metadata.tables) <= set(upgrade_tables)
        command.downgrade(alembic_config(engine), "base")
        assert table_names(engine) == ["alembic_version"]
        upgrade(engine)
        assert table_names(engine) == upgrade_tables
    finally:
        engine.dispose()


def test_an_unreachable_postgresql_server_is_one_line_without_the_password() -> None:
    engine = make_engine("postgresql://nobody:hunter2@127.0.0.1:1/x", connect_args={"connect_timeout": 5})
    try:
        with pytest.raises(ConfigError) as caught:
            check_connection(engine)
    finally:
        engine.dispose()
    message = str(caught.value)
    assert message.startswith("cannot connect to the database")
    assert "127.0.0.1:1" in message
    assert "\n" not in message
    assert "hunter2" not in message


def test_a_sqlite_file_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    try:
        with pytest.raises(ConfigError) as caught:
            check_schema(engine)
    finally:
        engine.dispose()
    assert str(caught.value).startswith("cannot connect to the database")
    assert "\n" not in str(caught.value)


def test_session_scope_commits_on_success(engine: Engine) -> None:
    with session_scope(engine) as db:
        db.add(Department(code="kept", name="留下局"))
    with Session(engine) as db:
        assert db.exec(select(Department.code)).all() == ["kept"]


def test_session_scope_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as db:
        db.add(Department(code="gone", name="消失局"))
        db.flush()
        raise RuntimeError("boom")
    with Session(engine) as db:
        assert db.exec(select(Department.code)).all() == []
