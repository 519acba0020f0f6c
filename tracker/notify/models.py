"""The inbox, the outbox and the subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from powerlists.columns import UTCDateTime


class Notification(SQLModel, table=True):
    """A message in one user's inbox. ``key`` names the event: one message per recipient and event.

    ``subject`` and ``body`` are English message ids with ``%(name)s`` places filled from ``args``
    when shown, so each reader sees them in their own language.
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_notification_user_key"),
        Index("ix_notification_user_read", "user_id", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    key: str = Field(max_length=200, description="e.g. reminder:flag:12:explanation:2026-11-27")
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=Text)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    link: str = Field(default="", max_length=500, description="A path on this site, e.g. /flags/12.")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class OutboxMessage(SQLModel, table=True):
    """An e-mail waiting to be sent (or sent): retried until the SMTP server accepts it.

    Written in the site's language (TRACKER_LANGUAGE) when queued.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", ondelete="CASCADE", unique=True)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_error: str = Field(default="", max_length=500)


class Subscription(SQLModel, table=True):
    """A supervisor follows new flags of one department (or all: 0) and one kind (or all: '')."""

    __tablename__ = "subscription"
    __table_args__ = (
        UniqueConstraint("user_id", "department_id", "kind", name="uq_subscription_user_dept_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    # 0 and '' (not NULL) mean "all": NULLs never collide in a unique key.
    department_id: int = Field(default=0)
    kind: str = Field(default="", max_length=32)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
