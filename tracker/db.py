"""The database: URL checks, engines for SQLite and PostgreSQL, sessions, migrations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

from tracker.settings import ConfigError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def import_models() -> None:
    """Import every table module so that ``SQLModel.metadata`` knows all tables."""
    import powerlists.models  # noqa: F401
    import tracker.accounts.models
    import tracker.audit.models
    import tracker.calendar_store
    import tracker.cases.models
    import tracker.complaints.models
    import tracker.flags.models
    import tracker.leases
    import tracker.notify.models
    import tracker.ratings.models
    import tracker.scorecards.models
    import tracker.thresholds
    import tracker.throttle  # noqa: F401


def _mask_password(raw: str) -> str:
    """The URL as typed, with its user-info (which may hold a password) hidden."""
    return re.sub(r"[^/@]*@", "***@", raw)


def parse_database_url(raw: str) -> URL:
    """The URL with its driver chosen (psycopg 3 for PostgreSQL), or ConfigError in one line."""
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ConfigError(
            f"TRACKER_DATABASE_URL: cannot parse {_mask_password(raw)!r} "
            "(expected sqlite:///path.db or postgresql://user@host:5432/name)"
        ) from None
    backend = url.get_backend_name()
    if backend in {"postgresql", "postgres"}:
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise ConfigError("TRACKER_DATABASE_URL: use a SQLite file (sqlite:///path.db), not memory")
        return url.set(drivername="sqlite")
    raise ConfigError(f"TRACKER_DATABASE_URL: unsupported database {backend!r} (use sqlite or postgresql)")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINTs (used to reject one event of a batch
    # and keep the others): turn it off and let SQLAlchemy emit BEGIN itself (_sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer writes; the busy timeout makes a
    # second writer wait instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


WRITE_LOCK = "tracker_write_lock"


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_LOCK) else "BEGIN")


def end_reading(db: Session) -> None:
    """Commit the reads so far, before a write that depends on them.

    On SQLite a transaction that read and then writes fails at once (SQLITE_BUSY_SNAPSHOT) when
    another writer committed in between; a write that starts its own transaction waits for the
    lock instead. Only for writes that stay right when the read is slightly stale (touching a
    last-used time, deleting what had already ended).
    """
    db.commit()


def begin_writing(db: Session) -> None:
    """Begin ``db``'s transaction holding the database's write lock, when it has not begun yet.

    SQLite lets a transaction read and then fail at its first write when another writer committed
    in between (SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out); taking the lock first
    makes concurrent writers queue instead. PostgreSQL needs nothing: its writers conflict on the
    rows themselves.
    """
    if not db.in_transaction():
        db.connection(execution_options={WRITE_LOCK: True})


def make_engine(raw_url: str, **kwargs: Any) -> Engine:
    url = parse_database_url(raw_url)
    try:
        if url.get_backend_name() == "sqlite":
            engine = create_engine(url, **kwargs)
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return create_engine(url, pool_pre_ping=True, **kwargs)
    except NoSuchModuleError as exc:  # pragma: no cover - a broken install
        raise ConfigError(f"TRACKER_DATABASE_URL: {exc}") from None


def describe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def check_connection(engine: Engine) -> None:
    """Connect once, so a wrong URL is one clear line at start-up instead of a 500 later."""
    try:
        with engine.connect():
            pass
    except (OperationalError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"cannot connect to the database {describe(engine)}: {reason}") from None


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def pending_migrations(engine: Engine) -> bool:
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current != set(script.get_heads())


def check_schema(engine: Engine) -> None:
    """Refuse to serve a database that is not migrated to the code's schema."""
    check_connection(engine)
    if pending_migrations(engine):
        raise ConfigError(f"the database {describe(engine)} is not up to date: run `tracker db upgrade`")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction outside a request (CLI, scheduler): commit on success, roll back on error."""
    with session_factory(engine)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


__all__ = ["SQLModel", "check_schema", "make_engine", "session_scope", "upgrade"]
