"""Files a department attaches to a reply or a rectification report.

The type is judged from the content, never from the name: a PDF, a JPEG, a PNG, or an xlsx
workbook that passes the power-list import's zip checks. Anything else is refused with a message
naming the file and what it turned out to be. Files are kept under
``TRACKER_DATA_DIR/attachments/<key[:2]>/<key>`` with a random key (mode 0600, outside the web
root); the uploaded name is only shown, never used as a path.

A file is written before the transaction that records it commits, so a transaction that does not
commit removes the files it wrote (see ``_remove_uncommitted``): no row ever names a missing file,
and a refused request leaves nothing on disk.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import secrets
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from powerlists.messages import N_
from powerlists.zipcheck import ZIP_MAGIC, WorkbookRefused, ZipLimits, check_xlsx, size_text
from tracker.accounts.models import User
from tracker.audit.chain import Change, append
from tracker.flags.models import Attachment, FlagAction

MAX_FILES = 5  # per reply or report: evidence, not an archive
ATTACHABLE_ACTIONS = frozenset({"reply", "report_rectification"})
MAX_NAME = 255  # Attachment.original_name
_CHUNK = 1 << 20
_HEAD = 512  # bytes read to tell what a file is


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str


PDF = FileType("application/pdf", "pdf")
JPEG = FileType("image/jpeg", "jpg")
PNG = FileType("image/png", "png")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
TYPES = {t.content_type: t for t in (PDF, JPEG, PNG, XLSX)}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# What a refused file is, told from its first bytes, so the message says more than "not allowed".
_KNOWN: tuple[tuple[bytes, str], ...] = (
    (b"MZ", N_("a Windows program")),
    (b"\x7fELF", N_("a Linux program")),
    (b"\xcf\xfa\xed\xfe", N_("a macOS program")),
    (b"\xce\xfa\xed\xfe", N_("a macOS program")),
    (b"\xca\xfe\xba\xbe", N_("a macOS program")),
    (b"#!", N_("a script")),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", N_("an old Office file (.doc, .xls) or a password-protected file")),
    (b"GIF8", N_("a GIF image")),
    (b"Rar!", N_("a RAR archive")),
    (b"7z\xbc\xaf\x27\x1c", N_("a 7-Zip archive")),
    (b"\x1f\x8b", N_("a gzip archive")),
)


@dataclass(frozen=True)
class Phrase:
    """An English message id with its arguments; an argument may itself be a Phrase."""

    message: str
    args: dict[str, object] = field(default_factory=dict)

    def text(self, gettext: Callable[..., str]) -> str:
        values = {k: v.text(gettext) if isinstance(v, Phrase) else v for k, v in self.args.items()}
        return gettext(self.message, **values)


def _english(message: str, **values: object) -> str:
    return message % values if values else message


class AttachmentRefused(Exception):
    """Files that are not stored at all; ``phrase.text(gettext)`` is the message to show."""

    def __init__(self, message: str, **args: object) -> None:
        self.phrase = Phrase(message, args)
        super().__init__(self.phrase.text(_english))


@dataclass(frozen=True)
class Upload:
    """A file as the client sent it: a name to show and its bytes."""

    name: str
    stream: IO[bytes]


def display_name(raw: str) -> str:
    """The uploaded name without folders or control characters: shown to people, never a path."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in {"", ".", ".."}:
        return "attachment"
    return name[:MAX_NAME]


def storage_root(data_dir: Path) -> Path:
    return data_dir / "attachments"


class _Keyed(Protocol):
    storage_key: str


def stored_path(data_dir: Path, attachment: _Keyed) -> Path:
    key = attachment.storage_key
    return storage_root(data_dir) / key[:2] / key


def download_name(flag_id: int, attachment: Attachment) -> str:
    """The server-chosen name a download is saved under."""
    return f"flag-{flag_id}-attachment-{attachment.id}.{TYPES[attachment.content_type].extension}"


@dataclass(frozen=True)
class StoredFile:
    """A checked file, written under its random key: what a row about it records."""

    name: str  # the uploaded name, cleaned for display
    content_type: str
    size: int
    sha256: str
    key: str

    def columns(self) -> dict[str, Any]:
        """The columns every table of stored files has (``Attachment``, ``ComplaintFile``)."""
        return {
            "original_name": self.name,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "storage_key": self.key,
        }


def store_uploads(
    db: Session, uploads: Sequence[Upload], *, data_dir: Path, max_bytes: int, max_files: int = MAX_FILES
) -> list[StoredFile]:
    """Check and store ``uploads``, all or nothing: the first refused file raises AttachmentRefused
    and removes every file written so far; so does a later rollback of ``db``'s transaction."""
    if len(uploads) > max_files:
        raise AttachmentRefused(
            N_("Attach at most %(max)d files; %(count)d were sent."), max=max_files, count=len(uploads)
        )
    written: list[Path] = []
    stored: list[StoredFile] = []
    try:
        for upload in uploads:
            stored.append(
                _store(upload.stream, display_name(upload.name), storage_root(data_dir), max_bytes, written)
            )
    except BaseException:
        _unlink(written)
        raise
    _remove_unless_committed(db, written)
    return stored


def store_for(
    action: str, db: Session, uploads: Sequence[Upload], *, data_dir: Path, max_bytes: int
) -> list[StoredFile]:
    """Check and store the files sent with ``action`` before the action is recorded: writing them
    then never holds the audit log's head, which the action's entry takes until the commit."""
    if not uploads:
        return []
    if action not in ATTACHABLE_ACTIONS:
        raise AttachmentRefused(N_("Files can be attached only to a reply or a rectification report."))
    return store_uploads(db, uploads, data_dir=data_dir, max_bytes=max_bytes)


def record_files(
    db: Session, record: FlagAction, stored: Sequence[StoredFile], *, user: User, now: datetime
) -> list[Attachment]:
    """The rows and the audit entry of files stored for ``record``; the caller commits."""
    if not stored:
        return []
    rows = [
        Attachment(
            action_id=record.id,  # type: ignore[arg-type]
            uploaded_by=user.id,  # type: ignore[arg-type]
            created_at=now,
            **f.columns(),
        )
        for f in stored
    ]
    db.add_all(rows)
    db.flush()
    append(
        db,
        [Change("attachments", str(record.id), {"action_id": record.id, "files": described(rows)})],
        at=now,
    )
    return rows


class _FileRow(Protocol):
    id: int | None
    original_name: str
    content_type: str
    size: int
    sha256: str


def described(rows: Iterable[_FileRow]) -> list[dict[str, object]]:
    """The files as the audit log records them."""
    return [
        {"id": a.id, "name": a.original_name, "type": a.content_type, "size": a.size, "sha256": a.sha256}
        for a in rows
    ]


def _store(stream: IO[bytes], name: str, root: Path, max_bytes: int, written: list[Path]) -> StoredFile:
    key = secrets.token_hex(16)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory = root / key[:2]
    directory.mkdir(mode=0o700, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=directory, prefix=".incoming-")  # mode 0600
    temp = Path(temp_name)
    written.append(temp)
    digest = hashlib.sha256()
    size = 0
    with os.fdopen(fd, "wb") as out:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise AttachmentRefused(
                    N_("%(name)s is larger than %(limit)s, the largest file accepted."),
                    name=name,
                    limit=size_text(max_bytes),
                )
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if size == 0:
        raise AttachmentRefused(N_("%(name)s is empty."), name=name)
    kind = detect(temp, name, max_bytes)
    final = directory / key
    # Only a complete, checked file ever bears the key a row points at.
    os.replace(temp, final)
    written[-1] = final
    return StoredFile(name, kind.content_type, size, digest.hexdigest(), key)


def detect(path: Path, name: str, max_bytes: int) -> FileType:
    """The file's type from its content; AttachmentRefused naming ``name`` for any other kind."""
    with path.open("rb") as stream:
        head = stream.read(_HEAD)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(_PNG_SIGNATURE):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(ZIP_MAGIC):
        try:
            check_xlsx(path, ZipLimits(max_file_bytes=max_bytes))
        except WorkbookRefused as exc:
            raise AttachmentRefused(
                N_("%(name)s was refused: %(reason)s"), name=name, reason=Phrase(exc.message, exc.args_)
            ) from None
        return XLSX
    raise AttachmentRefused(
        N_("%(name)s was refused: it is %(what)s. Attach PDF, JPEG, PNG or XLSX files only."),
        name=name,
        what=Phrase(describe(head)),
    )


def describe(head: bytes) -> str:
    """What a file that is none of the accepted types is, as an English message id."""
    for magic, what in _KNOWN:
        if head.startswith(magic):
            return what
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return N_("an SVG image")
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return N_("a web page (HTML)")
    if text.startswith(b"<?xml"):
        return N_("an XML document")
    if b"\x00" not in head and _decodes(head):
        return N_("a text file (such as a script or CSV)")
    return N_("a file of an unknown kind")


def _decodes(head: bytes) -> bool:
    try:
        # Not final: the cut at _HEAD bytes may split the last character.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def attachments_of(db: Session, action_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """Each action's attachments, in the order they were sent."""
    ids = list(action_ids)
    found: dict[int, list[Attachment]] = {}
    if not ids:
        return found
    stmt = select(Attachment).where(col(Attachment.action_id).in_(ids)).order_by(col(Attachment.id))
    for attachment in db.exec(stmt):
        found.setdefault(attachment.action_id, []).append(attachment)
    return found


def find(db: Session, flag_id: int, attachment_id: int) -> Attachment | None:
    """The attachment, only if it belongs to an action on this flag."""
    stmt = (
        select(Attachment)
        .join(FlagAction, col(FlagAction.id) == Attachment.action_id)
        .where(Attachment.id == attachment_id, FlagAction.flag_id == flag_id)
    )
    return db.exec(stmt).first()


# Files written in a session's current transaction, removed unless it commits.
_UNCOMMITTED = "tracker.attachments.uncommitted"


def _unlink(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _remove_unless_committed(db: Session, paths: list[Path]) -> None:
    db.info.setdefault(_UNCOMMITTED, []).extend(paths)


@event.listens_for(OrmSession, "after_commit")
def _keep_committed(session: OrmSession) -> None:
    session.info.pop(_UNCOMMITTED, None)


@event.listens_for(OrmSession, "after_transaction_end")
def _remove_uncommitted(session: OrmSession, transaction: SessionTransaction) -> None:
    # after_commit runs first for a commit; only a rollback (or a close without commit) of the
    # outermost transaction finds files still listed.
    if transaction.parent is None:
        _unlink(session.info.pop(_UNCOMMITTED, ()))
