"""Cases, their steps and the append-only events that change them."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index, Numeric, String, Text, UniqueConstraint, text
from sqlmodel import Column, Field, SQLModel

from powerlists.columns import UTCDateTime


class CaseStatus(enum.StrEnum):
    open = "open"
    suspended = "suspended"
    decided = "decided"
    withdrawn = "withdrawn"


class Outcome(enum.StrEnum):
    approved = "approved"
    partially_approved = "partially_approved"
    rejected = "rejected"
    completed = "completed"


class SuspendReason(enum.StrEnum):
    hearing = "hearing"
    tender = "tender"
    auction = "auction"
    inspection = "inspection"
    testing = "testing"
    quarantine = "quarantine"
    appraisal = "appraisal"
    expert_review = "expert_review"
    supplement = "supplement"
    other = "other"  # does not stop the clock (Administrative Licensing Law art. 45 lists the others)


class EventType(enum.StrEnum):
    received = "received"
    accepted = "accepted"
    step_started = "step_started"
    step_completed = "step_completed"
    suspended = "suspended"
    resumed = "resumed"
    fee_charged = "fee_charged"
    decided = "decided"
    delivered = "delivered"
    withdrawn = "withdrawn"
    rating_code_issued = "rating_code_issued"  # the department gave the applicant a rating code
    rated = "rated"  # a rating (好差评): given on /rate, or collected by the department


def _empty_list() -> list[Any]:
    # Not `list` itself: pydantic inspects a default factory's signature on every construction,
    # and a builtin's costs ~120 µs against ~9 µs for a plain function (measured in ingestion).
    return []


def _empty_dict() -> dict[str, Any]:
    return {}


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


# Written out, not bound: SQLite uses a partial index only for a query that repeats its condition literally.
OPEN_CASES = text("status IN ('open', 'suspended')")


class Case(SQLModel, table=True):
    __tablename__ = "case_file"  # "case" is an SQL keyword
    __table_args__ = (
        UniqueConstraint("department_id", "ref", name="uq_case_department_ref"),
        # For the scheduler's deadline scan (tracker.flags.scans.deadline_scan): partial indexes over
        # open cases only, so that a scan reads the cases that just became due, not every open one.
        *(
            Index(f"ix_case_open_{column}", column, sqlite_where=OPEN_CASES, postgresql_where=OPEN_CASES)
            for column in ("promised_due_at", "statutory_due_at", "warn_at", "stall_at")
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id", ondelete="RESTRICT", index=True)
    ref: str = Field(max_length=100, description="The department system's own reference.")
    power_code: str = Field(max_length=64, description="The code the case was filed under, as reported.")
    # The item and list version in force on the day of receipt; None: the code was not on the list.
    power_item_id: int | None = Field(default=None, foreign_key="power_item.id", ondelete="RESTRICT")
    list_id: int | None = Field(default=None, foreign_key="power_list.id", ondelete="RESTRICT")
    status: CaseStatus = Field(default=CaseStatus.open, sa_type=String(16))
    outcome: str | None = Field(default=None, max_length=32)
    decision_reason: str = Field(default="", sa_type=Text)
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    accepted_at: datetime | None = _ts()
    decided_at: datetime | None = _ts()
    delivered_at: datetime | None = _ts()
    withdrawn_at: datetime | None = _ts()
    fee_charged: Decimal = Field(default=Decimal("0"), sa_type=Numeric(14, 2))
    # Personal data: never on public pages, in public exports or in logs.
    applicant: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Stored deadlines (recomputed by every event that changes them).
    promised_due_at: datetime | None = _ts()
    statutory_due_at: datetime | None = _ts()
    deadlines_provisional: bool = False
    # When the scheduler warns (due_soon) and when the case counts as stalled, from the thresholds.
    warn_at: datetime | None = _ts()
    stall_at: datetime | None = _ts()
    suspended_since: datetime | None = _ts()
    suspended_lawfully: bool = False
    suspensions: list[list[Any]] = Field(
        default_factory=_empty_list,
        sa_column=Column(JSON, nullable=False),
        description="[start, end|null, lawful]",
    )
    last_event_at: datetime | None = _ts()


RUNNING_STEPS = text("completed_at IS NULL")


class CaseStep(SQLModel, table=True):
    __tablename__ = "case_step"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_case_step_case_seq"),
        # For the scheduler's deadline scan (tracker.flags.scans.deadline_scan): steps still running.
        Index(
            "ix_case_step_running_due",
            "due_at",
            sqlite_where=RUNNING_STEPS,
            postgresql_where=RUNNING_STEPS,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", ondelete="CASCADE", index=True)
    seq: int
    name: str = Field(default="", max_length=200)
    mandatory: bool = True
    limit_value: int | None = None
    limit_unit: str | None = Field(default=None, max_length=16)
    started_at: datetime | None = _ts()
    completed_at: datetime | None = _ts()
    due_at: datetime | None = _ts()


class CaseEvent(SQLModel, table=True):
    """An event as received. Never updated or deleted: a correction is a new event."""

    __tablename__ = "case_event"
    __table_args__ = (
        # Re-sending the same source id is a no-op (reported as duplicate).
        UniqueConstraint("department_id", "source_id", name="uq_case_event_source"),
        Index("ix_case_event_case_at", "case_id", "at"),
        # For the irregularity scan (tracker.flags.scans.event_scan): events stored since its last run.
        Index("ix_case_event_ingested_at", "ingested_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", ondelete="CASCADE")
    department_id: int = Field(foreign_key="department.id", ondelete="RESTRICT")
    type: EventType = Field(sa_type=String(32))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ingested_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    source_id: str | None = Field(default=None, max_length=100)
    channel: str = Field(default="api", max_length=16, description="api, file or form")
    data: dict[str, Any] = Field(default_factory=_empty_dict, sa_column=Column(JSON, nullable=False))
