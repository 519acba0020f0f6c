"""The admin's page of the supervision rules' thresholds."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from tracker.accounts.guards import admin_only
from tracker.calendar_store import load_calendar
from tracker.cases.ingest import recompute_open
from tracker.i18n import gettext as _
from tracker.thresholds import (
    THRESHOLDS,
    ThresholdError,
    load_thresholds,
    remove_threshold,
    set_threshold,
    threshold_rows,
)
from tracker.web.flash import flash
from tracker.web.forms import DB, FormData, text
from tracker.web.runtime import runtime


def _page(db: Session, errors: dict[str, str], form: dict[str, str], status: int = 200) -> Template:
    return Template(
        "admin/thresholds.html",
        context={
            "thresholds": THRESHOLDS,
            "current": load_thresholds(db),
            "rows": threshold_rows(db),
            "errors": errors,
            "form": form,
        },
        status_code=status,
    )


def _recompute(request: Request[Any, Any, Any], db: Session, item_code: str) -> int:
    """Open cases' warning and stall moments follow the new value (flags already raised keep theirs)."""
    return recompute_open(db, load_calendar(db), runtime(request).settings.tz, power_code=item_code or None)


class ThresholdsController(Controller):
    path = "/admin/thresholds"
    guards = [admin_only]
    include_in_schema = False

    @get("/", name="admin_thresholds", sync_to_thread=True)
    def index(self, db_session: DB) -> Template:
        return _page(db_session, {}, {})

    @post("/", name="admin_thresholds_set", sync_to_thread=True)
    def set(self, request: Request[Any, Any, Any], db_session: DB, data: FormData) -> Template | Redirect:
        form = {k: text(data, k) for k in ("name", "item_code", "value")}
        try:
            value = int(form["value"])
        except ValueError:
            return _page(db_session, {"value": _("Write a whole number.")}, form, 400)
        try:
            row = set_threshold(db_session, form["name"], value, form["item_code"])
        except ThresholdError as exc:
            return _page(db_session, {exc.field: _(exc.message, **exc.args_)}, form, 400)
        _recompute(request, db_session, row.item_code)
        flash(request, "success", _("Saved %(name)s = %(value)d.", name=row.name, value=row.value))
        return Redirect("/admin/thresholds/")

    @post("/{threshold_id:int}/delete", name="admin_thresholds_delete", sync_to_thread=True)
    def delete(
        self, request: Request[Any, Any, Any], db_session: DB, threshold_id: FromPath[int]
    ) -> Redirect:
        row = remove_threshold(db_session, threshold_id)
        if row is not None:
            _recompute(request, db_session, row.item_code)
            flash(request, "success", _("Removed the setting of %(name)s.", name=row.name))
        return Redirect("/admin/thresholds/")
