"""The hash chain: appending entries in the writer's transaction, and checking the chain.

Each entry is one change as canonical JSON (sorted keys, no spaces, UTF-8, times in UTC ISO 8601),
numbered 1, 2, 3, … without gaps, and hashed with the hash of the entry before it:

    hash(n) = SHA-256("{n}\\n{hash(n-1)}\\n{body(n)}"),  hash(0) = 64 zeros

so altering, removing, renumbering or reordering any entry breaks the chain at that entry, and
the signed checkpoints (``tracker.audit.checkpoints``) pin the head so that even a rewrite of the
whole tail is noticed.

Appenders serialise on the one ``audit_head`` row: an UPDATE takes its row lock (PostgreSQL) or
the write lock (SQLite) until the writer's transaction ends. Append last in a transaction, after
its other writes, so the lock is held only for the commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from powerlists.messages import N_
from tracker.audit.models import AuditEntry, AuditHead
from tracker.bulk import insert_rows

GENESIS = "0" * 64
READ_CHUNK = 5_000

_entry: Table = AuditEntry.__table__  # type: ignore[attr-defined]
_head: Table = AuditHead.__table__  # type: ignore[attr-defined]


def utc_text(value: datetime) -> str:
    """How the log writes a moment: UTC, ISO 8601."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} given to the audit log")
    return value.astimezone(UTC).isoformat()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot record {type(value).__name__} in the audit log")


def canonical(value: Any) -> str:
    """The one JSON text of ``value``: what is hashed, and what anyone can recompute."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def entry_hash(seq: int, prev_hash: str, body: str) -> str:
    return hashlib.sha256(f"{seq}\n{prev_hash}\n{body}".encode()).hexdigest()


@dataclass(frozen=True)
class Change:
    """What to record: a kind (``case_events``, ``flags``, ``flag_action``, …), the recorded rows'
    key, and the record itself (any JSON-able value)."""

    kind: str
    ref: str
    record: Any


def append(db: Session, changes: Sequence[Change], *, at: datetime) -> list[tuple[int, str]]:
    """Append ``changes`` as the next entries, in the caller's transaction; returns (seq, hash) of each."""
    if not changes:
        return []
    n = len(changes)
    bump = (
        update(_head).where(_head.c.id == 1).values(seq=_head.c.seq + n).returning(_head.c.seq, _head.c.hash)
    )
    row = db.execute(bump).first()
    if row is None:  # the first entry ever (or after the tables were emptied): create the head once
        dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
        db.execute(dialect.insert(_head).values(id=1, seq=0, hash=GENESIS).on_conflict_do_nothing())
        row = db.execute(bump).one()
    last_seq, prev = int(row[0]) - n, str(row[1])
    rows, done = [], []
    for offset, change in enumerate(changes, start=1):
        seq, body = (
            last_seq + offset,
            canonical({"kind": change.kind, "ref": change.ref, "record": change.record}),
        )
        digest = entry_hash(seq, prev, body)
        rows.append(
            {
                "seq": seq,
                "kind": change.kind,
                "ref": change.ref,
                "at": at,
                "body": body,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        done.append((seq, digest))
        prev = digest
    insert_rows(db, _entry, rows)
    db.execute(update(_head).where(_head.c.id == 1).values(hash=prev))
    return done


def head(db: Session) -> tuple[int, str]:
    """The chain's length and last hash as the head row says (0 and 64 zeros for an empty log)."""
    row = db.execute(select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


@dataclass(frozen=True)
class Problem:
    """One break in the record, naming the entry (``seq``) where it shows."""

    seq: int
    code: str  # missing, relinked, altered, head, checkpoint
    message: str  # an English message id with %(name)s places
    args: dict[str, Any]

    def text(self, translate: Callable[[str], str]) -> str:
        return translate(self.message) % self.args

    def as_dict(self, translate: Callable[[str], str]) -> dict[str, Any]:
        return {"seq": self.seq, "code": self.code, "message": self.text(translate)}


@dataclass
class ChainReport:
    entries: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)
    # seq → the stored hash of each entry a checkpoint signed, for the checkpoints to compare with.
    hashes: dict[int, str] = field(default_factory=dict)


def _entries(db: Session) -> Iterator[Any]:
    after = -1
    while True:
        chunk = db.execute(
            select(
                _entry.c.seq, _entry.c.kind, _entry.c.ref, _entry.c.body, _entry.c.prev_hash, _entry.c.hash
            )
            .where(_entry.c.seq > after)
            .order_by(_entry.c.seq)
            .limit(READ_CHUNK)
        ).all()
        if not chunk:
            return
        yield from chunk
        after = chunk[-1].seq


def check_chain(db: Session, wanted: set[int] | None = None) -> ChainReport:
    """Walk the chain in order and report each entry where it breaks; keeps the stored hash of
    each ``wanted`` seq (for the checkpoints to compare with).

    One problem per broken entry: a gap before it (entries removed), a previous hash that is not
    the hash of the entry before it (entries removed, inserted, reordered, or the one before it
    altered and rehashed), or content that does not match its own hash (altered in place). The
    walk carries on from the stored hash, so one altered entry is reported once.
    """
    problems: list[Problem] = []
    hashes: dict[int, str] = {}
    report = ChainReport(problems=problems, hashes=hashes)
    expected_seq, prev = 1, GENESIS
    for row in _entries(db):
        report.entries += 1
        where = {"seq": row.seq, "kind": row.kind, "ref": row.ref, "before": row.seq - 1}
        if row.seq != expected_seq:
            gap = f"{expected_seq}" if row.seq == expected_seq + 1 else f"{expected_seq}–{row.seq - 1}"
            problems.append(
                Problem(
                    row.seq,
                    "missing",
                    N_("Entry %(gap)s is missing: the log goes from entry %(before)s to entry %(seq)s."),
                    {**where, "gap": gap, "before": expected_seq - 1},
                )
            )
        elif row.prev_hash != prev:
            problems.append(
                Problem(
                    row.seq,
                    "relinked",
                    N_(
                        "Entry %(seq)s (%(kind)s %(ref)s) does not follow entry %(before)s: entries were "
                        "reordered or inserted here, or entry %(before)s was altered and rehashed."
                    ),
                    where,
                )
            )
        elif row.hash != entry_hash(row.seq, row.prev_hash, row.body):
            problems.append(
                Problem(
                    row.seq,
                    "altered",
                    N_("Entry %(seq)s (%(kind)s %(ref)s) was altered: its content does not match its hash."),
                    where,
                )
            )
        if wanted is not None and row.seq in wanted:
            hashes[row.seq] = row.hash
        prev, expected_seq = row.hash, row.seq + 1
        report.last_seq, report.last_hash = row.seq, row.hash
    head_seq, head_hash = head(db)
    if head_seq > report.last_seq:
        problems.append(
            Problem(
                report.last_seq + 1,
                "missing",
                N_(
                    "The log ends at entry %(last)s but its head says %(head)s: "
                    "the last entries were removed."
                ),
                {"last": report.last_seq, "head": head_seq},
            )
        )
    elif (head_seq, head_hash) != (report.last_seq, report.last_hash):
        problems.append(
            Problem(
                report.last_seq,
                "head",
                N_("The head of the log does not match entry %(last)s, the last one."),
                {"last": report.last_seq},
            )
        )
    return report
