"""What a flag is about: a case, or (for the review of an accepted complaint) a complaint.

Queries that show flags join both sides with outer joins and read the subject's reference and
power code from whichever is there, so that a complaint's flag appears wherever a case's does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func
from sqlmodel import col

from tracker.cases.models import Case
from tracker.complaints.models import Complaint
from tracker.flags.models import Flag

COMPLAINT = "complaint"  # the kind of the flag that reviews an accepted complaint


def with_subject(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` (selecting from Flag) joined to the flag's case or complaint."""
    return stmt.outerjoin(Case, col(Case.id) == Flag.case_id).outerjoin(
        Complaint, col(Complaint.id) == Flag.complaint_id
    )


def subject_ref() -> ColumnElement[str]:
    """The case's reference, or the complaint's tracking number."""
    return func.coalesce(col(Case.ref), col(Complaint.number))


def subject_power() -> ColumnElement[str]:
    """The power item's code, from the case or the complaint ('' for a complaint about no item)."""
    return func.coalesce(col(Case.power_code), col(Complaint.power_code))
