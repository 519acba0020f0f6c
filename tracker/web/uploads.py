"""Reading a form that may carry files (a reply with attachments, a complaint)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.di import NamedDependency

from tracker.flags.attachments import Upload

NamedForm = NamedDependency[FormMultiDict]


async def read_form(request: Request[Any, Any, Any]) -> FormMultiDict:
    # A form with files comes as multipart, one without as a plain form: form() reads both.
    return await request.form()


def form_uploads(form: FormMultiDict) -> list[Upload]:
    # A file input left empty sends a part without a file name, which arrives as a plain string.
    return [
        Upload(f.filename, f.file)
        for f in form.getall("files", [])
        if isinstance(f, UploadFile) and f.filename
    ]
