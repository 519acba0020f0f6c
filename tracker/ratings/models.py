"""Citizen ratings (好差评): rating codes, ratings and their follow-ups."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from powerlists.columns import UTCDateTime


class Level(enum.IntEnum):
    """The national five levels; 1 and 2 are bad reviews (差评)."""

    very_satisfied = 5  # 非常满意
    satisfied = 4  # 满意
    fairly_satisfied = 3  # 基本满意
    dissatisfied = 2  # 不满意
    very_dissatisfied = 1  # 非常不满意


BAD_LEVELS = (Level.dissatisfied, Level.very_dissatisfied)
DIMENSIONS = ("efficiency", "guidance", "convenience", "attitude")


class Channel(enum.StrEnum):
    """Where a rating was given: ``web`` is /rate; the others come from departments through the API."""

    web = "web"  # the citizen on /rate, with the code
    window = "window"  # a rating device at the service window
    self_service = "self_service"  # a self-service terminal
    mobile = "mobile"  # the department's app or mini-program
    phone = "phone"  # a telephone follow-up
    sms = "sms"  # a reply to a text message
    online = "online"  # the department's own website


class RatingKind(enum.StrEnum):
    rating = "rating"  # the rating of the case: once per case
    follow_up = "follow_up"  # the citizen's verdict on the rectification of a bad review: once


class RatingCode(SQLModel, table=True):
    """The code that lets the applicant of a decided case rate it, kept only as a hash.

    One per case; while unused it may be issued again (a lost slip), which replaces the old one.
    """

    __tablename__ = "rating_code"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", ondelete="CASCADE", unique=True)
    department_id: int = Field(foreign_key="department.id", ondelete="RESTRICT", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    issued_via: str = Field(max_length=16, description="api (the department's system) or web (the case page)")
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Rating(SQLModel, table=True):
    """A rating of a decided case, or the follow-up verdict on a bad review's rectification."""

    __tablename__ = "rating"
    __table_args__ = (UniqueConstraint("case_id", "kind", name="uq_rating_case_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", ondelete="CASCADE")
    department_id: int = Field(foreign_key="department.id", ondelete="RESTRICT", index=True)
    power_item_id: int | None = Field(default=None, foreign_key="power_item.id", ondelete="RESTRICT")
    power_code: str = Field(max_length=64)
    kind: RatingKind = Field(default=RatingKind.rating, sa_type=String(16))
    level: int | None = Field(default=None, description="1–5 (ratings); None for a follow-up")
    satisfied: bool | None = Field(default=None, description="A follow-up's verdict; None for ratings")
    efficiency: int | None = None
    guidance: int | None = None
    convenience: int | None = None
    attitude: int | None = None
    # Personal data may be in it: seen by the department and supervisors only, never published.
    comment: str = Field(default="", sa_type=Text)
    # The comment with personal data masked: what the public may see once it is not hidden.
    comment_public: str = Field(default="", sa_type=Text)
    masked: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    channel: Channel = Field(sa_type=String(16))
    rated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    follows_id: int | None = Field(default=None, foreign_key="rating.id", ondelete="RESTRICT")
    hidden_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    hidden_by: int | None = Field(default=None, foreign_key="user.id", ondelete="RESTRICT")
    hidden_reason: str = Field(default="", sa_type=Text)

    @property
    def bad(self) -> bool:
        return self.level is not None and self.level <= Level.dissatisfied


class RatingInvitation(SQLModel, table=True):
    """A decided case left unrated for three days: one reminder, recorded once.

    Sending it (a text message with the code) is the department system's job: it reads them from
    ``/api/v1/rating-invitations``, after the last id it has seen.
    """

    __tablename__ = "rating_invitation"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", ondelete="CASCADE", unique=True)
    department_id: int = Field(foreign_key="department.id", ondelete="RESTRICT", index=True)
    decided_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    invited_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReviewStatus(enum.StrEnum):
    open = "open"  # the department has not reported its follow-up yet
    rectified = "rectified"  # it has: what it did (private) and its public reply


class BadReview(SQLModel, table=True):
    """A bad review (差评) the department must follow up by ``due_at``: contact the citizen, record
    what it did, publish a reply. The citizen may then give a verdict with the same code (a
    ``follow_up`` rating that ``follows`` the bad one)."""

    __tablename__ = "bad_review"

    id: int | None = Field(default=None, primary_key=True)
    rating_id: int = Field(foreign_key="rating.id", ondelete="CASCADE", unique=True)
    case_id: int = Field(foreign_key="case_file.id", ondelete="CASCADE")
    department_id: int = Field(foreign_key="department.id", ondelete="RESTRICT", index=True)
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    status: ReviewStatus = Field(default=ReviewStatus.open, sa_type=String(16))
    contacted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    action: str = Field(default="", sa_type=Text, description="What the department did: not published.")
    reply: str = Field(default="", sa_type=Text, description="The department's public reply, masked.")
    rectified_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    rectified_by: int | None = Field(default=None, foreign_key="user.id", ondelete="RESTRICT")
