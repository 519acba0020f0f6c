"""The workbench's downloads: its tables (xlsx, CSV, JSON) and the files stored with flags and
complaints. All are attachments that no shared cache keeps."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from litestar import Response
from litestar.exceptions import NotFoundException, ValidationException
from litestar.response import File

from tracker.exports.tables import FORMATS, MEDIA_TYPES, Field, table_bytes
from tracker.i18n import gettext as _

log = logging.getLogger("tracker.web")
PRIVATE_DOWNLOAD = "private, no-store"


def private_download(body: bytes, filename: str, media_type: str) -> Response[bytes]:
    headers = {"content-disposition": f'attachment; filename="{filename}"', "cache-control": PRIVATE_DOWNLOAD}
    return Response(body, media_type=media_type, headers=headers)


def check_table_format(format: str) -> None:
    """Refuse a format before the export's query runs."""
    if format not in FORMATS:
        raise ValidationException(_("Choose xlsx, csv or json."))


def table_download(
    format: str, title: str, fields: Sequence[Field], rows: Iterable[Sequence[Any]], name: str
) -> Response[bytes]:
    return private_download(
        table_bytes(format, title, fields, rows, _), f"{name}.{format}", MEDIA_TYPES[format]
    )


def stored_file(path: Path, filename: str, media_type: str, what: str) -> File:
    """A stored upload, sent under a name and a type of our choosing: the uploader's name and
    claimed type are never echoed. A file missing from disk is logged and answers 404."""
    if not path.is_file():
        log.error("%s: %s is missing", what, path)
        raise NotFoundException()
    return File(
        path=path,
        filename=filename,
        media_type=media_type,
        content_disposition_type="attachment",
        headers={"x-content-type-options": "nosniff", "cache-control": PRIVATE_DOWNLOAD},
    )
