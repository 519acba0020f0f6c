"""A year of demo cases, reported through the same ingestion as real departments' systems.

Deterministic (seeded per department), realistic on average: most cases are handled within the
promise, some break it, a few break the statutory limit, some are suspended for testing or
hearings, some are still open, a few are filed under powers not on the list.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func
from sqlmodel import col, select

from powerlists.columns import utcnow
from powerlists.importer import latest_published, load_items
from powerlists.models import Department
from powerlists.validate import ItemData
from tracker.calendar import WorkCalendar
from tracker.calendar_store import load_calendar
from tracker.cases.ingest import EventResult, ingest
from tracker.cases.models import Case
from tracker.db import session_factory
from tracker.ratings.codes import ALPHABET, GENERATED_LENGTH
from tracker.sla import add_working_days

DAYS = 365
BATCH = 1000


def _working_days_for(limit_value: int | None, unit: str | None, rng: random.Random) -> int:
    """How long a step or a case takes, in working days, around its limit."""
    base = limit_value or 0
    if unit in (None, "immediate", "hour"):
        return 0
    if unit == "day":
        base = max(1, base * 5 // 7)
    elif unit == "month":
        base = base * 21
    roll = rng.random()
    if roll < 0.04:
        return base + rng.randint(1, 5)  # late
    return max(0, int(base * rng.uniform(0.2, 0.95)))


def _at(day: date, rng: random.Random, tz: ZoneInfo, earliest: int = 9) -> datetime:
    return datetime.combine(day, time(rng.randint(earliest, 16), rng.randint(0, 59)), tzinfo=tz)


def _case_events(
    ref: str,
    item: ItemData,
    received: date,
    rng: random.Random,
    cal: WorkCalendar,
    tz: ZoneInfo,
    now: datetime,
) -> Iterator[dict[str, Any]]:
    """The events of one case, stopping at ``now`` (later ones have not happened yet)."""
    events: list[dict[str, Any]] = []
    last: list[datetime] = []

    def add(event_type: str, at: datetime, chance: random.Random = rng, **extra: Any) -> None:
        # A case's events happen in the order they are reported.
        if last and at <= last[-1]:
            at = last[-1] + timedelta(minutes=7)
        last.append(at)
        # Systems record an event minutes after it happens; now and then one is entered days later.
        late = (
            timedelta(days=chance.randint(2, 5))
            if chance.random() < 0.004
            else timedelta(minutes=chance.randint(1, 30))
        )
        events.append(
            {
                "case": ref,
                "type": event_type,
                "at": at.isoformat(),
                "recorded_at": min(at + late, now).isoformat(),
                "id": f"{ref}/{len(events)}",
                **extra,
            }
        )

    clock = _at(received, rng, tz)
    add("received", clock, power=item.code)
    clock += timedelta(minutes=rng.randint(10, 90))
    add("accepted", clock)
    day = clock.date()
    # A few irregularities for the supervisors to find: fees above the list's, or where it says none.
    if item.fee_amount:
        over = Decimal(50) if rng.random() < 0.02 else Decimal(0)
        add("fee_charged", clock + timedelta(minutes=5), amount=str(item.fee_amount + over))
    elif item.no_fee and rng.random() < 0.005:
        add("fee_charged", clock + timedelta(minutes=5), amount="20")
    statutory = item.statutory_limit
    suspend = rng.random() < 0.08 and statutory is not None and statutory.unit == "workday"
    for step in item.steps:
        took = _working_days_for(
            step.limit.value if step.limit else None, step.limit.unit if step.limit else None, rng
        )
        add("step_started", _at(day, rng, tz), step=step.seq)
        if suspend and step.seq == 2:
            start = _at(day, rng, tz)
            lawful = rng.choice(["testing", "inspection", "hearing", "expert_review"])
            add("suspended", start, reason="other" if rng.random() < 0.1 else lawful)
            day, _walk = add_working_days(cal, day, rng.randint(2, 6))
            add("resumed", _at(day, rng, tz))
        day, _walk = add_working_days(cal, day, took)
        if step.seq < len(item.steps) and rng.random() >= 0.01:  # now and then a step goes unreported
            add("step_completed", _at(day, rng, tz, earliest=13), step=step.seq)
    if not item.steps and statutory is not None:
        day, _walk = add_working_days(cal, day, _working_days_for(statutory.value, statutory.unit, rng))
    roll = rng.random()
    if roll < 0.03:
        add("withdrawn", _at(day, rng, tz, earliest=13), note="申请人撤回申请")
    else:
        outcome = "approved" if roll < 0.86 else ("partially_approved" if roll < 0.92 else "rejected")
        reason = "申请材料不符合法定条件" if outcome == "rejected" and rng.random() < 0.8 else ""
        decided = _at(day, rng, tz, earliest=14)
        add("decided", decided, outcome=outcome, reason=reason)
        delivered, _walk = add_working_days(cal, day, rng.randint(1, 3))
        add("delivered", _at(delivered, rng, tz))
        # A generator of their own, so that ratings leave the rest of the demo as it was.
        _rating_events(add, decided, random.Random(f"demo-ratings-{ref}"))  # noqa: S311 - demo data
    for event in events:
        if datetime.fromisoformat(event["at"]) <= now:
            yield event


# What applicants say (好差评): mostly content, now and then not, sometimes with what should not
# be published (masked before it is).
_PRAISE = ["办理很快，窗口人员耐心指导", "一次就办好了，点赞", "网上提交材料很方便", "工作人员服务热情"]
_COMPLAINTS = [
    "材料被退回两次，每次说法不一样",
    "等了很久没人处理，打电话13812345678问也没结果",
    "窗口王科长态度很差",
    "要求提供的证明太多，跑了三趟",
]
_LEVELS = (5, 5, 5, 5, 5, 5, 4, 4, 4, 3, 3, 2, 1)
_CHANNELS = ("window", "window", "mobile", "self_service", "sms", "online")


def _rating_events(add: Callable[..., None], decided: datetime, rng: random.Random) -> None:
    """A code for most applicants; a rating from about half of them, days after the decision
    (``rng`` is the case's own for ratings, so that the rest of the demo stays as it was)."""
    if rng.random() < 0.6:
        code = "".join(rng.choice(ALPHABET) for _ in range(GENERATED_LENGTH))
        add("rating_code_issued", decided + timedelta(minutes=3), rng, code=code)
    if rng.random() < 0.5:
        level = rng.choice(_LEVELS)
        comment = ""
        if rng.random() < 0.4 or level <= 2:
            comment = rng.choice(_COMPLAINTS if level <= 2 else _PRAISE)
        add(
            "rated",
            decided + timedelta(days=rng.randint(0, 6), hours=rng.randint(1, 8)),
            rng,
            level=level,
            channel=rng.choice(_CHANNELS),
            **({"comment": comment} if comment else {}),
            **({"attitude": max(1, level - rng.randint(0, 1))} if rng.random() < 0.5 else {}),
        )


def department_events(
    department: Department, items: list[ItemData], cal: WorkCalendar, tz: ZoneInfo, now: datetime
) -> list[dict[str, Any]]:
    rng = random.Random(f"demo-cases-{department.code}")  # noqa: S311 - reproducible demo data, not secrets
    today = now.astimezone(tz).date()
    out: list[dict[str, Any]] = []
    for number, item in enumerate(items):
        per_year = rng.randint(8, 30) if item.steps else rng.randint(3, 10)
        for n in range(per_year):
            received = today - timedelta(days=rng.randint(1, DAYS))
            while not cal.is_working_day(received):
                received -= timedelta(days=1)
            ref = f"{department.code.upper()}-{received:%Y%m%d}-{number:03d}{n:03d}"
            out.extend(_case_events(ref, item, received, rng, cal, tz, now))
    # A few cases under powers that are not on the list (the scheduler flags them).
    for n in range(rng.randint(0, 2)):
        received = today - timedelta(days=rng.randint(5, 200))
        ref = f"{department.code.upper()}-X{n:03d}"
        out.append(
            {
                "case": ref,
                "type": "received",
                "at": _at(received, rng, tz).isoformat(),
                "power": f"{department.code.upper()}-QT-999",
                "id": f"{ref}/0",
            }
        )
    out.sort(key=lambda e: e["at"])
    return out


def build_demo_cases(
    engine: Engine, tz: ZoneInfo, progress: Callable[[str], None] = print, only: set[str] | None = None
) -> int:
    """Report a year of cases for every city department (or those in ``only``) that has none yet;
    returns the number of events stored."""
    now = utcnow()
    stored = 0
    rejected: list[EventResult] = []
    with session_factory(engine)() as db:
        cal = load_calendar(db)
        stmt = select(Department).where(col(Department.parent_id).is_(None))
        if only is not None:
            stmt = stmt.where(col(Department.code).in_(only))
        departments = db.exec(stmt).all()
        for department in departments:
            has_cases = db.exec(
                select(func.count()).select_from(Case).where(Case.department_id == department.id)
            ).one()
            power_list = latest_published(db, department.id)  # type: ignore[arg-type]
            if has_cases or power_list is None:
                continue
            events = department_events(department, load_items(db, power_list.id), cal, tz, now)  # type: ignore[arg-type]
            for start in range(0, len(events), BATCH):
                assert department.id is not None
                batch = events[start : start + BATCH]
                results = ingest(db, department.id, batch, now=now, channel="api", cal=cal, tz=tz)
                stored += sum(1 for r in results if r.status == "stored")
                rejected += [r for r in results if r.status == "rejected"]
                db.commit()
    progress(f"cases: {stored:,} events stored, {len(rejected)} rejected")
    return stored
