"""The supervision rules' thresholds: declared once with their defaults, overridable per item.

They live in the database (table ``flag_threshold``) so that an admin can change them without a
deployment; every flag records the values it was raised with. Ingestion reads them too: the
moments a case becomes "due soon" or "stalled" are stored on the case, so that the scheduler
finds them by index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlmodel import Field, Session, SQLModel, UniqueConstraint, col, select

from powerlists.messages import N_


@dataclass(frozen=True)
class Threshold:
    name: str
    default: int
    unit: str  # "workdays", "hours", "cases", "weight" or "percent"
    help: str
    per_item: bool  # an admin may set it for one power item


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(
        "warning_workdays",
        1,
        "workdays",
        N_("Warn this many working days before the promised deadline (0: on the due date only)."),
        per_item=True,
    ),
    Threshold(
        "stall_workdays",
        10,
        "workdays",
        N_("Flag an open case with no event for this many working days."),
        per_item=True,
    ),
    Threshold(
        "explanation_workdays",
        3,
        "workdays",
        N_("Working days a department has to answer a request for an explanation."),
        per_item=False,
    ),
    Threshold(
        "rectification_workdays",
        15,
        "workdays",
        N_("Working days a department has to rectify a confirmed violation."),
        per_item=False,
    ),
    Threshold(
        "bad_review_workdays",
        15,
        "workdays",
        N_("Working days a department has to follow up a bad review (差评整改) and publish its reply."),
        per_item=False,
    ),
    Threshold(
        "complaint_workdays",
        5,
        "workdays",
        N_("Working days supervisors have to accept or decline a complaint (投诉)."),
        per_item=False,
    ),
    Threshold(
        "backdate_tolerance_hours",
        24,
        "hours",
        N_("Flag an event recorded more than this many hours after it says it happened."),
        per_item=False,
    ),
    # The scorecards' grading (published on every scorecard with how it was computed).
    Threshold(
        "ranking_min_cases",
        30,
        "cases",
        N_("Rank and grade a department only with at least this many decided cases in the period."),
        per_item=False,
    ),
    Threshold(
        "weight_on_time_promised",
        40,
        "weight",
        N_("Weight of the on-time rate against the promised limit in the quarterly score."),
        per_item=False,
    ),
    Threshold(
        "weight_on_time_statutory",
        40,
        "weight",
        N_("Weight of the on-time rate against the statutory limit in the quarterly score."),
        per_item=False,
    ),
    Threshold(
        "weight_rectified",
        20,
        "weight",
        N_("Weight of the share of confirmed violations rectified on time in the quarterly score."),
        per_item=False,
    ),
    Threshold(
        "weight_satisfaction",
        20,
        "weight",
        N_("Weight of citizens' satisfaction (the share of ratings of 4 or 5) in the quarterly score."),
        per_item=False,
    ),
    Threshold(
        "complaint_deduction",
        2,
        "points",
        N_("Points taken off the quarterly score (0–100) for each complaint upheld in the period."),
        per_item=False,
    ),
    Threshold(
        "grade_excellent",
        95,
        "percent",
        N_("Lowest score (0–100) graded excellent (优秀)."),
        per_item=False,
    ),
    Threshold("grade_good", 85, "percent", N_("Lowest score (0–100) graded good (良好)."), per_item=False),
    Threshold("grade_pass", 70, "percent", N_("Lowest score (0–100) graded pass (合格)."), per_item=False),
)
BY_NAME = {t.name: t for t in THRESHOLDS}


MAX_ITEM_CODE = 64  # as PowerItem.code


class FlagThreshold(SQLModel, table=True):
    """A value an admin set: for every item (``item_id`` None) or for one power item."""

    __tablename__ = "flag_threshold"
    __table_args__ = (UniqueConstraint("name", "item_code", name="uq_flag_threshold_name_item"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    # The item's code rather than a PowerItem row: a setting outlives list revisions. "" = all items.
    item_code: str = Field(default="", max_length=MAX_ITEM_CODE)
    value: int


@dataclass(frozen=True)
class Thresholds:
    """The values in force: admin settings over the defaults."""

    general: Mapping[str, int] = field(default_factory=dict)
    by_item: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (name, item code) → value

    def value(self, name: str, item_code: str | None = None) -> int:
        if item_code is not None and (name, item_code) in self.by_item:
            return self.by_item[(name, item_code)]
        return self.general.get(name, BY_NAME[name].default)

    def for_item(self, item_code: str | None) -> dict[str, int]:
        """Every threshold's value for one item (what a flag records)."""
        return {t.name: self.value(t.name, item_code) for t in THRESHOLDS}


DEFAULTS = Thresholds()


def load_thresholds(db: Session) -> Thresholds:
    general: dict[str, int] = {}
    by_item: dict[tuple[str, str], int] = {}
    for row in db.exec(select(FlagThreshold)):
        if row.name not in BY_NAME:
            continue  # a threshold this version no longer has
        if row.item_code:
            by_item[(row.name, row.item_code)] = row.value
        else:
            general[row.name] = row.value
    return Thresholds(general, by_item)


# A threshold past these is a typo, not a policy: a year of working days, a month of hours.
MAXIMUM = {"workdays": 250, "hours": 720, "cases": 100_000, "weight": 100, "percent": 100, "points": 100}


class ThresholdError(ValueError):
    """A value an admin cannot set; the message names the field (translatable, with arguments)."""

    def __init__(self, field: str, message: str, **args: object) -> None:
        self.field, self.message, self.args_ = field, message, args
        super().__init__(message % args if args else message)


def set_threshold(db: Session, name: str, value: int, item_code: str = "") -> FlagThreshold:
    """Set a threshold for every item (``item_code`` "") or for one item, replacing what was there."""
    threshold = BY_NAME.get(name)
    if threshold is None:
        raise ThresholdError("name", N_("There is no threshold %(name)r."), name=name)
    item_code = item_code.strip()
    if item_code and not threshold.per_item:
        raise ThresholdError("item_code", N_("%(name)s cannot be set per item."), name=name)
    if len(item_code) > MAX_ITEM_CODE:
        raise ThresholdError(
            "item_code", N_("A power code has at most %(max)d characters."), max=MAX_ITEM_CODE
        )
    if not 0 <= value <= MAXIMUM[threshold.unit]:
        raise ThresholdError(
            "value", N_("The value must be between 0 and %(max)d."), max=MAXIMUM[threshold.unit]
        )
    row = db.exec(
        select(FlagThreshold).where(FlagThreshold.name == name, FlagThreshold.item_code == item_code)
    ).first()
    if row is None:
        row = FlagThreshold(name=name, item_code=item_code, value=value)
    else:
        row.value = value
    db.add(row)
    db.flush()
    return row


def remove_threshold(db: Session, threshold_id: int) -> FlagThreshold | None:
    """Back to the general value (for an item) or the default; returns what was removed."""
    row = db.get(FlagThreshold, threshold_id)
    if row is not None:
        db.delete(row)
        db.flush()
    return row


def threshold_rows(db: Session) -> list[FlagThreshold]:
    return list(
        db.exec(select(FlagThreshold).order_by(col(FlagThreshold.name), col(FlagThreshold.item_code)))
    )
