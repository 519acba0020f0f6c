"""Writing many rows at once, as fast as each database takes them.

On PostgreSQL, ``COPY … FROM STDIN`` through the session's own connection (inside its
transaction and savepoints): a multi-row INSERT of a few hundred rows costs psycopg more to
parse than the server takes to store it. New ids come from the table's sequence first, so
the caller knows them without RETURNING. Elsewhere (SQLite), Core ``executemany`` and
``INSERT … RETURNING``, which are already close to the engine's own speed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Table, any_, bindparam, insert, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session


def _is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def one_of(db: Session, column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL as ``= ANY(array)``, one parameter: psycopg parses a long
    IN list's placeholders one by one, which cost more than the query itself."""
    if db.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


def insert_rows(db: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, Python values as for Core) into ``table``."""
    if not rows:
        return
    conn = db.connection()
    if not _is_postgresql(conn):
        conn.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    # The column types' own bind processing (UTC timestamps, JSON text), as Core would apply it.
    processors = [table.c[name].type.bind_processor(conn.dialect) for name in names]
    quote = conn.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    raw: Any = conn.connection.driver_connection
    dbapi: Any = conn.dialect.loaded_dbapi
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        process(row[name]) if process is not None else row[name]
                        for name, process in zip(names, processors, strict=True)
                    ]
                )
    except dbapi.Error as exc:
        # As SQLAlchemy would have raised it (IntegrityError for a duplicate key, ...), so that
        # callers catch the same exceptions on every database.
        raise DBAPIError.instance(statement, None, exc, dbapi.Error) from exc


def insert_returning_ids(
    db: Session, table: Table, rows: Sequence[dict[str, Any]], key: str
) -> dict[Any, int]:
    """Insert ``rows`` into ``table`` (whose key is an integer ``id``); their new ids by ``row[key]``
    (a column unique among the rows)."""
    if not rows:
        return {}
    conn = db.connection()
    if not _is_postgresql(conn):
        # Keyed, not positional: asking SQLAlchemy to keep the rows' order costs one INSERT per row.
        result = conn.execute(insert(table).returning(table.c.id, table.c[key]), list(rows))
        return {row_key: row_id for row_id, row_key in result}
    ids = [
        row_id
        for (row_id,) in conn.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": len(rows)},
        )
    ]
    insert_rows(db, table, [{"id": row_id, **row} for row_id, row in zip(ids, rows, strict=True)])
    return {row[key]: row_id for row_id, row in zip(ids, rows, strict=True)}


def update_rows(db: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Set, for each row, the given columns of the row whose ``id`` is ``row["id"]`` (every row names
    the same columns)."""
    if rows:
        names = [name for name in rows[0] if name != "id"]
        statement = update(table).where(table.c.id == bindparam("_id"))
        db.connection().execute(
            statement.values({n: bindparam(f"_{n}") for n in names}),
            [{f"_{n}": value for n, value in row.items()} for row in rows],
        )
