"""The complaints workbench as a table (xlsx, CSV, JSON): the page's JSON twin and its downloads.

Signed-in use only: the text is as the complainant wrote it. The contact details are a column
only for supervisors (``private``), as on the pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from powerlists.messages import N_
from tracker.exports.tables import DEPARTMENT, Field

EXPORT_LIMIT = 50_000
CONTACT = Field("contact", N_("Contact"), N_("How to reach the complainant: supervisors only."))
FIELDS: tuple[Field, ...] = (
    Field("id", N_("Id"), N_("The complaint's id in this system (its page is /complaints/ID)."), "integer"),
    Field("number", N_("Tracking number"), N_("The number the complainant was given.")),
    Field("received_at", N_("Received"), N_("When the complaint was filed (local time)."), "datetime"),
    DEPARTMENT,
    Field("power", N_("Power code"), N_("The power complained about; empty for the department in general.")),
    Field("case_ref", N_("Case reference"), N_("As the complainant wrote it.")),
    Field("happened_on", N_("Happened on"), N_("The day it happened, as the complainant said."), "date"),
    Field("what", N_("What happened"), N_("As the complainant wrote it.")),
    Field("status", N_("Status"), N_("received, accepted or declined.")),
    Field("handle_by", N_("Decision due"), N_("Accept or decline by then (local time)."), "datetime"),
    Field("handled_at", N_("Handled"), N_("When a supervisor accepted or declined it."), "datetime"),
    Field("reason", N_("Reason"), N_("Why it was declined, or a note on accepting it.")),
    Field(
        "overdue",
        N_("Not handled in time"),
        N_("Accepted or declined after the deadline, or not yet."),
        "boolean",
    ),
    Field("flag", N_("Review flag"), N_("The flag of the review opened when it was accepted."), "integer"),
    Field("review_status", N_("Review status"), N_("Where that review stands.")),
)


def fields(private: bool) -> tuple[Field, ...]:
    return (*FIELDS, CONTACT) if private else FIELDS


def complaint_rows(rows: Iterable[Any], tz: Any, *, private: bool, now: Any) -> Iterator[tuple[object, ...]]:
    """Rows of ``fields(private)`` from the workbench query's (complaint, department, review flag)."""

    def local(value: Any) -> Any:
        return value.astimezone(tz) if value is not None else None

    for complaint, department, flag in rows:
        row: tuple[object, ...] = (
            complaint.id,
            complaint.number,
            local(complaint.received_at),
            department.code,
            complaint.power_code,
            complaint.case_ref,
            complaint.happened_on,
            complaint.what,
            str(complaint.status),
            local(complaint.handle_by),
            local(complaint.handled_at),
            complaint.reason,
            complaint.handled_late(now),
            flag.id if flag else None,
            str(flag.status) if flag else None,
        )
        yield (*row, complaint.contact) if private else row
