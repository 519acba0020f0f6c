"""Languages: zh-CN (default) and en, from Babel message catalogs.

Message ids are English. The zh-CN catalog is read from its ``.po`` file at
start-up (no compiled ``.mo`` to keep in step). The active language lives in a
context variable set per request (or per CLI run), so domain code and templates
translate with the same ``gettext``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from tracker.settings import LANGUAGES

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "zh-CN"
_BABEL_LOCALES = {"zh-CN": "zh_CN", "en": "en"}

_current: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / _BABEL_LOCALES[language] / "LC_MESSAGES" / "messages.po"


@cache
def translations(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=_BABEL_LOCALES[language])
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def activate(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Translate in ``language`` inside the block and restore the caller's language after it."""
    token = _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def current_language() -> str:
    return _current.get()


def babel_locale() -> str:
    return _BABEL_LOCALES[_current.get()]


def gettext(message: str, **variables: Any) -> str:
    text = translations(_current.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations(_current.get()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


_ = gettext


def negotiate(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The language for a request: the visitor's choice, then the browser's, then the site's default."""
    if cookie in LANGUAGES:
        return cookie
    for tag in _accepted(accept_language or ""):
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return default


def _accepted(header: str) -> Iterable[str]:
    weighted: list[tuple[float, str]] = []
    for part in header.split(","):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            weighted.append((quality, tag.lower()))
    return [tag for quality, tag in sorted(weighted, key=lambda p: -p[0]) if quality > 0]
