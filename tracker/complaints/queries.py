"""The complaints queue: one query for the page and its JSON twin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlmodel import col

from powerlists.models import Department
from tracker.complaints.models import Complaint, ComplaintStatus, handled_late_sql
from tracker.flags.models import Flag
from tracker.flags.subjects import COMPLAINT

STATUSES = tuple(s.value for s in ComplaintStatus)


SORTS = ("received", "due")  # newest first; or the decision due soonest first (the supervisors' to-do)


def complaint_list(
    *,
    only_department: int | None,
    department_id: int | None,
    status: str,
    overdue: bool,
    now: datetime,
    sort: str = "received",
) -> Select[Any]:
    """Complaints with their department and review flag, newest first (or by ``sort``).

    A department's operators (``only_department``) see only the complaints accepted about it.
    """
    order = (
        (col(Complaint.handle_by).asc(), col(Complaint.id).asc())
        if sort == "due"
        else (col(Complaint.received_at).desc(), col(Complaint.id).desc())
    )
    stmt = (
        select(Complaint, Department, Flag)
        .join(Department, col(Department.id) == Complaint.department_id)
        .outerjoin(Flag, (col(Flag.complaint_id) == Complaint.id) & (col(Flag.kind) == COMPLAINT))
        .order_by(*order)
    )
    if only_department is not None:
        stmt = stmt.where(
            col(Complaint.department_id) == only_department, col(Complaint.status) == ComplaintStatus.accepted
        )
    elif department_id is not None:
        stmt = stmt.where(col(Complaint.department_id) == department_id)
    if status in STATUSES:
        stmt = stmt.where(col(Complaint.status) == status)
    if overdue:
        stmt = stmt.where(handled_late_sql(now))
    return stmt
