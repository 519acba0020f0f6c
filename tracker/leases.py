"""Named leases: one holder at a time across processes, on SQLite and PostgreSQL alike.

The scheduler holds a lease per job so that two scheduler processes (or a web
worker started with the in-process scheduler by mistake) never run one job twice
at once. A lease expires, so a crashed holder cannot block the job for ever.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Column, Field, SQLModel

from powerlists.columns import UTCDateTime


class Lease(SQLModel, table=True):
    name: str = Field(primary_key=True, max_length=100)
    holder: str = Field(max_length=100)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def acquire(engine: Engine, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take the lease if it is free, expired or already ours; True when we hold it."""
    table = Lease.__table__  # type: ignore[attr-defined]
    until = now + ttl
    with engine.begin() as conn:
        taken = conn.execute(
            update(table)
            .where(table.c.name == name)
            .where((table.c.expires_at <= now) | (table.c.holder == holder))
            .values(holder=holder, expires_at=until)
        ).rowcount
        if taken:
            return True
    try:
        with engine.begin() as conn:
            conn.execute(insert(table).values(name=name, holder=holder, expires_at=until))
        return True
    except IntegrityError:
        return False  # someone else holds it


def release(engine: Engine, name: str, holder: str) -> None:
    table = Lease.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(delete(table).where(table.c.name == name).where(table.c.holder == holder))
