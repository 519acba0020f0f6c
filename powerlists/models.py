"""Departments, their power lists (versions), the items on them and the items' process steps."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, Numeric, String, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from powerlists.columns import UTCDateTime, utcnow


class DepartmentBase(SQLModel):
    code: str = Field(max_length=32, description="Stable code, unique in the region.")
    name: str = Field(max_length=200, description="Chinese name.")
    name_en: str = Field(default="", max_length=200, description="English name.")
    phone: str = Field(default="", max_length=64, description="Supervision phone (监督电话).")
    website: str = Field(default="", max_length=300)


class Department(DepartmentBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    parent_id: int | None = Field(default=None, foreign_key="department.id", ondelete="RESTRICT")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ListStatus(enum.StrEnum):
    draft = "draft"  # imported and checked, waiting for its publisher's click
    published = "published"  # in force from effective_from
    superseded = "superseded"  # a newer version has been published; still browsable


class PowerList(SQLModel, table=True):
    """One version of a department's power list."""

    __tablename__ = "power_list"
    __table_args__ = (
        # Two imports of one department racing for the same number: one wins, the other is refused.
        UniqueConstraint("department_id", "version", name="uq_power_list_department_version"),
        # "Which version was in force on day D?" (case pinning, public pages).
        Index("ix_power_list_in_force", "department_id", "status", "effective_from"),
    )

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id", ondelete="RESTRICT")
    version: int
    status: ListStatus = Field(sa_type=String(16))
    effective_from: date
    source_name: str = Field(default="", max_length=255)
    source_sha256: str = Field(default="", max_length=64)
    imported_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    imported_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    item_count: int = 0
    step_count: int = 0


class PowerItem(SQLModel, table=True):
    """A power on one version of a list. A revision copies every item into the new version."""

    __tablename__ = "power_item"
    __table_args__ = (
        UniqueConstraint("list_id", "code", name="uq_power_item_list_code"),
        # Public search and /powers/CODE look items up by code across versions.
        Index("ix_power_item_code", "code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="power_list.id", ondelete="CASCADE", index=True)
    position: int = Field(description="Order on the list, as in the source file.")
    code: str = Field(max_length=64)
    name: str = Field(max_length=500)
    category: str = Field(max_length=32)
    parent_code: str | None = Field(default=None, max_length=64)
    legal_basis: str = Field(default="", sa_type=Text)
    implementing_body: str = Field(default="", max_length=500)
    responsible_unit: str = Field(default="", max_length=500)
    statutory_value: int | None = None
    statutory_unit: str | None = Field(default=None, max_length=16)
    statutory_note: str = Field(default="", max_length=500)
    promised_value: int | None = None
    promised_unit: str | None = Field(default=None, max_length=16)
    promised_note: str = Field(default="", max_length=500)
    fee_text: str = Field(default="", sa_type=Text)
    no_fee: bool = False
    fee_amount: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
    supervision_phone: str = Field(default="", max_length=64)
    responsibilities: str = Field(default="", sa_type=Text)
    accountability: str = Field(default="", sa_type=Text)


class PowerStep(SQLModel, table=True):
    """A process step (环节) of an item."""

    __tablename__ = "power_step"
    __table_args__ = (UniqueConstraint("item_id", "seq", name="uq_power_step_item_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="power_item.id", ondelete="CASCADE", index=True)
    seq: int
    name: str = Field(max_length=200)
    limit_value: int | None = None
    limit_unit: str | None = Field(default=None, max_length=16)
    limit_note: str = Field(default="", max_length=500)
    role: str = Field(default="", max_length=200)
    mandatory: bool = True
