"""What a flag is about: a case, or (for the review of an accepted complaint) a complaint.

Queries that show flags join both sides with outer joins and read the subject's reference and
power code from whichever is there, so that a complaint's flag appears wherever a case's does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
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


def subject_has_power(code: str) -> ColumnElement[bool]:
    """The flag's case or complaint is about the power ``code``: as subqueries on each side, so
    that the flags are found through their case's (or complaint's) key, not by joining them all."""
    return or_(
        col(Flag.case_id).in_(select(col(Case.id)).where(col(Case.power_code) == code)),
        col(Flag.complaint_id).in_(select(col(Complaint.id)).where(col(Complaint.power_code) == code)),
    )


def subject_power() -> ColumnElement[str]:
    """The power item's code, from the case or the complaint ('' for a complaint about no item)."""
    return func.coalesce(col(Case.power_code), col(Complaint.power_code))
