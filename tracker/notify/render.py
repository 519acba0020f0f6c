"""Showing a notification in a reader's language, and its e-mail in the site's.

A notification stores English message ids and raw arguments (kind and status codes, a department's
name in both languages, ISO timestamps); they are named and formatted only when shown, so each
reader sees the inbox in their own language, and the e-mail goes out in TRACKER_LANGUAGE.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import copy_context
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from powerlists.messages import N_
from tracker.flags.names import ACTION_NAMES, KIND_NAMES, LEVEL_NAMES, STATUS_NAMES
from tracker.i18n import activate, babel_locale, current_language, translations
from tracker.ratings import names as rating_names
from tracker.settings import Settings

# Arguments holding a code, shown by their translated name.
NAMED_ARGS: dict[str, Mapping[Any, str]] = {
    "kind": KIND_NAMES,
    "level": LEVEL_NAMES,
    "status": STATUS_NAMES,
    "action": ACTION_NAMES,
    "rating": rating_names.LEVEL_NAMES,  # a citizen's rating, 1–5
}


class Renderable(Protocol):
    """A Notification (stored) or a Message (about to be sent)."""

    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def args(self) -> dict[str, Any]: ...
    @property
    def link(self) -> str: ...


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _translate(message: str) -> str:
    return translations(current_language()).gettext(message)


def shown_args(args: Mapping[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """The arguments as the current language shows them."""
    shown: dict[str, Any] = {}
    for name, value in args.items():
        names = NAMED_ARGS.get(name)
        if names is not None and value in names:
            shown[name] = _translate(names[value])
        elif name.endswith("_at") and isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                shown[name] = value
            else:
                shown[name] = format_datetime(moment, "yyyy-MM-dd HH:mm", tzinfo=tz, locale=babel_locale())
        else:
            shown[name] = value
    # A department is named in the reader's language when it has an English name.
    if current_language() == "en" and args.get("department_en"):
        shown["department"] = args["department_en"]
    return shown


def _fill(message: str, values: Mapping[str, Any]) -> str:
    try:
        return _translate(message) % values
    except (KeyError, ValueError, TypeError):
        # A translation whose places drifted from its id: the English still reads.
        try:
            return message % values
        except (KeyError, ValueError, TypeError):
            return message


def render(item: Renderable, tz: ZoneInfo) -> Rendered:
    """The subject and body in the current language."""
    values = shown_args(item.args, tz)
    return Rendered(_fill(item.subject, values), _fill(item.body, values))


def absolute_link(settings: Settings, link: str) -> str:
    return settings.site_url + (link if link.startswith("/") else "/" + link)


def _email(item: Renderable, settings: Settings) -> tuple[str, str]:
    activate(settings.language)
    shown = render(item, settings.tz)
    inbox = absolute_link(settings, "/inbox")
    lines = [shown.body, ""]
    if item.link:
        lines += [_fill(N_("Open: %(url)s"), {"url": absolute_link(settings, item.link)}), ""]
    lines += [
        "-- ",
        _fill(N_("Sent by the Power-list tracker. All your notifications: %(url)s"), {"url": inbox}),
    ]
    return shown.subject, "\n".join(lines)


def email_text(item: Renderable, settings: Settings) -> tuple[str, str]:
    """The e-mail's subject and body in the site's language (TRACKER_LANGUAGE), with absolute links.

    Run in a copy of the context: switching the language here must not switch the caller's.
    """
    return copy_context().run(_email, item, settings)
