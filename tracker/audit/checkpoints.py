"""Signed checkpoints of the chain head, the whole verification, and proofs for published exports.

A checkpoint signs this text (UTF-8) with the site's Ed25519 key:

    power-list-tracker checkpoint v1
    {seq}
    {hash}
    {signed_at, UTC ISO 8601}

Anyone holding the public key (``/transparency/key``) can check a checkpoint, and with it that the
log's first ``seq`` entries are the ones that were there when it was signed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlmodel import Session, col, select

from powerlists.messages import N_
from tracker.audit import keys
from tracker.audit.chain import ChainReport, Change, Problem, append, check_chain, head
from tracker.audit.models import AuditCheckpoint, AuditEntry
from tracker.db import begin_writing

HEADER = "power-list-tracker checkpoint v1"


def message(seq: int, hash_: str, signed_at: datetime) -> bytes:
    return f"{HEADER}\n{seq}\n{hash_}\n{signed_at.astimezone(UTC).isoformat()}".encode()


def _sign(db: Session, key: Ed25519PrivateKey, seq: int, hash_: str, now: datetime) -> AuditCheckpoint:
    checkpoint = AuditCheckpoint(
        seq=seq,
        hash=hash_,
        signed_at=now,
        key_id=keys.key_id(key.public_key()),
        signature=keys.sign(key, message(seq, hash_, now)),
    )
    db.add(checkpoint)
    db.flush()
    return checkpoint


def latest(db: Session) -> AuditCheckpoint | None:
    return db.exec(select(AuditCheckpoint).order_by(col(AuditCheckpoint.id).desc()).limit(1)).first()


def checkpoint(db: Session, key: Ed25519PrivateKey, now: datetime) -> AuditCheckpoint | None:
    """Sign the head unless the latest checkpoint already covers it (then None): the hourly job."""
    begin_writing(db)  # it reads the head, then writes: SQLite must not let another writer in between
    seq, hash_ = head(db)
    last = latest(db)
    if seq == 0 or (last is not None and last.seq == seq and last.hash == hash_):
        return None
    return _sign(db, key, seq, hash_, now)


def publish(
    db: Session, key: Ed25519PrivateKey, name: str, content: bytes, now: datetime, **about: Any
) -> dict[str, Any]:
    """Record a published export (its SHA-256) and sign a checkpoint at that entry; returns the
    proof that travels with the file (``FILE.proof.json``), checkable offline with the public key."""
    record = {"name": name, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content), **about}
    [(seq, hash_)] = append(db, [Change("export", name, record)], at=now)
    entry = db.get(AuditEntry, seq)
    assert entry is not None
    signed = _sign(db, key, seq, hash_, now)
    return {
        "entry": {"seq": seq, "prev_hash": entry.prev_hash, "body": entry.body, "hash": hash_},
        "checkpoint": {
            "seq": signed.seq,
            "hash": signed.hash,
            "signed_at": signed.signed_at.astimezone(UTC).isoformat(),
            "key_id": signed.key_id,
            "signature": signed.signature,
        },
    }


@dataclass
class Verification:
    chain: ChainReport
    checkpoints: int = 0
    latest: AuditCheckpoint | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self, translate: Any) -> dict[str, Any]:
        last = self.latest
        return {
            "ok": self.ok,
            "entries": self.chain.entries,
            "head": {"seq": self.chain.last_seq, "hash": self.chain.last_hash},
            "checkpoints": self.checkpoints,
            "latest_checkpoint": None
            if last is None
            else {
                "id": last.id,
                "seq": last.seq,
                "hash": last.hash,
                "signed_at": last.signed_at.astimezone(UTC).isoformat(),
                "key_id": last.key_id,
                "signature": last.signature,
            },
            "problems": [p.as_dict(translate) for p in self.problems],
        }


def verify(db: Session, public: Ed25519PublicKey) -> Verification:
    """Check the chain, then every checkpoint against the key and the chain; every break, by entry."""
    signed = list(db.exec(select(AuditCheckpoint).order_by(col(AuditCheckpoint.id))))
    chain = check_chain(db, wanted={c.seq for c in signed})
    result = Verification(chain=chain, checkpoints=len(signed), latest=signed[-1] if signed else None)
    result.problems.extend(chain.problems)
    our_key = keys.key_id(public)
    for c in signed:
        where = {"id": c.id, "seq": c.seq}
        if c.key_id != our_key or not keys.verifies(public, message(c.seq, c.hash, c.signed_at), c.signature):
            result.problems.append(
                Problem(
                    c.seq,
                    "checkpoint",
                    N_(
                        "Checkpoint %(id)s (entry %(seq)s) does not verify with the published key: "
                        "the checkpoint was altered or signed with another key."
                    ),
                    where,
                )
            )
        elif c.seq not in chain.hashes:
            result.problems.append(
                Problem(
                    c.seq,
                    "checkpoint",
                    N_("Entry %(seq)s, signed at checkpoint %(id)s, is missing from the log."),
                    where,
                )
            )
        elif chain.hashes[c.seq] != c.hash:
            result.problems.append(
                Problem(
                    c.seq,
                    "checkpoint",
                    N_(
                        "Entry %(seq)s is not the entry signed at checkpoint %(id)s: the log was rewritten "
                        "at or before entry %(seq)s."
                    ),
                    where,
                )
            )
    result.problems.sort(key=lambda p: p.seq)
    return result
