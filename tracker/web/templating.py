"""The Jinja environment: Litestar builds it (autoescape on); we add translation and a few globals."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent
from jinja2 import pass_context
from jinja2.runtime import Context
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from sqlmodel import Session

from tracker.accounts.csrf import FIELD as CSRF_FIELD
from tracker.accounts.csrf import csrf_token
from tracker.accounts.guards import current_user
from tracker.complaints import names as complaint_names
from tracker.flags.names import ACTION_NAMES, GRADE_NAMES, KIND_NAMES, LEVEL_NAMES, STATUS_NAMES
from tracker.i18n import babel_locale, current_language, translations
from tracker.notify.reading import unread_count
from tracker.ratings import names as rating
from tracker.settings import LANGUAGES
from tracker.web.flash import take_flashes
from tracker.web.runtime import runtime

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}


def _gettext(message: str) -> str:
    return translations(current_language()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


@pass_context
def _csrf_token(context: Context) -> str:
    return csrf_token(context["request"])


@pass_context
def _flashes(context: Context) -> list[tuple[str, str]]:
    return take_flashes(context["request"])


@pass_context
def _local_time(context: Context, value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    if value is None:
        return ""
    tz = context["request"].app.state.runtime.settings.tz
    return format_datetime(value, fmt, tzinfo=tz, locale=babel_locale())


def _percent(value: float | None, digits: int = 1) -> str:
    """A rate as a percentage in the reader's language; "—" when there is none."""
    if value is None:
        return "—"
    return format_percent(value, "#,##0." + "0" * digits + "%" if digits else "#,##0%", locale=babel_locale())


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return format_decimal(value, "#,##0." + "#" * digits if digits else "#,##0", locale=babel_locale())


@pass_context
def _unread_count(context: Context) -> int:
    """The header's inbox count, asked only by pages that show it (a session of its own: templates
    have no database)."""
    request = context["request"]
    user = current_user(request)
    if user is None or user.id is None:
        return 0
    with Session(runtime(request).engine) as db:
        return unread_count(db, user.id)


@pass_context
def _query(context: Context, **changes: Any) -> str:
    """The current query string with some parameters changed (for pagination and filter links)."""
    params = dict(context["request"].query_params)
    params.update({k: v for k, v in changes.items() if v is not None})
    return "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})


def _configure(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    assert env.autoescape, "templates must autoescape"
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        csrf_field_name=CSRF_FIELD,
        csrf_token=_csrf_token,
        flashes=_flashes,
        current_language=current_language,
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        query=_query,
        unread_count=_unread_count,
        flag_names={
            "kind": KIND_NAMES,
            "level": LEVEL_NAMES,
            "status": STATUS_NAMES,
            "action": ACTION_NAMES,
            "grade": GRADE_NAMES,
        },
        complaint_names={
            "status": complaint_names.STATUS_NAMES,
            "stage": complaint_names.STAGE_NAMES,
            "help": complaint_names.STAGE_HELP,
        },
        rating_names={
            "level": rating.LEVEL_NAMES,
            "dimension": rating.DIMENSION_NAMES,
            "channel": rating.CHANNEL_NAMES,
        },
    )
    env.filters["local_time"] = _local_time
    env.filters["percent"] = _percent
    env.filters["number"] = _number


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATE_DIR, engine=JinjaTemplateEngine, engine_callback=_configure)
