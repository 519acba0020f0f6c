"""The public export of a department's cases: what happened and when, never who asked.

Cases are chosen by the local date they were received (TRACKER_TIMEZONE), both ends included.
The applicant, the decision's reasons and event notes are personal or free text and are never
read here: only codes, times, statuses, deadlines and the fee. Rows are read as plain Core rows,
a chunk at a time, so a department's whole history exports in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select
from sqlmodel import Session

from powerlists.messages import N_
from powerlists.models import PowerItem
from tracker.calendar import WorkCalendar
from tracker.cases.models import Case
from tracker.deadlines import stored_suspensions, workdays_used
from tracker.exports.tables import CASE, DEPARTMENT, Field

CHUNK = 2_000  # rows fetched at a time

_case: Table = Case.__table__  # type: ignore[attr-defined]
_item: Table = PowerItem.__table__  # type: ignore[attr-defined]

FIELDS: tuple[Field, ...] = (
    CASE,
    DEPARTMENT,
    Field(
        "power_code",
        N_("Power code"),
        N_("The code of the power the case was filed under, as the department reported it."),
    ),
    Field(
        "power_name",
        N_("Power name"),
        N_(
            "The power's name on the department's list in force on the day of receipt; empty when the"
            " code is not on it."
        ),
    ),
    Field(
        "on_list",
        N_("On the list"),
        N_(
            "Whether the power was on the department's published list on the day of receipt: "
            "exercising a power not on the list is an irregularity in itself."
        ),
        "boolean",
    ),
    Field("received_at", N_("Received"), N_("When the application was received (local time)."), "datetime"),
    Field(
        "accepted_at",
        N_("Accepted"),
        N_(
            "When the application was accepted (local time); the deadlines run from here, or from "
            "receipt when it is empty."
        ),
        "datetime",
    ),
    Field(
        "decided_at",
        N_("Decided"),
        N_("When the decision was made (local time); empty until then."),
        "datetime",
    ),
    Field(
        "status",
        N_("Status"),
        N_("open; suspended (the clock stopped, e.g. for a hearing or testing); decided; withdrawn."),
    ),
    Field(
        "outcome",
        N_("Outcome"),
        N_("approved, partially_approved, rejected or completed; empty until decided."),
    ),
    Field(
        "promised_due_at",
        N_("Promised deadline"),
        N_(
            "The end of the department's promised time limit (承诺期限), moved by lawful suspensions; "
            "empty when the power has none."
        ),
        "datetime",
    ),
    Field(
        "statutory_due_at",
        N_("Statutory deadline"),
        N_(
            "The end of the time limit set by law (法定期限), moved by lawful suspensions; empty when the"
            " power has none."
        ),
        "datetime",
    ),
    Field(
        "deadlines_provisional",
        N_("Deadlines provisional"),
        N_(
            "True when a deadline runs into a year whose official holiday calendar is not published "
            "yet: the date may still move."
        ),
        "boolean",
    ),
    Field(
        "promised_on_time",
        N_("Decided within the promise"),
        N_(
            "For a decided case with a promised deadline: whether the decision came by it. Empty "
            "while open, when withdrawn, or without a promised limit."
        ),
        "boolean",
    ),
    Field(
        "statutory_on_time",
        N_("Decided within the statutory limit"),
        N_(
            "For a decided case with a statutory deadline: whether the decision came by it. Empty "
            "while open, when withdrawn, or without a statutory limit."
        ),
        "boolean",
    ),
    Field(
        "workdays_used",
        N_("Working days used"),
        N_(
            "For a decided case: the working days from acceptance (or receipt) to the decision, the "
            "first day not counted, less the days lawful suspensions stopped the clock "
            "(Administrative Licensing Law art. 45)."
        ),
        "integer",
    ),
    Field(
        "fee_charged", N_("Fee charged (yuan)"), N_("The fees the department reported charging."), "decimal"
    ),
)


def local_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants from local midnight of ``first`` to local midnight after ``last``."""
    return (
        datetime.combine(first, time(), tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time(), tzinfo=tz),
    )


def _local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    # Whole seconds: a deadline ends at 23:59:59.999999, which a spreadsheet would round to midnight.
    return value.astimezone(tz).replace(microsecond=0) if value is not None else None


def _on_time(decided_at: datetime | None, due_at: datetime | None) -> bool | None:
    if decided_at is None or due_at is None:
        return None
    return decided_at <= due_at


def case_rows(
    db: Session,
    department_id: int,
    department_code: str,
    first: date,
    last: date,
    tz: ZoneInfo,
    cal: WorkCalendar,
) -> Iterator[tuple[object, ...]]:
    """The export rows (in the order of FIELDS) of the cases received from ``first`` to ``last``."""
    start, end = local_bounds(first, last, tz)
    c = _case.c
    query = (
        select(
            c.ref,
            c.power_code,
            c.power_item_id,
            _item.c.name,
            c.received_at,
            c.accepted_at,
            c.decided_at,
            c.status,
            c.outcome,
            c.promised_due_at,
            c.statutory_due_at,
            c.deadlines_provisional,
            c.suspensions,
            c.fee_charged,
        )
        .select_from(_case.outerjoin(_item, _item.c.id == c.power_item_id))
        .where(c.department_id == department_id, c.received_at >= start, c.received_at < end)
        .order_by(c.received_at, c.id)
        # A server-side cursor on PostgreSQL: rows arrive a chunk at a time, not all at once.
        .execution_options(stream_results=True, yield_per=CHUNK)
    )
    # Unpacked by position: attribute access on 100,000 rows is a measurable share of an export.
    for (
        ref,
        power_code,
        power_item_id,
        name,
        received,
        accepted,
        decided,
        status,
        outcome,
        promised_due,
        statutory_due,
        provisional,
        suspensions,
        fee,
    ) in db.execute(query):
        used = None
        if decided is not None:
            used = workdays_used(accepted or received, decided, stored_suspensions(suspensions), cal, tz)
        yield (
            ref,
            department_code,
            power_code,
            name,
            power_item_id is not None,
            _local(received, tz),
            _local(accepted, tz),
            _local(decided, tz),
            status,
            outcome,
            _local(promised_due, tz),
            _local(statutory_due, tz),
            provisional,
            _on_time(decided, promised_due),
            _on_time(decided, statutory_due),
            used,
            fee,
        )
