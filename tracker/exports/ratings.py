"""The ratings workbench as a table (xlsx, CSV, JSON) for supervisors and departments.

Signed-in use only: comments are as written (the department follows them up), so this is never
an open-data file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from powerlists.messages import N_
from tracker.exports.tables import CASE, DEPARTMENT, POWER_CODE, Field

EXPORT_LIMIT = 50_000
FIELDS: tuple[Field, ...] = (
    Field("rated_at", N_("Rated"), N_("When the rating was given (local time)."), "datetime"),
    DEPARTMENT,
    CASE,
    POWER_CODE,
    Field(
        "level",
        N_("Rating"),
        N_("5 very satisfied … 1 very dissatisfied; 1 and 2 are bad reviews."),
        "integer",
    ),
    Field(
        "channel",
        N_("Channel"),
        N_("web (this site, with the code), window, self_service, mobile, phone, sms, online."),
    ),
    Field("efficiency", N_("Efficiency"), N_("Optional score, 1–5."), "integer"),
    Field("guidance", N_("Accuracy of the guidance"), N_("Optional score, 1–5."), "integer"),
    Field("convenience", N_("Convenience"), N_("Optional score, 1–5."), "integer"),
    Field("attitude", N_("Attitude"), N_("Optional score, 1–5."), "integer"),
    Field("comment", N_("Comment"), N_("As written by the citizen.")),
    Field("comment_public", N_("Published as"), N_("The comment with personal data masked.")),
    Field("hidden", N_("Hidden from the public"), N_("A supervisor hid the comment."), "boolean"),
    Field("follow_up_due", N_("Due by"), N_("A bad review's follow-up deadline (local time)."), "datetime"),
    Field("followed_up_at", N_("Followed up"), N_("When the department recorded its follow-up."), "datetime"),
)


def rating_rows(rows: Iterable[Any], tz: Any) -> Iterator[tuple[object, ...]]:
    """Rows of FIELDS from the workbench query's (rating, case ref, department, bad review)."""

    def local(value: Any) -> Any:
        return value.astimezone(tz) if value is not None else None

    for rating, ref, department, review in rows:
        yield (
            local(rating.rated_at),
            department.code,
            ref,
            rating.power_code,
            rating.level,
            rating.channel,
            rating.efficiency,
            rating.guidance,
            rating.convenience,
            rating.attitude,
            rating.comment,
            rating.comment_public,
            rating.hidden_at is not None,
            local(review.due_at) if review else None,
            local(review.rectified_at) if review else None,
        )
