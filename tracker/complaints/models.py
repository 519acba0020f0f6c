"""Complaints (投诉) about how a department exercised a power, and the files sent with them."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ColumnElement, String, Text, and_, or_
from sqlmodel import Column, Field, SQLModel, col

from powerlists.columns import UTCDateTime


class ComplaintStatus(enum.StrEnum):
    received = "received"  # waiting for a supervisor to accept or decline it
    accepted = "accepted"  # a review is open: a flag of kind ``complaint`` (see tracker.complaints.intake)
    declined = "declined"  # with a reason the complainant reads on the status page


class Complaint(SQLModel, table=True):
    """A complaint filed on /complain, by anyone, without an account.

    The complainant follows it with its ``number`` and a secret shown once (only its SHA-256 is
    kept). The contact details are seen by supervisors only: not by the department complained
    about, never by the public.
    """

    __tablename__ = "complaint"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(
        max_length=24, unique=True, description="The tracking number, e.g. TS20261127-483920."
    )
    secret_hash: str = Field(max_length=64)
    department_id: int = Field(foreign_key="department.id", ondelete="RESTRICT", index=True)
    power_item_id: int | None = Field(default=None, foreign_key="power_item.id", ondelete="RESTRICT")
    power_code: str = Field(default="", max_length=64, description="'' when about the department in general")
    case_ref: str = Field(default="", max_length=64, description="As the complainant wrote it.")
    case_id: int | None = Field(default=None, foreign_key="case_file.id", ondelete="SET NULL")
    happened_on: date
    what: str = Field(sa_type=Text)
    contact: str = Field(default="", max_length=200, description="Supervisors only; never public.")
    status: ComplaintStatus = Field(default=ComplaintStatus.received, sa_type=String(16))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    # Supervisors accept or decline by the end of the 5th working day after it was received.
    handle_by: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    handled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    handled_by: int | None = Field(default=None, foreign_key="user.id", ondelete="RESTRICT")
    reason: str = Field(
        default="", sa_type=Text, description="Why it was declined, or a note on accepting it."
    )
    # Set once by the scheduler when ``handle_by`` passed with the complaint still received.
    overdue_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))

    def handled_late(self, now: datetime) -> bool:
        """Not accepted or declined by ``handle_by``: still waiting past it, or handled after it
        (``handled_late_sql`` is the same rule in SQL)."""
        if self.handled_at is not None:
            return self.handled_at > self.handle_by
        return now > self.handle_by


def handled_late_sql(now: datetime) -> ColumnElement[bool]:
    """``Complaint.handled_late`` as a condition for queries and the scheduler's UPDATE."""
    handled_at, handle_by = col(Complaint.handled_at), col(Complaint.handle_by)
    return or_(and_(handled_at.is_(None), handle_by < now), handled_at > handle_by)


class ComplaintFile(SQLModel, table=True):
    """A file sent with a complaint, checked and stored as flag attachments are
    (``tracker.flags.attachments``); downloaded only by supervisors, and by the department once
    the complaint is accepted."""

    __tablename__ = "complaint_file"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", ondelete="CASCADE", index=True)
    original_name: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
