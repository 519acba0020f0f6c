"""Fixed-window rate limits kept in the database, so that they hold across web worker processes.

Litestar's own rate-limit store lives in each process's memory: with N workers a client
gets N times the limit. Here every hit is one atomic upsert on a shared row per
(bucket, window), so all workers count against the same number.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, PrimaryKeyConstraint, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Column, Field, SQLModel

from powerlists.columns import UTCDateTime
from tracker.db import WRITE_LOCK

BUCKET_MAX = 200
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Throttle(SQLModel, table=True):
    """How many hits one bucket (a form and a client) made in the window starting at ``window_start``."""

    __tablename__ = "throttle"
    # The window first: the daily prune deletes a range of windows through the key's own index,
    # while the upsert's conflict target needs only the pair, in either order.
    __table_args__ = (PrimaryKeyConstraint("window_start", "bucket"),)

    bucket: str = Field(primary_key=True, max_length=BUCKET_MAX)
    window_start: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    hits: int = 0


_table = Throttle.__table__  # type: ignore[attr-defined]


def window_start(now: datetime, window: timedelta) -> datetime:
    """``now`` floored to the window, counted from the Unix epoch in UTC (a day starts at 00:00 UTC)."""
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now.isoformat()} given for a rate-limit window")
    if window <= timedelta(0):
        raise ValueError(f"a rate-limit window must be positive, not {window}")
    return _EPOCH + (now.astimezone(UTC) - _EPOCH) // window * window


def allow(engine: Engine, bucket: str, *, limit: int, window: timedelta, now: datetime) -> bool:
    """Count one hit of ``bucket`` in the window holding ``now``; False when it goes over ``limit``.

    The hit is committed at once in a transaction of its own, so a request that fails
    afterwards still pays for its attempt. Call it before the request's own session
    writes: on SQLite this transaction waits for the database's single write lock, and
    would wait out the busy timeout behind a session of the same request that holds it.
    """
    if len(bucket) > BUCKET_MAX:
        raise ValueError(f"rate-limit bucket longer than {BUCKET_MAX} characters: {bucket[:40]!r}...")
    name = engine.dialect.name
    if name not in {"postgresql", "sqlite"}:  # pragma: no cover - make_engine accepts no other database
        raise RuntimeError(f"rate limits need SQLite or PostgreSQL, not {name}")
    dialect = postgresql if name == "postgresql" else sqlite
    # One statement does the read and the write, so two concurrent hits can never both read n and write n+1.
    statement = (
        dialect.insert(_table)
        .values(bucket=bucket, window_start=window_start(now, window), hits=1)
        .on_conflict_do_update(index_elements=["bucket", "window_start"], set_={"hits": _table.c.hits + 1})
        .returning(_table.c.hits)
    )
    # Holding the write lock from BEGIN makes SQLite writers queue (busy timeout) instead of failing.
    with engine.connect() as conn, conn.execution_options(**{WRITE_LOCK: True}).begin():
        hits = conn.execute(statement).scalar_one()
    return int(hits) <= limit


def prune(engine: Engine, *, before: datetime) -> int:
    """Delete the windows that started before ``before``; how many were deleted."""
    with engine.connect() as conn, conn.execution_options(**{WRITE_LOCK: True}).begin():
        return int(conn.execute(delete(_table).where(_table.c.window_start < before)).rowcount)


def client_bucket(prefix: str, client_ip: str) -> str:
    """The bucket of one client of one form: its IPv4 address, or the /64 its IPv6 address lies in.

    An IPv6 client is usually handed a whole /64 and can pick any address in it, so a
    per-address limit would be no limit. An IPv4 client seen through an IPv6 socket
    (``::ffff:a.b.c.d``) is keyed by its IPv4 address: as a /64 it would share one bucket
    with every other IPv4 client. Anything that is not an address (a test client's name)
    is kept as given.
    """
    try:
        address = ipaddress.ip_address(client_ip.strip())
    except ValueError:
        return f"{prefix}:{client_ip}"[:BUCKET_MAX]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"{prefix}:{address.ipv4_mapped}"
        # Through the integer, so that a zone ("fe80::1%eth0") is dropped with the host bits.
        network = ipaddress.IPv6Network((int(address) >> 64 << 64, 64))
        return f"{prefix}:{network}"
    return f"{prefix}:{address}"
