"""Applying events to cases: the rules of what may happen when, and the deadlines they move.

Every channel (API, file import, web form) calls ``ingest``. Each event is stored, found to
be a duplicate (its source id was seen before), or rejected with a reason; valid events are
stored even when others in the same batch are rejected. A rejected event changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from powerlists.importer import version_in_force
from powerlists.limits import Limit, Unit
from powerlists.messages import N_
from powerlists.models import PowerItem, PowerStep
from tracker.audit.chain import Change, append, utc_text
from tracker.bulk import insert_returning_ids, insert_rows, one_of, update_rows
from tracker.calendar import WorkCalendar
from tracker.cases.events import EventIn, EventRejected, parse_event
from tracker.cases.models import Case, CaseEvent, CaseStatus, CaseStep, EventType, SuspendReason
from tracker.db import begin_writing
from tracker.deadlines import CaseFacts, StepFacts, compute, stalled_from, stored_suspensions, warning_from
from tracker.ratings.bad_reviews import due_for, open_review
from tracker.ratings.codes import holder_case, issue, spend
from tracker.ratings.masking import Masked, mask_personal_data
from tracker.ratings.models import Channel
from tracker.ratings.record import (
    NOTHING_MASKED,
    add_rating,
    applicant_names,
    department_names,
    rated_cases,
)
from tracker.thresholds import DEFAULTS, Thresholds, load_thresholds

OPEN = (CaseStatus.open, CaseStatus.suspended)
RATING_EVENTS = (EventType.rating_code_issued, EventType.rated)


@dataclass(frozen=True)
class EventResult:
    index: int
    status: str  # stored, duplicate, rejected
    reason: str = ""
    reason_args: dict[str, Any] | None = None

    def as_dict(self, translate: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.reason:
            out["reason"] = translate(self.reason, **(self.reason_args or {}))
        return out


class CaseState(Protocol):
    """What the rules read and change on a case: a stored Case, or a new one not yet written."""

    ref: str
    power_code: str
    power_item_id: int | None
    applicant: dict[str, Any] | None
    status: CaseStatus
    outcome: str | None
    decision_reason: str
    received_at: datetime
    accepted_at: datetime | None
    decided_at: datetime | None
    delivered_at: datetime | None
    withdrawn_at: datetime | None
    fee_charged: Decimal
    promised_due_at: datetime | None
    statutory_due_at: datetime | None
    deadlines_provisional: bool
    warn_at: datetime | None
    stall_at: datetime | None
    suspended_since: datetime | None
    suspended_lawfully: bool
    suspensions: list[list[Any]]
    last_event_at: datetime | None


class StepState(Protocol):
    seq: int
    limit_value: int | None
    limit_unit: str | None
    started_at: datetime | None
    completed_at: datetime | None
    due_at: datetime | None


@dataclass
class _CaseRow:
    """A case as a plain object: read and written with Core, a few statements per batch.

    (Building and flushing SQLModel objects cost more than everything else ingestion does.)
    """

    department_id: int
    ref: str
    power_code: str
    power_item_id: int | None
    list_id: int | None
    received_at: datetime
    applicant: dict[str, Any] | None
    status: CaseStatus = CaseStatus.open
    outcome: str | None = None
    decision_reason: str = ""
    accepted_at: datetime | None = None
    decided_at: datetime | None = None
    delivered_at: datetime | None = None
    withdrawn_at: datetime | None = None
    fee_charged: Decimal = Decimal("0")
    promised_due_at: datetime | None = None
    statutory_due_at: datetime | None = None
    deadlines_provisional: bool = False
    warn_at: datetime | None = None
    stall_at: datetime | None = None
    suspended_since: datetime | None = None
    suspended_lawfully: bool = False
    suspensions: list[list[Any]] = field(default_factory=list)
    last_event_at: datetime | None = None
    id: int | None = None  # None until written


@dataclass
class _StepRow:
    seq: int
    name: str
    mandatory: bool
    limit_value: int | None
    limit_unit: str | None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    due_at: datetime | None = None
    case_id: int | None = None
    id: int | None = None


# What events change on a stored case and its steps (everything else is fixed at receipt).
_CASE_CHANGES = (
    "status",
    "outcome",
    "decision_reason",
    "accepted_at",
    "decided_at",
    "delivered_at",
    "withdrawn_at",
    "fee_charged",
    "promised_due_at",
    "statutory_due_at",
    "deadlines_provisional",
    "warn_at",
    "stall_at",
    "suspended_since",
    "suspended_lawfully",
    "suspensions",
    "last_event_at",
)
_STEP_CHANGES = ("started_at", "completed_at", "due_at")


def _new_row(obj: _CaseRow | _StepRow, **extra: Any) -> dict[str, Any]:
    # vars(), not asdict(): asdict deep-copies every value, which cost half the batch.
    row = {name: value for name, value in vars(obj).items() if name != "id"}
    row.update(extra)
    return row


def _values(obj: _CaseRow | _StepRow, names: Sequence[str]) -> tuple[Any, ...]:
    return tuple(getattr(obj, n) for n in names)


def _update_rows(
    db: Session,
    table: Any,
    changes: Sequence[tuple[_CaseRow | _StepRow, tuple[Any, ...]]],
    names: Sequence[str],
) -> None:
    """Write what changed on each object (given with its values as read), one statement per set of
    changed columns: binding unchanged timestamps again cost more than the rest of the update."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for obj, before in changes:
        now = _values(obj, names)
        changed = tuple(n for n, old, new in zip(names, before, now, strict=True) if old != new)
        if changed:
            groups.setdefault(changed, []).append({"id": obj.id, **{n: getattr(obj, n) for n in changed}})
    for rows in groups.values():
        update_rows(db, table, rows)


def _limit(value: int | None, unit: str | None) -> Limit | None:
    return Limit(value or 0, Unit(unit)) if unit else None


def _steps(db: Session, case_id: int) -> list[CaseStep]:
    return list(db.exec(select(CaseStep).where(CaseStep.case_id == case_id).order_by(col(CaseStep.seq))))


def _step(steps: Sequence[StepState], seq: int, case: CaseState) -> StepState:
    for step in steps:
        if step.seq == seq:
            return step
    raise EventRejected(N_("Case %(case)r has no step %(step)d."), case=case.ref, step=seq)


def _apply(case: CaseState, steps: Sequence[StepState], ev: EventIn) -> None:
    """Change the case as the event says, or refuse it."""
    if ev.at < case.received_at:
        raise EventRejected(N_("at: the event is earlier than the case's receipt."))
    decided = case.status in (CaseStatus.decided, CaseStatus.withdrawn)
    t = ev.type
    if (
        t
        in (
            EventType.step_started,
            EventType.step_completed,
            EventType.accepted,
            EventType.suspended,
            EventType.resumed,
            EventType.decided,
            EventType.withdrawn,
        )
        and decided
    ):
        raise EventRejected(N_("Case %(case)r is already %(status)s."), case=case.ref, status=case.status)
    if t == EventType.accepted:
        case.accepted_at = ev.at
    elif t == EventType.step_started:
        _step(steps, ev.step or 0, case).started_at = ev.at
    elif t == EventType.step_completed:
        _step(steps, ev.step or 0, case).completed_at = ev.at
    elif t == EventType.suspended:
        if case.status == CaseStatus.suspended:
            raise EventRejected(N_("Case %(case)r is already suspended."), case=case.ref)
        lawful = ev.suspend_reason != SuspendReason.other
        case.status, case.suspended_since, case.suspended_lawfully = CaseStatus.suspended, ev.at, lawful
        case.suspensions = [*case.suspensions, [ev.at.isoformat(), None, lawful]]
    elif t == EventType.resumed:
        if case.status != CaseStatus.suspended:
            raise EventRejected(N_("Case %(case)r is not suspended."), case=case.ref)
        _close_suspension(case, ev.at)
    elif t == EventType.fee_charged:
        case.fee_charged = (case.fee_charged or Decimal(0)) + (ev.amount or Decimal(0))
    elif t == EventType.decided:
        if case.status == CaseStatus.suspended:
            _close_suspension(case, ev.at)
        case.status, case.decided_at = CaseStatus.decided, ev.at
        case.outcome, case.decision_reason = ev.outcome.value if ev.outcome else None, ev.reason
        if steps and steps[-1].completed_at is None:
            steps[-1].completed_at = ev.at
    elif t == EventType.delivered:
        if case.status != CaseStatus.decided:
            raise EventRejected(N_("Case %(case)r cannot be delivered before it is decided."), case=case.ref)
        case.delivered_at = ev.at
    elif t == EventType.withdrawn:
        if case.status == CaseStatus.suspended:
            _close_suspension(case, ev.at)
        case.status, case.withdrawn_at = CaseStatus.withdrawn, ev.at
    elif t in RATING_EVENTS and case.status != CaseStatus.decided:
        raise EventRejected(N_("Case %(case)r is not decided: it cannot be rated yet."), case=case.ref)


def _close_suspension(case: CaseState, at: datetime) -> None:
    start, _end, lawful = case.suspensions[-1]
    case.suspensions = [*case.suspensions[:-1], [start, at.isoformat(), lawful]]
    case.status, case.suspended_since = CaseStatus.open, None


def facts_of(case: CaseState, item: PowerItem | None, steps: Sequence[StepState]) -> CaseFacts:
    """What the deadline rules need to know about a case, from its stored state."""
    return CaseFacts(
        accepted_at=case.accepted_at or case.received_at,
        statutory=_limit(item.statutory_value, item.statutory_unit) if item else None,
        promised=_limit(item.promised_value, item.promised_unit) if item else None,
        suspensions=tuple(stored_suspensions(case.suspensions)),
        steps=tuple(
            StepFacts(s.seq, _limit(s.limit_value, s.limit_unit), s.started_at, s.completed_at) for s in steps
        ),
    )


def recompute(
    db: Session,
    case: Case,
    steps: list[CaseStep],
    cal: WorkCalendar,
    tz: ZoneInfo,
    thresholds: Thresholds = DEFAULTS,
) -> None:
    """Store the case's and its steps' deadlines, so scans find due work by index, never by recomputing."""
    item = db.get(PowerItem, case.power_item_id) if case.power_item_id else None
    _store_deadlines(case, steps, item, cal, tz, thresholds)


class _Batch:
    """The state a batch of events needs, fetched with a few queries instead of several per event."""

    def __init__(self, db: Session, department_id: int, events: list[EventIn], tz: ZoneInfo) -> None:
        self.db, self.department_id, self.tz = db, department_id, tz
        self.events: list[dict[str, Any]] = []  # the rows written, for the audit log
        self.refs: dict[int, str] = {}
        refs = {ev.case for ev in events}
        ids = [ev.source_id for ev in events if ev.source_id]
        self.seen: set[str] = set()
        if ids:
            found = db.exec(
                select(col(CaseEvent.source_id)).where(
                    CaseEvent.department_id == department_id, one_of(db, CaseEvent.source_id, ids)
                )
            )
            self.seen = {source_id for source_id in found if source_id}
        case_table, step_table = Case.__table__, CaseStep.__table__  # type: ignore[attr-defined]
        self.stored: dict[str, _CaseRow] = {
            row.ref: row
            for row in (
                _CaseRow(**mapping)
                for mapping in db.execute(
                    select(case_table).where(
                        case_table.c.department_id == department_id, one_of(db, case_table.c.ref, refs)
                    )
                ).mappings()
            )
        }
        self.read = {ref: _values(c, _CASE_CHANGES) for ref, c in self.stored.items()}
        self.cases: dict[str, CaseState] = dict(self.stored)
        self.steps: dict[str, Sequence[StepState]] = {}
        self.stored_steps: dict[str, list[_StepRow]] = {ref: [] for ref in self.stored}
        self.step_read: dict[int, tuple[Any, ...]] = {}
        by_id = {c.id: c.ref for c in self.stored.values()}
        if by_id:
            for mapping in db.execute(
                select(step_table).where(one_of(db, step_table.c.case_id, by_id)).order_by(step_table.c.seq)
            ).mappings():
                step = _StepRow(**mapping)
                self.stored_steps[by_id[step.case_id]].append(step)
                self.step_read[id(step)] = _values(step, _STEP_CHANGES)
        self.steps.update(self.stored_steps)
        item_ids = {c.power_item_id for c in self.stored.values() if c.power_item_id}
        self.items: dict[int, PowerItem] = (
            {i.id: i for i in db.exec(select(PowerItem).where(col(PowerItem.id).in_(item_ids)))}  # type: ignore[misc]
            if item_ids
            else {}
        )
        self.thresholds = load_thresholds(db)
        self._lists: dict[date, int | None] = {}
        self._item_steps: dict[int, list[PowerStep]] = {}
        self.new_cases: dict[str, _CaseRow] = {}
        self.new_steps: dict[str, list[_StepRow]] = {}
        self.touched: set[str] = set()
        self.rows: list[tuple[str, EventIn]] = []
        self._rated: set[int] | None = None  # stored cases already rated, read when first needed
        self.rated_refs: set[str] = set()  # cases rated by this batch
        self.codes: dict[str, str] = {}  # rating codes issued by this batch → their case

    def _item_for(self, code: str, received_day: date) -> tuple[PowerItem | None, int | None]:
        if received_day not in self._lists:
            power_list = version_in_force(self.db, self.department_id, received_day)
            self._lists[received_day] = power_list.id if power_list else None
        list_id = self._lists[received_day]
        if list_id is None:
            return None, None
        item = next((i for i in self.items.values() if i.list_id == list_id and i.code == code), None)
        if item is None:
            item = self.db.exec(
                select(PowerItem).where(PowerItem.list_id == list_id, PowerItem.code == code)
            ).first()
            if item is not None:
                self.items[item.id] = item  # type: ignore[index]
        return item, list_id

    def _open(self, ev: EventIn) -> None:
        if ev.case in self.cases:
            raise EventRejected(N_("Case %(case)r was already received."), case=ev.case)
        assert ev.power is not None
        item, list_id = self._item_for(ev.power, ev.at.astimezone(self.tz).date())
        # A power not on the list is stored as reported, never refused: refusing would hide the irregularity.
        case = _CaseRow(
            department_id=self.department_id,
            ref=ev.case,
            power_code=ev.power,
            power_item_id=item.id if item else None,
            list_id=list_id if item else None,
            received_at=ev.at,
            applicant=ev.applicant,
        )
        steps: list[_StepRow] = []
        if item is not None and item.id is not None:
            if item.id not in self._item_steps:
                self._item_steps[item.id] = list(
                    self.db.exec(
                        select(PowerStep).where(PowerStep.item_id == item.id).order_by(col(PowerStep.seq))
                    )
                )
            steps = [
                _StepRow(s.seq, s.name, s.mandatory, s.limit_value, s.limit_unit)
                for s in self._item_steps[item.id]
            ]
        self.cases[ev.case], self.steps[ev.case] = case, steps
        self.new_cases[ev.case], self.new_steps[ev.case] = case, steps

    def _rated_ids(self) -> set[int]:
        if self._rated is None:
            self._rated = rated_cases(self.db, (c.id for c in self.stored.values() if c.id is not None))
        return self._rated

    def _check_rating(self, ev: EventIn) -> None:
        """Once per case: a second rating replaces nothing, and a rated case's code stays spent."""
        stored = self.stored.get(ev.case)
        case_id = stored.id if stored else None
        rated = ev.case in self.rated_refs or (case_id is not None and case_id in self._rated_ids())
        if ev.type == EventType.rated:
            if rated:
                raise EventRejected(
                    N_("Case %(case)r has already been rated: a second rating replaces nothing."),
                    case=ev.case,
                )
            self.rated_refs.add(ev.case)
            return
        if rated:
            raise EventRejected(
                N_("Case %(case)r has been rated: its rating code cannot be replaced."), case=ev.case
            )
        assert ev.code is not None
        earlier = self.codes.get(ev.code)  # given by this batch, to this or another case
        if earlier is None:
            owner = holder_case(self.db, ev.code)
            taken = owner is not None and owner != case_id
        else:
            taken = earlier != ev.case
        if taken:
            raise EventRejected(N_("code: this rating code is already given to another case."))
        self.codes[ev.code] = ev.case

    def apply(self, ev: EventIn) -> None:
        if ev.source_id and ev.source_id in self.seen:
            raise _Duplicate()
        if ev.type == EventType.received:
            self._open(ev)
        else:
            case = self.cases.get(ev.case)
            if case is None:
                raise EventRejected(N_("No case %(case)r was received in this department."), case=ev.case)
            _apply(case, self.steps[ev.case], ev)
            if ev.type in RATING_EVENTS:
                self._check_rating(ev)
        case = self.cases[ev.case]
        case.last_event_at = max(case.last_event_at or ev.at, ev.at)
        if ev.source_id:
            self.seen.add(ev.source_id)
        self.touched.add(ev.case)
        self.rows.append((ev.case, ev))

    def write(self, *, now: datetime, channel: str, cal: WorkCalendar) -> None:
        for ref in self.touched:
            case = self.cases[ref]
            item = self.items.get(case.power_item_id) if case.power_item_id else None
            _store_deadlines(case, self.steps[ref], item, cal, self.tz, self.thresholds)
        case_table, step_table = Case.__table__, CaseStep.__table__  # type: ignore[attr-defined]
        ids = {ref: c.id for ref, c in self.stored.items()}
        if self.new_cases:
            ids |= insert_returning_ids(
                self.db, case_table, [_new_row(c) for c in self.new_cases.values()], key="ref"
            )
            insert_rows(
                self.db,
                step_table,
                [_new_row(step, case_id=ids[ref]) for ref, steps in self.new_steps.items() for step in steps],
            )
        changed = [ref for ref in self.touched if ref in self.stored]
        _update_rows(
            self.db, case_table, [(self.stored[ref], self.read[ref]) for ref in changed], _CASE_CHANGES
        )
        steps = [step for ref in changed for step in self.stored_steps[ref]]
        _update_rows(self.db, step_table, [(s, self.step_read[id(s)]) for s in steps], _STEP_CHANGES)
        masks = self._masked_comments()
        self.events = [
            {
                "case_id": ids[ref],
                "department_id": self.department_id,
                "type": ev.type.value,
                "at": ev.at,
                "recorded_at": ev.recorded_at or now,
                "ingested_at": now,
                "source_id": ev.source_id,
                "channel": channel,
                "data": ev.data() | ({"comment": masks[id(ev)].text} if id(ev) in masks else {}),
            }
            for ref, ev in self.rows
        ]
        insert_rows(self.db, CaseEvent.__table__, self.events)  # type: ignore[attr-defined]
        self.refs = {case_id: ref for ref in self.touched if (case_id := ids[ref]) is not None}
        self._write_ratings(ids, masks, now=now, channel=channel, cal=cal)

    def _masked_comments(self) -> dict[int, Masked]:
        """Each rating's comment with personal data masked (keyed by the event's id()): the stored
        event, the audit log and the public pages only ever hold this."""
        rated = [(ref, ev) for ref, ev in self.rows if ev.rating is not None and ev.rating.comment]
        if not rated:
            return {}
        officials = department_names(self.db, self.department_id)
        return {
            id(ev): mask_personal_data(
                ev.rating.comment, [*officials, *applicant_names(self.cases[ref].applicant)]
            )
            for ref, ev in rated
            if ev.rating is not None
        }

    def _write_ratings(
        self,
        ids: dict[str, int | None],
        masks: dict[int, Masked],
        *,
        now: datetime,
        channel: str,
        cal: WorkCalendar,
    ) -> None:
        for ref, ev in self.rows:
            case_id = ids[ref]
            assert case_id is not None
            if ev.code is not None:
                issue(
                    self.db,
                    case_id=case_id,
                    department_id=self.department_id,
                    code=ev.code,
                    via=channel,
                    now=now,
                )
            elif ev.rating is not None:
                case = self.cases[ref]
                rating = add_rating(
                    self.db,
                    case_id=case_id,
                    department_id=self.department_id,
                    power_item_id=case.power_item_id,
                    power_code=case.power_code,
                    rating=ev.rating,
                    masked=masks.get(id(ev), NOTHING_MASKED),
                    at=ev.at,
                    now=now,
                )
                spend(self.db, case_id, now)
                if rating.bad:  # 差评: the department must follow it up
                    self.db.flush()
                    days = self.thresholds.value("bad_review_workdays")
                    open_review(self.db, rating, due_at=due_for(ev.at, days, cal, self.tz), now=now)


AUDIT_EVENT_COLUMNS = ("case", "case_id", "type", "at", "recorded_at", "source_id", "channel", "data")


class _Duplicate(Exception):
    pass


def ingest(
    db: Session,
    department_id: int,
    raws: list[Any],
    *,
    now: datetime,
    channel: str,
    cal: WorkCalendar,
    tz: ZoneInfo,
) -> list[EventResult]:
    """Store what is valid, report the rest; the caller commits (callers that read before calling
    this begin their transaction with ``begin_writing``).

    Events are applied in memory in the order given, with a handful of queries for the whole
    batch, and written together. Should the write collide with a concurrent request (the same
    case or source id stored meanwhile), the batch is redone one event at a time.
    """
    begin_writing(db)
    results: list[EventResult | None] = [None] * len(raws)
    parsed: list[tuple[int, EventIn]] = []
    for index, raw in enumerate(raws):
        try:
            ev = parse_event(raw, tz, now)
            if ev.rating is not None and (ev.rating.channel == Channel.web) != (channel == Channel.web):
                # "web" is the citizen on /rate with a code: a department cannot report one.
                raise EventRejected(
                    N_(
                        "channel: %(value)r is for ratings given on this site; "
                        "say where this one was collected."
                    ),
                    value=ev.rating.channel.value,
                )
            parsed.append((index, ev))
        except EventRejected as exc:
            results[index] = EventResult(index, "rejected", exc.message, exc.args_)
    stored: list[_Batch] = []
    savepoint = db.begin_nested()
    try:
        stored.append(
            _run_batch(db, department_id, parsed, results, now=now, channel=channel, cal=cal, tz=tz)
        )
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        stored.clear()
        for index, ev in parsed:  # the slow, careful path: each event in its own savepoint
            savepoint = db.begin_nested()
            try:
                one = [(index, ev)]
                stored.append(
                    _run_batch(db, department_id, one, results, now=now, channel=channel, cal=cal, tz=tz)
                )
                savepoint.commit()
            except IntegrityError:
                # A concurrent request stored the same source id or case first.
                savepoint.rollback()
                results[index] = EventResult(index, "duplicate" if ev.source_id else "rejected")
    # Last, after every other write: appending holds the audit log's head until the commit.
    _record(db, stored, now)
    return [r for r in results if r is not None]


def _record(db: Session, batches: Sequence[_Batch], now: datetime) -> None:
    """One audit entry for the events stored by this call: a table (columns, rows), the case's
    reference beside its id, and moments written once each (most events of a batch share some)."""
    texts: dict[datetime, str] = {}

    def moment(value: datetime) -> str:
        text = texts.get(value)
        if text is None:
            text = texts[value] = utc_text(value)
        return text

    rows = [
        [
            batch.refs[row["case_id"]],
            row["case_id"],
            row["type"],
            moment(row["at"]),
            moment(row["recorded_at"]),
            row["source_id"],
            row["channel"],
            row["data"],
        ]
        for batch in batches
        for row in batch.events
    ]
    if rows:
        department_id = batches[0].department_id
        record = {
            "department_id": department_id,
            "ingested_at": moment(now),
            "columns": AUDIT_EVENT_COLUMNS,
            "rows": rows,
        }
        append(db, [Change("case_events", f"{department_id}:{len(rows)}", record)], at=now)


def _run_batch(
    db: Session,
    department_id: int,
    parsed: list[tuple[int, EventIn]],
    results: list[EventResult | None],
    *,
    now: datetime,
    channel: str,
    cal: WorkCalendar,
    tz: ZoneInfo,
) -> _Batch:
    batch = _Batch(db, department_id, [ev for _i, ev in parsed], tz)
    for index, ev in parsed:
        try:
            batch.apply(ev)
        except _Duplicate:
            results[index] = EventResult(index, "duplicate")
            continue
        except EventRejected as exc:
            results[index] = EventResult(index, "rejected", exc.message, exc.args_)
            continue
        results[index] = EventResult(index, "stored")
    batch.write(now=now, channel=channel, cal=cal)
    return batch


def _store_deadlines(
    case: CaseState,
    steps: Sequence[StepState],
    item: PowerItem | None,
    cal: WorkCalendar,
    tz: ZoneInfo,
    thresholds: Thresholds,
) -> None:
    deadlines = compute(facts_of(case, item, steps), cal, tz)
    case.statutory_due_at = deadlines.statutory.due_at if deadlines.statutory else None
    case.promised_due_at = deadlines.promised.due_at if deadlines.promised else None
    case.deadlines_provisional = deadlines.provisional
    for step in steps:
        step_due = deadlines.steps.get(step.seq)
        step.due_at = step_due.due_at if step_due else None
    if case.status in OPEN:
        warn = thresholds.value("warning_workdays", case.power_code)
        case.warn_at = warning_from(deadlines.promised or deadlines.statutory, warn, cal, tz)
        stall = thresholds.value("stall_workdays", case.power_code)
        case.stall_at = stalled_from(case.last_event_at or case.received_at, stall, cal, tz)
    else:
        case.warn_at = case.stall_at = None


def recompute_open(
    db: Session,
    cal: WorkCalendar,
    tz: ZoneInfo,
    *,
    provisional_only: bool = False,
    due_from: datetime | None = None,
    power_code: str | None = None,
) -> int:
    """Recompute open cases after the calendar or a threshold changed: those with provisional
    deadlines (a notice was loaded), those with a deadline on or after ``due_from`` (a local day
    was changed), those under ``power_code`` (its item's threshold changed), or all of them."""
    stmt = select(Case).where(col(Case.status).in_(list(OPEN)))
    if power_code is not None:
        stmt = stmt.where(Case.power_code == power_code)
    if provisional_only:
        stmt = stmt.where(col(Case.deadlines_provisional).is_(True))
    if due_from is not None:
        stmt = stmt.where((col(Case.statutory_due_at) >= due_from) | (col(Case.promised_due_at) >= due_from))
    cases = db.exec(stmt).all()
    thresholds = load_thresholds(db)
    for case in cases:
        steps = _steps(db, case.id)  # type: ignore[arg-type]
        recompute(db, case, steps, cal, tz, thresholds)
        db.add(case)
        db.add_all(steps)
    db.flush()
    return len(cases)


def recompute_after_calendar_change(
    db: Session, cal: WorkCalendar, tz: ZoneInfo, *, source: str, days: Iterable[date]
) -> int:
    """A notice makes provisional deadlines final; a changed local day moves deadlines from that day on."""
    if source == "notice":
        return recompute_open(db, cal, tz, provisional_only=True)
    first = min(days, default=None)
    if first is None:
        return 0
    return recompute_open(db, cal, tz, due_from=datetime.combine(first, datetime.min.time(), tzinfo=tz))
