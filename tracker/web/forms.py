"""Reading submitted HTML forms: one body type for every form handler."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import Body
from sqlmodel import Session

from tracker.i18n import gettext as _

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if isinstance(value, list):  # a repeated field: the last one wins, as in browsers' own forms
        value = value[-1] if value else ""
    found = str(value).strip()
    if "\x00" in found:  # never typed, and PostgreSQL cannot store it: refused before any query
        raise ValidationException(_("%(field)s contains a NUL character, which cannot be stored.", field=key))
    return found


def checkbox(data: dict[str, Any], key: str) -> bool:
    return text(data, key) in {"on", "1", "true", "yes"}


def safe_next(target: str, default: str = "/") -> str:
    """A redirect target only within this site (no `//host` or scheme: no open redirect)."""
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and "\n" not in target
        and "\r" not in target
    ):
        return target
    return default


DB = NamedDependency[Session]
# The request's database session from the SQLAlchemy plugin, committed when the answer is 2xx or 3xx.
