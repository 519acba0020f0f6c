"""The rollup tables the scheduler refreshes; pages read these, never the raw cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Column, Field, SQLModel

from powerlists.columns import UTCDateTime

ALL_ITEMS = ""  # power_code of a department's whole row


class CaseRollup(SQLModel, table=True):
    """One department's cases and flags of one local month, per power item and in all (``''``)."""

    __tablename__ = "rollup_month"

    department_id: int = Field(primary_key=True, foreign_key="department.id", ondelete="CASCADE")
    power_code: str = Field(primary_key=True, max_length=64)
    month: str = Field(primary_key=True, max_length=7, description="YYYY-MM, local time")
    received: int = 0
    decided: int = 0
    # Decided cases that had the deadline, and those decided by it.
    promised_n: int = 0
    promised_on_time: int = 0
    statutory_n: int = 0
    statutory_on_time: int = 0
    # Working days from acceptance to decision, lawful suspensions excluded: their histogram
    # {"days": cases} (medians and percentiles of any period), and for the speed-up the sums over
    # the decided cases whose statutory limit is in working days.
    workdays: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    speed_n: int = 0
    speed_used: int = 0
    speed_limit: int = 0
    step_overruns: int = 0  # steps due this month finished late, or still running past their deadline
    flags_warning: int = 0
    flags_yellow: int = 0
    flags_red: int = 0
    violations: int = 0  # flags detected this month that supervisors confirmed
    rectified_on_time: int = 0  # of those, rectification reported by its deadline and accepted
    # Citizens' ratings given this month (好差评): all, very satisfied or satisfied, bad (1–2); of
    # the bad ones, those whose follow-up deadline has passed or that were followed up, and those
    # followed up by the deadline.
    rated: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    satisfied: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    bad_reviews: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    bad_due: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    bad_on_time: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Complaints received this month (投诉), and of those, the ones whose review confirmed a violation.
    complaints: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    complaints_upheld: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class OpenRollup(SQLModel, table=True):
    """A department's open cases by how far past their statutory (else promised) deadline they are."""

    __tablename__ = "rollup_open"

    department_id: int = Field(primary_key=True, foreign_key="department.id", ondelete="CASCADE")
    power_code: str = Field(primary_key=True, max_length=64)
    within: int = 0
    overdue_1_5: int = 0
    overdue_6_20: int = 0
    overdue_over_20: int = 0
    as_of: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Scorecard(SQLModel, table=True):
    """The figures of a department (0: the whole region) and item ('' for all) over a period,
    computed from the rollups at each refresh: a page reads one row, a ranking one row per department."""

    __tablename__ = "scorecard"

    department_id: int = Field(primary_key=True)
    power_code: str = Field(primary_key=True, max_length=64)
    period: str = Field(primary_key=True, max_length=16, description="2026-Q1, 2026-03, 2026 or R12")
    decided: int = 0
    on_time_promised: float | None = None  # for sorting the ranking in SQL
    rank: int | None = None  # among the departments with enough decided cases
    grade: str | None = Field(default=None, max_length=16)
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    refreshed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
