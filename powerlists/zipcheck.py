"""Checks on an uploaded workbook before openpyxl touches it.

An xlsx file is a zip archive. openpyxl has no defence against decompression
bombs (a 200 KB upload can inflate to gigabytes and keep it busy for minutes),
so the archive is judged here from its central directory alone: declared sizes,
entry count and compression ratios are read, nothing is decompressed. zipfile
never hands out more than an entry's declared size, so the declared figures are
a real bound on what openpyxl will later inflate.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from powerlists.messages import N_

MiB = 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
CONTENT_TYPES = "[Content_Types].xml"
WORKBOOK_PART = "xl/workbook.xml"
MACROS_PART = "xl/vbaproject.bin"  # compared lower-cased: OOXML part names ignore case
EXTERNAL_LINKS = "xl/externallinks/"

# End of central directory records (APPNOTE 4.3.14-16), read to count entries
# before zipfile builds one object per entry: 20 MiB of bare entries is ~450,000.
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20
_ZIP64_EOCD = b"PK\x06\x06"
_ZIP64_EOCD_SIZE = 56


class WorkbookRefused(Exception):
    """A file that is not imported at all, with one message a clerk can act on.

    ``message`` is an English message id (translate it, then apply ``args_``);
    ``str()`` gives the English text.
    """

    def __init__(self, message: str, **args: object) -> None:
        self.message = message
        self.args_: dict[str, object] = args
        super().__init__(message % args)


@dataclass(frozen=True)
class ZipLimits:
    max_file_bytes: int = 20 * MiB
    max_entries: int = 2_000
    max_entry_bytes: int = 200 * MiB
    max_total_bytes: int = 500 * MiB
    # Declared uncompressed / compressed size of one entry, judged from RATIO_FROM_BYTES on.
    max_ratio: int = 200


# Sheet XML compresses 10-30x and tiny parts can compress absurdly well without
# harm: only an entry this large or larger can be a bomb worth refusing.
RATIO_FROM_BYTES = 1 * MiB


def size_text(size: int) -> str:
    """A size for messages: clerks think in MB."""
    if size < MiB:
        return f"{max(size, 1) / 1024:.0f} KB"
    return f"{size / MiB:.1f} MB"


def check_xlsx(path: Path, limits: ZipLimits = ZipLimits()) -> None:
    """Refuse (WorkbookRefused) a file that is not a safe xlsx workbook; return when it may be parsed."""
    size = path.stat().st_size
    _check_file(path, size, limits)
    _check_entry_count(path, size, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error) as exc:
        raise WorkbookRefused(
            N_(
                "The file looks like an xlsx workbook but cannot be read: it is damaged or incomplete. "
                "Save it again as .xlsx and import the new file."
            )
        ) from exc
    _check_sizes(entries, limits)
    _check_parts({entry.filename for entry in entries})


def _check_file(path: Path, size: int, limits: ZipLimits) -> None:
    if size == 0:
        raise WorkbookRefused(N_("The file is empty."))
    if size > limits.max_file_bytes:
        raise WorkbookRefused(
            N_("The file is %(size)s; the largest workbook accepted is %(limit)s."),
            size=size_text(size),
            limit=size_text(limits.max_file_bytes),
        )
    with path.open("rb") as stream:
        magic = stream.read(len(ZIP_MAGIC))
    if magic != ZIP_MAGIC:
        # .xls files and password-protected workbooks are OLE2 files, CSV is text: none is a zip.
        raise WorkbookRefused(
            N_(
                "The file is not an xlsx workbook. An old .xls file (or a workbook protected by a "
                "password) must be opened in Excel or WPS and saved as .xlsx without a password."
            )
        )


def _check_entry_count(path: Path, size: int, limits: ZipLimits) -> None:
    count = _declared_entry_count(path, size)
    if count is not None and count > limits.max_entries:
        raise _too_many_entries(count, limits)


def _too_many_entries(count: int, limits: ZipLimits) -> WorkbookRefused:
    return WorkbookRefused(
        N_("The workbook has %(count)d parts; at most %(limit)d are accepted."),
        count=count,
        limit=limits.max_entries,
    )


def _declared_entry_count(path: Path, size: int) -> int | None:
    """The entry count the archive declares, or None when there is no readable record (zipfile will say)."""
    tail_size = min(size, _EOCD_SIZE + _MAX_COMMENT)
    with path.open("rb") as stream:
        stream.seek(size - tail_size)
        tail = stream.read(tail_size)
        at = tail.rfind(_EOCD)
        if at < 0 or at + _EOCD_SIZE > len(tail):
            return None
        (count,) = struct.unpack_from("<H", tail, at + 10)
        if count != 0xFFFF:
            return int(count)
        # Zip64: the real count is in the zip64 record the locator before the EOCD points at.
        locator_at = size - tail_size + at - _ZIP64_LOCATOR_SIZE
        if locator_at < 0:
            return None
        stream.seek(locator_at)
        locator = stream.read(_ZIP64_LOCATOR_SIZE)
        if len(locator) < _ZIP64_LOCATOR_SIZE or not locator.startswith(_ZIP64_LOCATOR):
            return None
        (record_at,) = struct.unpack_from("<Q", locator, 8)
        if record_at > size - _ZIP64_EOCD_SIZE:
            return None
        stream.seek(record_at)
        record = stream.read(_ZIP64_EOCD_SIZE)
    if not record.startswith(_ZIP64_EOCD):
        return None
    (count64,) = struct.unpack_from("<Q", record, 32)
    return int(count64)


def _check_sizes(entries: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    if len(entries) > limits.max_entries:
        raise _too_many_entries(len(entries), limits)
    total = 0
    for entry in entries:
        if entry.file_size > limits.max_entry_bytes:
            raise WorkbookRefused(
                N_(
                    "The workbook part %(part)s would inflate to %(size)s; at most %(limit)s is accepted. "
                    "The file may be a decompression bomb."
                ),
                part=entry.filename,
                size=size_text(entry.file_size),
                limit=size_text(limits.max_entry_bytes),
            )
        _check_ratio(entry, limits)
        total += entry.file_size
        if total > limits.max_total_bytes:
            raise WorkbookRefused(
                N_(
                    "The workbook would inflate to more than %(limit)s in all. "
                    "The file may be a decompression bomb."
                ),
                limit=size_text(limits.max_total_bytes),
            )


def _check_ratio(entry: zipfile.ZipInfo, limits: ZipLimits) -> None:
    if entry.file_size <= RATIO_FROM_BYTES:
        return
    ratio = entry.file_size / max(entry.compress_size, 1)
    if ratio > limits.max_ratio:
        raise WorkbookRefused(
            N_(
                "The workbook part %(part)s is compressed %(ratio)d times; at most %(limit)d is accepted. "
                "The file may be a decompression bomb."
            ),
            part=entry.filename,
            ratio=int(ratio),
            limit=limits.max_ratio,
        )


def _check_parts(names: set[str]) -> None:
    for required in (CONTENT_TYPES, WORKBOOK_PART):
        if required not in names:
            raise WorkbookRefused(
                N_("The file is a zip archive but not an xlsx workbook: it has no %(part)s."),
                part=required,
            )
    for name in sorted(names):
        lowered = name.lower()
        if lowered == MACROS_PART:
            raise WorkbookRefused(
                N_(
                    "The workbook contains macros (%(part)s). Save it in Excel or WPS as an .xlsx "
                    "workbook without macros and import the new file."
                ),
                part=name,
            )
        if lowered.startswith(EXTERNAL_LINKS):
            raise WorkbookRefused(
                N_(
                    "The workbook links to other files (%(part)s). Break the links in Excel or WPS "
                    "(Data → Edit Links → Break Link), save, and import the new file."
                ),
                part=name,
            )
