"""Departments and (in later modules) their power lists."""

from __future__ import annotations

from datetime import datetime

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
