"""The large demo's million cases, written in bulk.

Ingestion applies about 8,000 events/s, which would take a quarter of an hour for the six million
events of a million cases. So the cases, their steps and their events are written directly, as
the rows ingestion would have stored for the same events (reported by file): the same columns and
values, the deadlines by the same rules (``tracker.sla.due`` under the clock rules of
``tracker.deadlines``). tests/test_demo_bulk.py re-ingests the events and compares the rows.

A year of cases, as in ``tracker.demo_cases`` but simpler (no suspensions, fees or step starts):
most decided within the promise, a few late, about 1% past the statutory limit, some rejected,
a few withdrawn, the recent ones still open. Deterministic: case ``n`` follows from the seed of
its chunk, so that a run that stopped part-way is completed by the next one.

Making the rows costs twice as much as writing them, so worker processes make chunks of cases
(bound for the database, see ``tracker.bulk.bind``) while this process writes them, one
transaction a chunk, in order.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func
from sqlalchemy.engine import Dialect
from sqlmodel import Session, col, select

from powerlists.columns import utcnow
from powerlists.importer import version_in_force
from powerlists.limits import Limit, Unit
from powerlists.models import Department, PowerItem, PowerStep
from tracker.audit.chain import Change, append, canonical
from tracker.bulk import Bound, allocate_ids, bind, insert_bound
from tracker.calendar import WorkCalendar
from tracker.calendar_store import load_calendar
from tracker.cases.events import EventIn
from tracker.cases.models import Case, CaseEvent, CaseStatus, CaseStep, EventType, Outcome
from tracker.db import session_factory
from tracker.deadlines import stalled_from, warning_from
from tracker.demo import LARGE_CASES
from tracker.demo_cases import DAYS, _at, _working_days_for
from tracker.sla import add_working_days, due, working_day_before
from tracker.thresholds import load_thresholds

# Refs of the small demo start with the department's code; these never collide with them.
PREFIX = "L-"
CHUNK = 25_000  # cases per transaction: large enough to amortise a commit, small enough for memory
MAX_WORKERS = 3  # more make chunks faster than one process writes them
WITHDRAWN = 0.03
PAST_STATUTORY = 0.007  # on top of the few that take long enough under a statutory-only limit
WITHDRAWAL_NOTE = "申请人撤回申请"
REJECTION_REASON = "申请材料不符合法定条件"
CHANNEL = "file"
RECORDING_DELAY = timedelta(minutes=5)
_NONE: tuple[None, bool] = (None, False)  # no limit, no deadline


@dataclass(frozen=True)
class _Step:
    seq: int
    name: str
    mandatory: bool
    limit_value: int | None
    limit_unit: str | None
    limit: Limit | None
    completed: dict[str, Any]  # the data of its "step_completed" event


@dataclass(frozen=True)
class _Item:
    """A power-list item with everything a case under it needs, read once."""

    department_id: int
    ref_prefix: str
    item_id: int
    list_id: int
    code: str
    statutory: Limit | None
    promised: Limit | None
    steps: tuple[_Step, ...]
    warn_workdays: int
    stall_workdays: int
    received: dict[str, Any]  # the data of its cases' "received" event


@dataclass(frozen=True)
class _Clock:
    """The calendar and the moment the cases are made at."""

    cal: WorkCalendar
    tz: ZoneInfo
    now: datetime
    today: date
    # Remembered answers: a million cases ask about the same few hundred days.
    _last_working: dict[date, date] = field(default_factory=dict)
    _ends: dict[tuple[date, Limit], tuple[datetime, bool]] = field(default_factory=dict)

    def on_or_before(self, day: date) -> date:
        """The last working day on or before ``day``."""
        found = self._last_working.get(day)
        if found is None:
            found = self._last_working[day] = working_day_before(self.cal, day + timedelta(days=1), 1)
        return found

    def end(self, start: datetime, limit: Limit) -> tuple[datetime, bool]:
        """When a clock started at ``start`` under ``limit`` runs out (``sla.due``), and whether that
        is provisional. Every limit but an hour limit ends at the end of a day that depends on the
        start's day only."""
        if limit.unit == Unit.hour:
            found = due(start, limit, self.cal, self.tz)
            return found.due_at, found.provisional
        key = (start.astimezone(self.tz).date(), limit)
        known = self._ends.get(key)
        if known is None:
            found = due(start, limit, self.cal, self.tz)
            known = self._ends[key] = (found.due_at, found.provisional)
        return known


def _limit(value: int | None, unit: str | None) -> Limit | None:
    return Limit(value or 0, Unit(unit)) if unit else None


def _data(event_type: EventType, **fields: Any) -> dict[str, Any]:
    """An event's stored data, by ingestion's own code (one dict shared by every event alike)."""
    at = datetime.min.replace(tzinfo=UTC)
    return EventIn(case="", type=event_type, at=at, recorded_at=None, source_id=None, **fields).data()


_ACCEPTED = _data(EventType.accepted)
_DELIVERED = _data(EventType.delivered)
_WITHDRAWN = _data(EventType.withdrawn, note=WITHDRAWAL_NOTE)
_DECIDED = {
    (outcome, reason): _data(EventType.decided, outcome=outcome, reason=reason)
    for outcome in (Outcome.approved, Outcome.partially_approved, Outcome.rejected)
    for reason in ("", REJECTION_REASON)
}


def _items(db: Session, clock: _Clock) -> list[_Item]:
    """The items of the city departments' lists, for the departments whose list is in force
    throughout the year of cases (ingestion files a case under the list in force on its day)."""
    thresholds = load_thresholds(db)
    first = clock.on_or_before(clock.today - timedelta(days=DAYS))  # the earliest day of receipt
    items: list[_Item] = []
    departments = db.exec(
        select(Department).where(col(Department.parent_id).is_(None)).order_by(col(Department.code))
    ).all()
    for department in departments:
        assert department.id is not None
        power_list = version_in_force(db, department.id, clock.today)
        earliest = version_in_force(db, department.id, first)
        if power_list is None or earliest is None or earliest.id != power_list.id:
            continue
        assert power_list.id is not None
        rows = db.exec(
            select(PowerItem).where(PowerItem.list_id == power_list.id).order_by(col(PowerItem.position))
        ).all()
        steps: dict[int, list[_Step]] = {}
        for s in db.exec(
            select(PowerStep)
            .where(col(PowerStep.item_id).in_([i.id for i in rows]))
            .order_by(col(PowerStep.item_id), col(PowerStep.seq))
        ):
            steps.setdefault(s.item_id, []).append(
                _Step(
                    s.seq,
                    s.name,
                    s.mandatory,
                    s.limit_value,
                    s.limit_unit,
                    _limit(s.limit_value, s.limit_unit),
                    _data(EventType.step_completed, step=s.seq),
                )
            )
        for item in rows:
            assert item.id is not None
            items.append(
                _Item(
                    department_id=department.id,
                    ref_prefix=f"{PREFIX}{department.code.upper()}-",
                    item_id=item.id,
                    list_id=power_list.id,
                    code=item.code,
                    statutory=_limit(item.statutory_value, item.statutory_unit),
                    promised=_limit(item.promised_value, item.promised_unit),
                    steps=tuple(steps.get(item.id, ())),
                    warn_workdays=thresholds.value("warning_workdays", item.code),
                    stall_workdays=thresholds.value("stall_workdays", item.code),
                    received=_data(EventType.received, power=item.code),
                )
            )
    return items


def _weights(items: list[_Item]) -> list[int]:
    """Cumulative weights: items with steps (licences) are asked for more often, as in real life."""
    rng = random.Random("demo-bulk-items")  # noqa: S311 - reproducible demo data, not secrets
    return list(accumulate(rng.randint(8, 30) if i.steps else rng.randint(3, 10) for i in items))


def _decision_day(item: _Item, accepted: datetime, rng: random.Random, clock: _Clock) -> date:
    if item.statutory is not None and rng.random() < PAST_STATUTORY:
        limit = due(accepted, item.statutory, clock.cal, clock.tz)
        last = limit.due_date or limit.due_at.astimezone(clock.tz).date()
        return add_working_days(clock.cal, last, rng.randint(1, 5))[0]
    reference = item.promised or item.statutory
    took = _working_days_for(reference.value, reference.unit.value, rng) if reference else rng.randint(0, 15)
    return add_working_days(clock.cal, accepted.date(), took)[0]


def _events(
    item: _Item, rng: random.Random, clock: _Clock
) -> list[tuple[EventType, datetime, dict[str, Any]]]:
    """What happens to one case, in order, up to now (later events have not happened yet)."""
    events: list[tuple[EventType, datetime, dict[str, Any]]] = []

    def add(event_type: EventType, at: datetime, data: dict[str, Any]) -> None:
        # A case's events happen in the order they are reported.
        if events and at <= events[-1][1]:
            at = events[-1][1] + timedelta(minutes=7)
        events.append((event_type, at, data))

    received = _at(clock.on_or_before(clock.today - timedelta(days=rng.randint(1, DAYS))), rng, clock.tz)
    add(EventType.received, received, item.received)
    accepted = received + timedelta(minutes=rng.randint(10, 90))
    add(EventType.accepted, accepted, _ACCEPTED)
    start, decision = accepted.date(), _decision_day(item, accepted, rng, clock)
    span = (decision - start).days
    # Every step but the last reports its completion; the decision completes the last.
    done = sorted(clock.on_or_before(start + timedelta(days=rng.randint(0, span))) for _ in item.steps[1:])
    for step, day in zip(item.steps[:-1], done, strict=True):
        add(EventType.step_completed, _at(day, rng, clock.tz, earliest=13), step.completed)
    if rng.random() < WITHDRAWN:
        add(EventType.withdrawn, _at(decision, rng, clock.tz, earliest=13), _WITHDRAWN)
    else:
        roll = rng.random()
        outcome = (
            Outcome.approved
            if roll < 0.88
            else Outcome.partially_approved
            if roll < 0.94
            else Outcome.rejected
        )
        reason = REJECTION_REASON if outcome == Outcome.rejected and rng.random() < 0.8 else ""
        add(EventType.decided, _at(decision, rng, clock.tz, earliest=14), _DECIDED[(outcome, reason)])
        delivered = add_working_days(clock.cal, decision, rng.randint(1, 3))[0]
        add(EventType.delivered, _at(delivered, rng, clock.tz), _DELIVERED)
    # In UTC, as ingestion reads every timestamp.
    return [(event_type, at.astimezone(UTC), data) for event_type, at, data in events if at <= clock.now]


@dataclass
class _Rows:
    cases: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    events: list[dict[str, Any]]


def _case(key: int, ref: str, item: _Item, rng: random.Random, clock: _Clock, out: _Rows) -> None:
    """Append the rows of one case, what ingestion stores after applying its events; ``key`` stands
    for the case's id (first in each row, see ``_Chunk``)."""
    events = _events(item, rng, clock)
    received_at, accepted_at = events[0][1], events[1][1]
    status, outcome, reason = CaseStatus.open, None, ""
    decided_at = delivered_at = withdrawn_at = None
    completed: dict[int, datetime] = {}
    for event_type, at, data in events[2:]:
        if event_type == EventType.step_completed:
            completed[data["step"]] = at
        elif event_type == EventType.decided:
            status, decided_at, outcome, reason = (
                CaseStatus.decided,
                at,
                data["outcome"],
                data.get("reason", ""),
            )
            if item.steps:
                completed.setdefault(item.steps[-1].seq, at)
        elif event_type == EventType.delivered:
            delivered_at = at
        elif event_type == EventType.withdrawn:
            status, withdrawn_at = CaseStatus.withdrawn, at
    last_event_at = events[-1][1]
    # The clock rules of tracker.deadlines.compute for a case with no suspension and no reported
    # step start: the case's clocks start at acceptance, each step's at the completion of the one
    # before (the first step's at acceptance). Each deadline through sla.due, remembered by day.
    statutory, statutory_provisional = clock.end(accepted_at, item.statutory) if item.statutory else _NONE
    promised, promised_provisional = clock.end(accepted_at, item.promised) if item.promised else _NONE
    provisional = statutory_provisional or promised_provisional
    step_dues: list[datetime | None] = []
    start: datetime | None = accepted_at
    for s in item.steps:
        step_due, step_provisional = clock.end(start, s.limit) if start and s.limit else _NONE
        step_dues.append(step_due)
        provisional = provisional or step_provisional
        start = completed.get(s.seq)
    warn_at = stall_at = None
    if status == CaseStatus.open:
        limit = item.promised or item.statutory
        deadline = due(accepted_at, limit, clock.cal, clock.tz) if limit else None
        warn_at = warning_from(deadline, item.warn_workdays, clock.cal, clock.tz)
        stall_at = stalled_from(last_event_at, item.stall_workdays, clock.cal, clock.tz)
    out.cases.append(
        {
            "id": key,
            "department_id": item.department_id,
            "ref": ref,
            "power_code": item.code,
            "power_item_id": item.item_id,
            "list_id": item.list_id,
            "received_at": received_at,
            "applicant": None,
            "status": status,
            "outcome": outcome,
            "decision_reason": reason,
            "accepted_at": accepted_at,
            "decided_at": decided_at,
            "delivered_at": delivered_at,
            "withdrawn_at": withdrawn_at,
            "fee_charged": Decimal("0"),
            "promised_due_at": promised,
            "statutory_due_at": statutory,
            "deadlines_provisional": provisional,
            "warn_at": warn_at,
            "stall_at": stall_at,
            "suspended_since": None,
            "suspended_lawfully": False,
            "suspensions": [],
            "last_event_at": last_event_at,
        }
    )
    for s, step_due in zip(item.steps, step_dues, strict=True):
        out.steps.append(
            {
                "case_id": key,
                "seq": s.seq,
                "name": s.name,
                "mandatory": s.mandatory,
                "limit_value": s.limit_value,
                "limit_unit": s.limit_unit,
                "started_at": None,
                "completed_at": completed.get(s.seq),
                "due_at": step_due,
            }
        )
    for i, (event_type, at, data) in enumerate(events):
        out.events.append(
            {
                "case_id": key,
                "department_id": item.department_id,
                "type": event_type.value,
                "at": at,
                # Recorded minutes after the fact, as a department's system does (else every event
                # of the back-fill would count as backdated).
                "recorded_at": min(at + RECORDING_DELAY, clock.now),
                "ingested_at": clock.now,
                "source_id": f"{ref}/{i}",
                "channel": CHANNEL,
                "data": data,
            }
        )


@dataclass(frozen=True)
class _Plan:
    """What a worker needs to make chunks (inherited through fork, never pickled)."""

    items: list[_Item]
    weights: list[int]
    clock: _Clock
    dialect: Dialect


_plan: _Plan | None = None  # a worker's own, set as it starts


def _start(plan: _Plan) -> None:
    global _plan
    _plan = plan


@dataclass(frozen=True)
class _Chunk:
    """A chunk's rows, bound for the database. The first column of each (a case's id, a step's or
    an event's case id) holds the case's position in the chunk until the ids are allocated."""

    stop: int  # the number after its last case
    cases: Bound
    steps: Bound
    events: Bound
    # The audit log's record of the chunk's events: too many to copy, so their digest (SHA-256 of
    # the canonical JSON of [source_id, type, at, recorded_at, data] per event, in order).
    audit: dict[str, Any]


def _bind_chunk(chunk: int, total: int, skip: int) -> _Chunk:
    """The cases of chunk number ``chunk`` but those below ``skip`` (already there); in a worker."""
    assert _plan is not None
    items, weights, clock = _plan.items, _plan.weights, _plan.clock
    numbers = range(chunk * CHUNK, min((chunk + 1) * CHUNK, total))
    rng = random.Random(f"demo-bulk-{chunk}")  # noqa: S311 - reproducible demo data, not secrets
    rows = _Rows([], [], [])
    for n in numbers:
        item = rng.choices(items, cum_weights=weights)[0]
        if n < skip:
            _events(item, rng, clock)  # the same draws as when it was written
            continue
        _case(len(rows.cases), f"{item.ref_prefix}{n:07d}", item, rng, clock, rows)
    tables = (Case.__table__, CaseStep.__table__, CaseEvent.__table__)  # type: ignore[attr-defined]
    cases, steps, events = (
        bind(_plan.dialect, table, table_rows)
        for table, table_rows in zip(tables, (rows.cases, rows.steps, rows.events), strict=True)
    )
    listed = [[e["source_id"], e["type"], e["at"], e["recorded_at"], e["data"]] for e in rows.events]
    audit = {
        "cases": [numbers.start, numbers.stop],
        "events": len(listed),
        "columns": ["source_id", "type", "at", "recorded_at", "data"],
        "sha256": hashlib.sha256(canonical(listed).encode()).hexdigest(),
    }
    return _Chunk(numbers.stop, cases, steps, events, audit)


def _write(engine: Engine, chunk: _Chunk) -> None:
    """One transaction a chunk: its cases' ids, then its rows."""
    case_table = Case.__table__  # type: ignore[attr-defined]
    with session_factory(engine)() as db:
        ids = allocate_ids(db, case_table, len(chunk.cases.rows))
        for table, bound in (
            (case_table, chunk.cases),
            (CaseStep.__table__, chunk.steps),  # type: ignore[attr-defined]
            (CaseEvent.__table__, chunk.events),  # type: ignore[attr-defined]
        ):
            insert_bound(db, table, Bound(bound.names, [(ids[row[0]], *row[1:]) for row in bound.rows]))
        ref = f"demo:{chunk.audit['cases'][0]}-{chunk.stop}"
        append(db, [Change("case_events_digest", ref, chunk.audit)], at=utcnow())
        db.commit()


def build_bulk_cases(
    engine: Engine,
    tz: ZoneInfo,
    total: int = LARGE_CASES,
    progress: Callable[[str], None] = print,
) -> int:
    """Write ``total`` cases (with their steps and events) for the city departments, or those of
    them that are missing; returns the number of cases written.

    Chunks are written in order, so that the cases there are always cases 0 to n, whatever
    stopped a run."""
    now = utcnow()
    with session_factory(engine)() as db:
        clock = _Clock(load_calendar(db), tz, now, now.astimezone(tz).date())
        there = db.exec(select(func.count()).select_from(Case).where(col(Case.ref).startswith(PREFIX))).one()
        if there >= total:
            progress(f"bulk cases: {there:,} already there")
            return 0
        items = _items(db, clock)
    if not items:
        progress("bulk cases: no power list in force")
        return 0
    plan = _Plan(items, _weights(items), clock, engine.dialect)
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    written = events = 0
    pending: deque[Future[_Chunk]] = deque()

    def write_next() -> None:
        nonlocal written, events
        chunk = pending.popleft().result()
        _write(engine, chunk)
        written += len(chunk.cases.rows)
        events += len(chunk.events.rows)
        progress(f"bulk cases: {chunk.stop:,} / {total:,} ({events:,} events)")

    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork"), initializer=_start, initargs=(plan,)
    ) as pool:
        for number in range(there // CHUNK, (total + CHUNK - 1) // CHUNK):
            pending.append(pool.submit(_bind_chunk, number, total, there))
            if len(pending) > workers:  # one chunk ahead a worker keeps them busy and memory small
                write_next()
        while pending:
            write_next()
    return written
