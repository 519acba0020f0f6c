"""Writing many rows at once, as fast as each database takes them.

On PostgreSQL, ``COPY … FROM STDIN`` through the session's own connection (inside its
transaction and savepoints): a multi-row INSERT of a few hundred rows costs psycopg more to
parse than the server takes to store it. New ids come from the table's sequence first, so
the caller knows them without RETURNING. On SQLite, ``executemany`` of plain tuples and
``INSERT … RETURNING``: Core's own ``executemany`` spends more per row building parameters than
SQLite takes to store the row. Either way the rows are bound first (``bind``: the column types'
processing, as Core would apply it), which a caller may do in another process.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Table,
    any_,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from tracker.db import begin_writing


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
    if not _is_postgresql(conn) and any(c.default is not None and c.name not in rows[0] for c in table.c):
        conn.execute(insert(table), list(rows))  # Core fills in the column defaults the rows leave out
        return
    insert_bound(db, table, bind(conn.dialect, table, rows))


@dataclass(frozen=True)
class Bound:
    """Rows of one table as the driver takes them (see ``bind``); plain values, cheap to pickle."""

    names: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def bind(dialect: Dialect, table: Table, rows: Sequence[dict[str, Any]]) -> Bound:
    """``rows`` (dicts with the same keys, naming every column that has a default) with each column
    type's bind processing applied, as Core would apply it: on SQLite the dialect's own (timestamps
    as text, JSON as text); on PostgreSQL the type's generic one, as COPY's text format takes it
    (psycopg's own wraps JSON for parameters).

    Column by column, and values that are equal in Python are bound alike, so that each distinct
    one is processed once: a million timestamps hold a few hundred thousand distinct ones, and
    processing one costs thirty lookups."""
    if not rows:
        return Bound((), [])
    names = tuple(rows[0])
    columns = []
    for name in names:
        column_type = table.c[name].type
        if dialect.name != "postgresql":
            column_type = column_type.dialect_impl(dialect)
        columns.append(_processed(column_type.bind_processor(dialect), [row[name] for row in rows]))
    return Bound(names, list(zip(*columns, strict=True)))


def _processed(process: Callable[[Any], Any] | None, values: list[Any]) -> list[Any]:
    if process is None:
        return values
    try:
        done = {value: process(value) for value in set(values)}
    except TypeError:
        # JSON documents: each object once, as rows often share one (all are alive, so ids are theirs).
        objects = {id(value): value for value in values}
        by_id = {key: process(value) for key, value in objects.items()}
        return [by_id[id(value)] for value in values]
    return [done[value] for value in values]


def insert_bound(db: Session, table: Table, bound: Bound) -> None:
    """Insert rows ``bind`` made for the session's database."""
    if not bound.rows:
        return
    conn = db.connection()
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(n) for n in bound.names)
    if not _is_postgresql(conn):
        conn.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({', '.join('?' for _ in bound.names)})",  # noqa: S608 - the table's own names
            bound.rows,
        )
        return
    statement = f"COPY {quote(table.name)} ({columns}) FROM STDIN"
    raw: Any = conn.connection.driver_connection
    dbapi: Any = conn.dialect.loaded_dbapi
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in bound.rows:
                copy.write_row(row)
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
    ids = allocate_ids(db, table, len(rows))
    insert_rows(db, table, [{"id": row_id, **row} for row_id, row in zip(ids, rows, strict=True)])
    return {row[key]: row_id for row_id, row in zip(ids, rows, strict=True)}


def allocate_ids(db: Session, table: Table, n: int) -> list[int]:
    """``n`` new ids of ``table`` (whose key is an integer ``id``), for rows the caller inserts itself.

    On PostgreSQL from the table's sequence; on SQLite the ids after the largest one, read in a
    transaction that holds the write lock (begun here when none has begun), so that no other writer
    takes them meanwhile."""
    if db.get_bind().dialect.name == "postgresql":
        return [
            row_id
            for (row_id,) in db.connection().execute(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": table.name, "n": n},
            )
        ]
    begin_writing(db)
    largest = db.connection().execute(select(func.max(table.c.id))).scalar_one_or_none() or 0
    return list(range(largest + 1, largest + 1 + n))


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
