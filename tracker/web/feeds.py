"""The Atom feed of newly confirmed violations (anyone can follow it in a feed reader)."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from litestar import Controller, Request, Response, get
from sqlalchemy import Table, select
from sqlmodel import Session

from powerlists.columns import utcnow
from powerlists.models import Department
from tracker.cases.models import Case
from tracker.flags.models import VIOLATION, Flag, FlagAction
from tracker.flags.names import KIND_NAMES, LEVEL_NAMES
from tracker.i18n import current_language
from tracker.i18n import gettext as _
from tracker.web.caching import public_headers
from tracker.web.forms import DB
from tracker.web.runtime import runtime

FEED_ENTRIES = 50
_flag: Table = Flag.__table__  # type: ignore[attr-defined]
_action: Table = FlagAction.__table__  # type: ignore[attr-defined]
_case: Table = Case.__table__  # type: ignore[attr-defined]
_dept: Table = Department.__table__  # type: ignore[attr-defined]


def newly_confirmed(db: Session, limit: int = FEED_ENTRIES) -> list[dict[str, Any]]:
    """The latest confirmations of violations that still stand, newest first (no free text)."""
    query = (
        select(
            _action.c.id.label("action_id"),
            _action.c.at,
            _flag.c.id,
            _flag.c.kind,
            _flag.c.level,
            _flag.c.status,
            _flag.c.due_at,
            _case.c.ref,
            _case.c.power_code,
            _dept.c.code,
            _dept.c.name,
            _dept.c.name_en,
        )
        .join(_flag, _flag.c.id == _action.c.flag_id)
        .join(_case, _case.c.id == _flag.c.case_id)
        .join(_dept, _dept.c.id == _flag.c.department_id)
        .where(_action.c.action == "confirm", _flag.c.status.in_(VIOLATION))
        .order_by(_action.c.at.desc(), _action.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in db.execute(query)]


class FeedController(Controller):
    include_in_schema = False

    @get("/violations.atom", name="violations_feed", sync_to_thread=True)
    def violations(self, request: Request[Any, Any, Any], db_session: DB) -> Response[str]:
        site = runtime(request).settings.site_url
        entries = newly_confirmed(db_session)
        english = current_language() == "en"
        updated = (entries[0]["at"] if entries else utcnow()).isoformat()
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>',
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{current_language()}">',
            f"<title>{escape(_('Confirmed violations'))}</title>",
            f"<id>{escape(site)}/violations.atom</id>",
            f'<link rel="self" href="{escape(site)}/violations.atom"/>',
            f'<link rel="alternate" type="text/html" href="{escape(site)}/"/>',
            f"<updated>{updated}</updated>",
            f"<author><name>{escape(_('Power-list tracker'))}</name></author>",
        ]
        for e in entries:
            department = e["name_en"] if english and e["name_en"] else e["name"]
            title = _(
                "%(department)s: %(kind)s in case %(case)s (%(level)s)",
                department=department,
                kind=_(KIND_NAMES.get(e["kind"], e["kind"])),
                case=e["ref"],
                level=_(LEVEL_NAMES.get(e["level"], e["level"])),
            )
            summary = (
                _("Rectified.")
                if e["status"] == "closed"
                else _("To be rectified by %(date)s.", date=e["due_at"].date().isoformat())
                if e["due_at"]
                else _("To be rectified.")
            )
            link = f"{site}/departments/{e['code']}#scorecard"
            parts += [
                "<entry>",
                f"<id>{escape(site)}/violations/{e['id']}/confirmed/{e['action_id']}</id>",
                f"<title>{escape(title)}</title>",
                f'<link rel="alternate" type="text/html" href="{escape(link)}"/>',
                f"<updated>{e['at'].isoformat()}</updated>",
                f"<summary>{escape(summary)}</summary>",
                "</entry>",
            ]
        parts.append("</feed>")
        return Response(
            "\n".join(parts),
            media_type="application/atom+xml; charset=utf-8",
            headers=public_headers(request),
        )
