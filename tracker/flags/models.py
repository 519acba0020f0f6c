"""Flags (warnings, yellow and red cards) and the scans' bookkeeping."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlmodel import Column, Field, SQLModel

from powerlists.columns import UTCDateTime


class Level(enum.StrEnum):
    warning = "warning"
    yellow = "yellow"
    red = "red"


class FlagStatus(enum.StrEnum):
    """Where a flag stands in the supervisors' review (see ``tracker.flags.review``)."""

    open = "open"  # raised, not reviewed yet
    explanation_requested = "explanation_requested"  # the department is asked to explain (申辩)
    explained = "explained"  # the department replied; the supervisor decides
    confirmed = "confirmed"  # a violation: the department must rectify (整改) by a deadline
    rectification_submitted = "rectification_submitted"  # the department says it has rectified
    closed = "closed"  # the rectification was accepted
    dismissed = "dismissed"  # a false positive
    exempted = "exempted"  # a lawful reason the rule did not know


# A confirmed violation, whatever came of it since: what the public sees, the scorecards count
# and upholds a complaint.
VIOLATION = (FlagStatus.confirmed.value, FlagStatus.rectification_submitted.value, FlagStatus.closed.value)
AWAITING = text("due_at IS NOT NULL")
NO_STEP = 0  # ``step`` of a flag about the whole case (0, not NULL: NULLs never collide in a unique key)


class Flag(SQLModel, table=True):
    """A rule found something. Never deleted: a condition that later clears stays as history."""

    __tablename__ = "flag"
    __table_args__ = (
        # At most one flag per (case, kind, step, origin): every scan inserts with ON CONFLICT DO NOTHING.
        UniqueConstraint("case_id", "kind", "step", "origin_id", name="uq_flag_case_kind_step_origin"),
        # A complaint's review and the flags raised about it have no case: they are kept unique by
        # the complaint instead (NULLs never collide in the key above, nor in this one for cases).
        UniqueConstraint("complaint_id", "kind", "origin_id", name="uq_flag_complaint_kind_origin"),
        # A department's flags by status, and its counts above the queue read from the index alone.
        Index("ix_flag_department_status_level", "department_id", "status", "level"),
        # For the scheduler's supervision_deadlines job (tracker.flags.escalation): only flags
        # awaiting a reply or a rectification have a deadline, a few among all flags ever raised.
        Index("ix_flag_awaiting_due", "due_at", sqlite_where=AWAITING, postgresql_where=AWAITING),
        # For the scheduler's notify job (tracker.notify.flag_events): the flags detected since its mark;
        # and the queue's newest first.
        Index("ix_flag_detected_at", "detected_at"),
        # The queue of one department (every operator's), newest first, without sorting them all.
        Index("ix_flag_department_detected", "department_id", "detected_at"),
        # The counts above the queue, read from the index alone.
        Index("ix_flag_status_level", "status", "level"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # None for a flag about a department rather than a case: the review of an accepted complaint.
    case_id: int | None = Field(default=None, foreign_key="case_file.id", ondelete="CASCADE")
    # The case's department, copied for the queue's filters. No foreign key of its own: the case's
    # guards it, and checking it again cost a fifth of the deadline scan (10,000 flags).
    department_id: int
    kind: str = Field(sa_type=String(32))
    level: Level = Field(sa_type=String(16))
    step: int = Field(default=NO_STEP, description="The step's seq, or 0 for the whole case.")
    since: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    detected_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    params: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    evidence: list[int] = Field(sa_column=Column(JSON, nullable=False), description="case_event ids")
    status: FlagStatus = Field(default=FlagStatus.open, sa_type=String(32))
    # The deadline of what is awaited now: the department's reply, or its rectification.
    due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # A flag raised about another flag (an escalation, an overdue reply) names it; 0 for the rest
    # (0, not NULL, for the unique key). No foreign key: 0 would break it.
    origin_id: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The complaint this flag reviews (kind ``complaint``, one per complaint), or that the flag it
    # was raised about reviews.
    complaint_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("complaint.id", ondelete="RESTRICT", name="fk_flag_complaint_id")
        ),
    )


class FlagAction(SQLModel, table=True):
    """One step of a flag's review: who did what, when, why; never changed afterwards."""

    __tablename__ = "flag_action"
    # For the scheduler's notify job (tracker.notify.flag_events): the actions taken since its mark.
    __table_args__ = (Index("ix_flag_action_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    flag_id: int = Field(foreign_key="flag.id", ondelete="CASCADE", index=True)
    action: str = Field(max_length=32)
    from_status: str = Field(max_length=32)
    to_status: str = Field(max_length=32)
    text: str = Field(sa_type=Text, description="The written reason, reply or rectification report.")
    actor_id: int = Field(foreign_key="user.id", ondelete="RESTRICT")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Attachment(SQLModel, table=True):
    """A file a department sent with a reply or a rectification report.

    Stored under ``TRACKER_DATA_DIR/attachments/`` by ``storage_key`` (random, never the uploaded
    name), served only to the department and supervisors as a download with a server-chosen name.
    """

    __tablename__ = "attachment"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="flag_action.id", ondelete="CASCADE", index=True)
    original_name: str = Field(max_length=255, description="As uploaded; shown, never used as a path.")
    content_type: str = Field(max_length=100, description="Detected from the content, not the name.")
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=64, unique=True)
    uploaded_by: int = Field(foreign_key="user.id", ondelete="RESTRICT")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ScanMark(SQLModel, table=True):
    """How far a scan has looked: the next run starts there, so a stop never loses anything."""

    __tablename__ = "scan_mark"

    name: str = Field(primary_key=True, max_length=64)
    until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class SetAside(SQLModel, table=True):
    """A case whose evaluation raised: skipped until ``until`` so that it cannot stall every scan."""

    __tablename__ = "scan_set_aside"

    case_id: int = Field(primary_key=True, foreign_key="case_file.id", ondelete="CASCADE")
    until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    error: str = Field(default="", max_length=500)
