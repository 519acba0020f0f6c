"""The public face of the audit log: its verification, its signed checkpoints, the public key."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlmodel import col, select

from tracker.audit import checkpoints, keys
from tracker.audit.checkpoints import Verification
from tracker.audit.models import AuditCheckpoint, PublishedExport
from tracker.db import session_factory
from tracker.i18n import gettext
from tracker.web.forms import DB
from tracker.web.runtime import runtime

# Walking the whole log reads every entry: anyone may ask, so one walk serves every visitor
# for a few minutes (the CLI `tracker audit verify` always walks it afresh).
RECHECK_AFTER_SECONDS = 300
SHOWN_CHECKPOINTS = 20

_lock = threading.Lock()
_cached: dict[str, tuple[float, Verification]] = {}


def _verification(request: Request[Any, Any, Any]) -> tuple[Verification, datetime]:
    rt = runtime(request)
    key = str(rt.engine.url)
    with _lock:  # one walk at a time; the others wait for its result
        hit = _cached.get(key)
        if hit is None or time.monotonic() - hit[0] > RECHECK_AFTER_SECONDS:
            public = keys.signing_key(rt.settings.audit_key_file).public_key()
            with session_factory(rt.engine)() as db:
                hit = (time.monotonic(), checkpoints.verify(db, public))
            _cached[key] = hit
    return hit[1], datetime.fromtimestamp(time.time() - (time.monotonic() - hit[0]), UTC)


def proof_url(export: PublishedExport) -> str:
    return f"/transparency/exports/{export.id}/proof.json"


def proof_headers(export: PublishedExport) -> dict[str, str]:
    """Where a published download's proof is, and which entry of the log records it."""
    return {"link": f'<{proof_url(export)}>; rel="describedby"', "x-audit-entry": str(export.entry_seq)}


class TransparencyController(Controller):
    path = "/transparency"
    include_in_schema = False

    @get("/", name="transparency", sync_to_thread=True)
    def index(
        self, request: Request[Any, Any, Any], db_session: DB, format: FromQuery[str] = "html"
    ) -> Template | Response[dict[str, Any]]:
        # Both branches are explicit responses: with a bare dict in the return type, Litestar
        # served the HTML page as application/json and browsers showed its source.
        result, checked_at = _verification(request)
        public = keys.signing_key(runtime(request).settings.audit_key_file).public_key()
        recent = list(
            db_session.exec(
                select(AuditCheckpoint).order_by(col(AuditCheckpoint.id).desc()).limit(SHOWN_CHECKPOINTS)
            )
        )
        exports = list(
            db_session.exec(
                select(PublishedExport).order_by(col(PublishedExport.id).desc()).limit(SHOWN_CHECKPOINTS)
            )
        )
        if format == "json":
            return Response(
                {
                    **result.as_dict(gettext),
                    "checked_at": checked_at.isoformat(),
                    "key_id": keys.key_id(public),
                    "published_exports": [
                        {"name": e.name, "sha256": e.sha256, "entry": e.entry_seq, "proof": proof_url(e)}
                        for e in exports
                    ],
                }
            )
        return Template(
            "transparency/index.html",
            context={
                "result": result,
                "problems": [(p.seq, p.text(gettext)) for p in result.problems],
                "checked_at": checked_at,
                "recent": recent,
                "exports": exports,
                "key_id": keys.key_id(public),
            },
        )

    @get("/exports/{export_id:int}/proof.json", name="export_proof", sync_to_thread=True)
    def proof(self, db_session: DB, export_id: FromPath[int]) -> Response[dict[str, Any]]:
        export = db_session.get(PublishedExport, export_id)
        if export is None:
            raise NotFoundException()
        filename = export.name.replace("/", "-") + ".proof.json"
        return Response(
            export.proof,
            headers={
                "content-disposition": f'attachment; filename="{filename}"',
                "cache-control": "public, max-age=86400, immutable",
            },
        )

    @get("/key", name="transparency_key", sync_to_thread=True)
    def key(self, request: Request[Any, Any, Any]) -> Response[str]:
        public = keys.signing_key(runtime(request).settings.audit_key_file).public_key()
        return Response(
            keys.public_pem(public),
            media_type="text/plain; charset=utf-8",
            headers={
                "content-disposition": 'inline; filename="tracker-audit-key.pem"',
                "x-key-id": keys.key_id(public),
                "cache-control": "public, max-age=3600",
            },
        )
