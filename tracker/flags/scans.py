"""The scans: find the cases a rule may now fire on, evaluate them, store what is new.

- The deadline scan reads, through partial indexes, the open cases and running steps whose stored
  deadline, warning or stall moment fell in [last run, now): its cost grows with what became due,
  not with the number of open cases. After any stop the window reaches back to the last run.
- The event scan evaluates the cases that received events since its last run (irregular
  handling, late decisions, deadlines moved into the past by a correction).
Both store flags with INSERT … ON CONFLICT DO NOTHING on (case, kind, step) and move their mark
in the same transaction, so a scan killed at any point and run again gives the same flags,
none twice. A case whose evaluation raises is logged and set aside for an hour.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from powerlists.models import PowerItem
from tracker.audit.chain import Change, append, utc_text
from tracker.bulk import one_of
from tracker.cases.models import Case, CaseEvent, CaseStep
from tracker.db import begin_writing
from tracker.flags.deadline_sql import insert_due_flags
from tracker.flags.models import Flag, FlagStatus, ScanMark, SetAside
from tracker.flags.rules import evaluate
from tracker.flags.view import CaseView, EventView, Finding, StepView
from tracker.thresholds import Thresholds, load_thresholds

log = logging.getLogger("scheduler.scans")

CHUNK = 500  # cases evaluated per query round
SET_ASIDE_FOR = timedelta(hours=1)
# Longer than any ingestion transaction takes between stamping its events and committing them.
EVENT_LAG = timedelta(minutes=5)
DEADLINE_SCAN = "deadline_scan"
EVENT_SCAN = "event_scan"

_case_table = Case.__table__  # type: ignore[attr-defined]
_step_table = CaseStep.__table__  # type: ignore[attr-defined]
_event_table = CaseEvent.__table__  # type: ignore[attr-defined]
_flag_table = Flag.__table__  # type: ignore[attr-defined]
_aside_table = SetAside.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Raised:
    """A flag a scan stored (for `tracker scheduler once` and the logs)."""

    case_id: int | None  # None for a flag about a complaint, whose ``ref`` is its number
    ref: str
    kind: str
    level: str
    step: int
    since: datetime


def _mark(db: Session, name: str) -> datetime | None:
    row = db.get(ScanMark, name)
    return row.until if row else None


def _set_mark(db: Session, name: str, until: datetime) -> None:
    row = db.get(ScanMark, name)
    if row is None:
        db.add(ScanMark(name=name, until=until))
    else:
        row.until = until
    db.flush()


def load_views(db: Session, case_ids: Sequence[int]) -> list[CaseView]:
    """The cases with their steps, events and item fee rules, in a few queries."""
    if not case_ids:
        return []
    cases = list(db.execute(select(_case_table).where(one_of(db, _case_table.c.id, case_ids))).mappings())
    steps: dict[int, list[StepView]] = defaultdict(list)
    for row in db.execute(
        select(_step_table).where(one_of(db, _step_table.c.case_id, case_ids)).order_by(_step_table.c.seq)
    ).mappings():
        steps[row["case_id"]].append(
            StepView(
                row["seq"],
                row["name"],
                row["mandatory"],
                row["started_at"],
                row["completed_at"],
                row["due_at"],
            )
        )
    events: dict[int, list[EventView]] = defaultdict(list)
    for row in db.execute(
        select(_event_table)
        .where(one_of(db, _event_table.c.case_id, case_ids))
        .order_by(_event_table.c.at, _event_table.c.id)
    ).mappings():
        events[row["case_id"]].append(
            EventView(row["id"], row["type"], row["at"], row["recorded_at"], row["data"])
        )
    item_ids = {c["power_item_id"] for c in cases if c["power_item_id"]}
    fees: dict[int, tuple[bool, Decimal | None]] = {}
    if item_ids:
        item_table = PowerItem.__table__  # type: ignore[attr-defined]
        query = select(item_table.c.id, item_table.c.no_fee, item_table.c.fee_amount)
        fees = {
            i: (no_fee, amount)
            for i, no_fee, amount in db.execute(query.where(one_of(db, item_table.c.id, item_ids)))
        }
    views = []
    for c in cases:
        no_fee, fee_amount = fees.get(c["power_item_id"], (False, None))
        views.append(
            CaseView(
                id=c["id"],
                department_id=c["department_id"],
                ref=c["ref"],
                power_code=c["power_code"],
                on_list=c["power_item_id"] is not None,
                status=c["status"],
                outcome=c["outcome"],
                decision_reason=c["decision_reason"],
                received_at=c["received_at"],
                accepted_at=c["accepted_at"],
                decided_at=c["decided_at"],
                withdrawn_at=c["withdrawn_at"],
                promised_due_at=c["promised_due_at"],
                statutory_due_at=c["statutory_due_at"],
                warn_at=c["warn_at"],
                stall_at=c["stall_at"],
                frozen=c["status"] == "suspended" and bool(c["suspended_lawfully"]),
                suspended_since=c["suspended_since"],
                fee_charged=c["fee_charged"],
                no_fee=no_fee,
                fee_amount=fee_amount,
                steps=tuple(steps[c["id"]]),
                events=tuple(events[c["id"]]),
            )
        )
    return views


def _insert(db: Session, case_ids: Sequence[int], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert the flags that are not there yet; returns those rows."""
    if not rows:
        return []
    existing = set(
        db.execute(
            select(_flag_table.c.case_id, _flag_table.c.kind, _flag_table.c.step).where(
                one_of(db, _flag_table.c.case_id, case_ids)
            )
        ).tuples()
    )
    new = [r for r in rows if (r["case_id"], r["kind"], r["step"]) not in existing]
    if new:
        dialect = sqlite if db.get_bind().dialect.name == "sqlite" else postgresql
        # The unique key decides, should another writer have stored the same flag meanwhile.
        stored = db.execute(
            dialect.insert(_flag_table)
            .on_conflict_do_nothing()
            .returning(_flag_table.c.id, _flag_table.c.case_id, _flag_table.c.kind, _flag_table.c.step),
            new,
        ).all()
        ids = {(case_id, kind, step): flag_id for flag_id, case_id, kind, step in stored}
        new = [{"id": ids[key], **r} for r in new if (key := (r["case_id"], r["kind"], r["step"])) in ids]
    return new


AUDIT_FLAG_COLUMNS = ("id", "case", "case_id", "kind", "level", "step", "since", "origin_id")


def record_flags(
    db: Session, flags: Sequence[Mapping[Any, Any]], refs: Mapping[int, str], now: datetime
) -> None:
    """One audit entry for the flags just raised, as a table (the scans raise thousands at once);
    last in the transaction, for it holds the log's head until the commit."""
    if not flags:
        return
    rows = [
        [
            f["id"],
            refs[f["case_id"]] if f["case_id"] is not None else "",  # a complaint's flag has no case
            f["case_id"],
            f["kind"],
            f["level"],
            f["step"],
            utc_text(f["since"]),
            f.get("origin_id", 0),
        ]
        for f in flags
    ]
    record = {"detected_at": utc_text(now), "columns": AUDIT_FLAG_COLUMNS, "rows": rows}
    append(db, [Change("flags", f"{rows[0][0]}:{len(rows)}", record)], at=now)


def _row(case: CaseView, finding: Finding, now: datetime) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "department_id": case.department_id,
        "kind": finding.kind,
        "level": finding.level.value,
        "step": finding.step,
        "since": finding.since,
        "detected_at": now,
        "params": finding.params,
        "evidence": list(finding.evidence),
        "status": FlagStatus.open.value,
    }


def evaluate_cases(
    db: Session,
    case_ids: Iterable[int],
    now: datetime,
    thresholds: Thresholds,
    *,
    commit_chunks: bool = False,
) -> list[Raised]:
    """Evaluate the cases with every rule and store the new flags; set aside a case that raises.

    With ``commit_chunks`` each chunk is committed as it is done, so that a long catch-up never
    holds the database's write lock for long (storing flags is idempotent: a rerun after a stop
    finds the ones already stored).
    """
    raised: list[Raised] = []
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows: list[dict[str, Any]] = []
        refs: dict[int, str] = {}
        done: list[int] = []
        for case in load_views(db, chunk):
            refs[case.id] = case.ref
            item_thresholds = thresholds.for_item(case.power_code)
            try:
                findings = evaluate(case, item_thresholds, now)
            except Exception as exc:
                log.exception("case %s (id %d) set aside: its evaluation failed", case.ref, case.id)
                _set_aside(db, case.id, now, exc)
                continue
            done.append(case.id)
            rows += [_row(case, f, now) for f in findings]
        new = _insert(db, chunk, rows)
        raised += [
            Raised(r["case_id"], refs[r["case_id"]], r["kind"], r["level"], r["step"], r["since"])
            for r in new
        ]
        if done:  # evaluated at last: no longer set aside
            db.execute(delete(_aside_table).where(one_of(db, _aside_table.c.case_id, done)))
        record_flags(db, new, refs, now)
        if commit_chunks:
            db.commit()
            begin_writing(db)
    return raised


def _set_aside(db: Session, case_id: int, now: datetime, exc: Exception) -> None:
    row = db.get(SetAside, case_id)
    error = f"{type(exc).__name__}: {exc}"[:500]
    if row is None:
        db.add(SetAside(case_id=case_id, until=now + SET_ASIDE_FOR, error=error))
    else:
        row.until, row.error = now + SET_ASIDE_FOR, error
    db.flush()


def _set_aside_ids(db: Session, now: datetime) -> set[int]:
    return set(db.execute(select(_aside_table.c.case_id).where(_aside_table.c.until > now)).scalars())


def deadline_scan(db: Session, now: datetime, thresholds: Thresholds | None = None) -> list[Raised]:
    """Flag what became due since the last run (everything due, on the first run), set-based."""
    begin_writing(db)  # it reads, then writes what it read: SQLite must not let another writer in between
    rows = insert_due_flags(db, _mark(db, DEADLINE_SCAN), now)
    refs = _refs(db, {row.case_id for row in rows})
    _set_mark(db, DEADLINE_SCAN, now)
    record_flags(db, [row._mapping for row in rows], refs, now)
    return [Raised(r.case_id, refs[r.case_id], r.kind, r.level, r.step, r.since) for r in rows]


def _refs(db: Session, case_ids: set[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    query = select(_case_table.c.id, _case_table.c.ref).where(one_of(db, _case_table.c.id, case_ids))
    return {case_id: ref for case_id, ref in db.execute(query)}


def event_scan(db: Session, now: datetime, thresholds: Thresholds | None = None) -> list[Raised]:
    """Evaluate the cases with events stored since the last run, and set-aside cases whose hour is up."""
    begin_writing(db)
    since = _mark(db, EVENT_SCAN)
    query = select(_event_table.c.case_id).distinct().where(_event_table.c.ingested_at <= now)
    if since is not None:
        # Reaching back EVENT_LAG: a batch stamped before our last run may have committed after it.
        query = query.where(_event_table.c.ingested_at > since - EVENT_LAG)
    candidates = set(db.execute(query).scalars())
    retry = set(db.execute(select(_aside_table.c.case_id).where(_aside_table.c.until <= now)).scalars())
    raised = evaluate_cases(
        db,
        (candidates | retry) - _set_aside_ids(db, now),
        now,
        thresholds or load_thresholds(db),
        commit_chunks=True,
    )
    _set_mark(db, EVENT_SCAN, now)
    return raised


SCANS = {DEADLINE_SCAN: deadline_scan, EVENT_SCAN: event_scan}


def scan_all(db: Session, now: datetime) -> list[Raised]:
    """Every scan once, as of ``now`` (the caller commits)."""
    thresholds = load_thresholds(db)
    return [flag for scan in SCANS.values() for flag in scan(db, now, thresholds)]
