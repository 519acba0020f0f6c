"""The audit log's tables: the entries (a hash chain), its head, and the signed checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Text
from sqlmodel import Column, Field, SQLModel

from powerlists.columns import UTCDateTime


class AuditEntry(SQLModel, table=True):
    """One change, as canonical JSON, chained to the entry before it; never updated or deleted.

    ``hash`` = SHA-256 of ``"{seq}\\n{prev_hash}\\n{body}"``: renumbering, editing, removing or
    reordering an entry breaks the chain at that entry.
    """

    __tablename__ = "audit_entry"

    # Assigned by the appender, 1, 2, 3, … without gaps (not a sequence: sequences skip on rollback).
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=32, description="case_event, flag, flag_action, power_list, export, …")
    ref: str = Field(max_length=64, description="The recorded row's key, e.g. the case_event id.")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    body: str = Field(sa_type=Text, description="Canonical JSON of what was recorded.")
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The chain's last entry, in one row: appenders lock it, so entries are numbered in commit order."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    hash: str = Field(max_length=64)


class AuditCheckpoint(SQLModel, table=True):
    """The chain head at a moment, signed with the site's Ed25519 key (published at /transparency/key)."""

    __tablename__ = "audit_checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    hash: str = Field(max_length=64)
    signed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    key_id: str = Field(max_length=64, description="SHA-256 of the raw public key, hex.")
    signature: str = Field(max_length=128, description="Ed25519 signature, base64.")


class PublishedExport(SQLModel, table=True):
    """A public download made once, recorded in the log with a checkpoint at its entry, and served
    byte for byte from then on (from ``TRACKER_DATA_DIR/published/``), with its proof."""

    __tablename__ = "published_export"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True, description="e.g. powerlist/A001/v3/zh-CN.xlsx")
    media_type: str = Field(max_length=100)
    sha256: str = Field(max_length=64)
    size: int
    entry_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    proof: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
