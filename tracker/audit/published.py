"""Published exports: made once, recorded in the audit log with a checkpoint, then served as stored.

A file generated afresh on every download could differ from the one a reader checked (workbooks
carry their creation time), so the first download of a name publishes it and every later one
gets the same bytes and the same proof.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tracker.audit import checkpoints, keys
from tracker.audit.models import PublishedExport
from tracker.db import begin_writing
from tracker.settings import Settings


def stored_path(data_dir: Path, sha256: str) -> Path:
    return data_dir / "published" / sha256[:2] / sha256


def find(db: Session, name: str) -> PublishedExport | None:
    return db.exec(select(PublishedExport).where(PublishedExport.name == name)).first()


def _store(data_dir: Path, content: bytes) -> str:
    """Keep ``content`` by its SHA-256 (the same bytes twice are one file)."""
    digest = hashlib.sha256(content).hexdigest()
    path = stored_path(data_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    return digest


def publish_once(
    db: Session,
    settings: Settings,
    name: str,
    media_type: str,
    make: Callable[[], bytes],
    now: datetime,
) -> tuple[PublishedExport, bytes]:
    """The export called ``name``: the stored one, or ``make()`` published now (and committed)."""
    found = find(db, name)
    if found is None:
        db.rollback()  # end the read: publishing writes, and SQLite must take its lock first
        begin_writing(db)
        found = find(db, name)
    if found is not None:
        return found, stored_path(settings.data_dir, found.sha256).read_bytes()
    content = make()
    digest = _store(settings.data_dir, content)
    proof = checkpoints.publish(
        db, keys.signing_key(settings.audit_key_file), name, content, now, media_type=media_type
    )
    export = PublishedExport(
        name=name,
        media_type=media_type,
        sha256=digest,
        size=len(content),
        entry_seq=proof["entry"]["seq"],
        proof=proof,
        created_at=now,
    )
    db.add(export)
    try:
        db.commit()
    except IntegrityError:  # published by a concurrent request meanwhile: serve that one
        db.rollback()
        found = find(db, name)
        assert found is not None
        return found, stored_path(settings.data_dir, found.sha256).read_bytes()
    return export, content
