"""The demo's year of cases and complaints: reported and filed through the real functions,
realistic, idempotent."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from powerlists.columns import utcnow
from tracker.cases.models import Case, CaseStatus
from tracker.complaints.models import Complaint, ComplaintStatus
from tracker.demo import build_demo, refresh_demo_scorecards
from tracker.demo_cases import build_demo_cases
from tracker.demo_complaints import build_demo_complaints
from tracker.flags.models import Flag, FlagAction, FlagStatus
from tracker.flags.subjects import COMPLAINT
from tracker.scorecards.models import Scorecard

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = re.compile(r"\d{4}-\d{2}")


def _quiet(_line: str) -> None:
    pass


def test_demo_cases_are_all_accepted_by_the_ingestion_and_built_once(engine: Engine, db: Session) -> None:
    build_demo(engine, progress=lambda _line: None, cases=False)
    lines: list[str] = []
    stored = build_demo_cases(engine, SHANGHAI, lines.append, only={"scjgj", "jtj"})
    assert stored > 500
    assert lines == [f"cases: {stored:,} events stored, 0 rejected"]
    assert build_demo_cases(engine, SHANGHAI, lines.append, only={"scjgj", "jtj"}) == 0
    db.commit()
    statuses = dict(db.exec(select(Case.status, func.count()).group_by(Case.status)).all())  # type: ignore[arg-type]
    assert statuses[CaseStatus.decided] > statuses.get(CaseStatus.open, 0) > 0
    late = db.exec(
        select(func.count()).select_from(Case).where(col(Case.decided_at) > col(Case.promised_due_at))
    ).one()
    assert late > 0  # some promises are broken, as in real life
    assert db.exec(select(func.count()).select_from(Case).where(col(Case.power_item_id).is_(None))).one() <= 4


def _reviews(db: Session) -> list[tuple[Complaint, Flag | None]]:
    stmt = (
        select(Complaint, Flag)
        .outerjoin(Flag, (col(Flag.complaint_id) == Complaint.id) & (col(Flag.kind) == COMPLAINT))
        .order_by(col(Complaint.id))
    )
    return list(db.exec(stmt).all())


def _moments(db: Session, complaint: Complaint, flag: Flag | None) -> list[datetime]:
    """Everything that happened to a complaint, in the order it must have happened."""
    moments = [complaint.received_at]
    if complaint.handled_at is not None:
        moments.append(complaint.handled_at)
    if flag is not None:
        assert flag.detected_at == complaint.handled_at
        actions = db.exec(
            select(FlagAction).where(FlagAction.flag_id == flag.id).order_by(col(FlagAction.id))
        )
        moments += [a.at for a in actions]
    return moments


def test_demo_complaints_reach_every_stage_in_order_and_are_filed_once(engine: Engine, db: Session) -> None:
    build_demo(engine, progress=_quiet, cases=False)
    build_demo_cases(engine, SHANGHAI, _quiet, only={"scjgj", "zjj"})  # cases for complaints to name
    now = utcnow()
    lines: list[str] = []
    built = build_demo_complaints(engine, SHANGHAI, lines.append, now=now)
    reviews = _reviews(db)
    assert len(reviews) == len(built.filed) >= 30
    assert lines == [f"complaints: {len(reviews)} filed, {len(built.overdue)} marked not handled in time"]
    assert {c.status for c, _f in reviews} == set(ComplaintStatus)
    assert {f.status for _c, f in reviews if f} >= {
        FlagStatus.open,
        FlagStatus.explanation_requested,
        FlagStatus.explained,
        FlagStatus.confirmed,
        FlagStatus.rectification_submitted,
        FlagStatus.closed,
        FlagStatus.dismissed,
    }
    assert all(c.reason for c, _f in reviews if c.status == ComplaintStatus.declined)
    late = [c for c, _f in reviews if c.overdue_at is not None]
    assert any(c.status == ComplaintStatus.received for c in late)
    assert all(c.handled_at is None or c.handled_at > c.handle_by for c in late)
    assert {c.number for c in late} == set(built.overdue)
    assert any(c.power_code for c, _f in reviews) and any(not c.power_code for c, _f in reviews)
    assert any(c.case_id for c, _f in reviews) and any(c.contact for c, _f in reviews)
    assert len({c.department_id for c, _f in reviews}) >= 10
    assert len({c.received_at.astimezone(SHANGHAI).strftime("%Y-%m") for c, _f in reviews}) >= 10
    for complaint, flag in reviews:
        assert complaint.happened_on <= complaint.received_at.astimezone(SHANGHAI).date(), complaint.number
        moments = _moments(db, complaint, flag)
        assert moments == sorted(moments) and len(set(moments)) == len(moments), complaint.number
        assert moments[-1] <= now, complaint.number
    again = build_demo_complaints(engine, SHANGHAI, _quiet)
    assert again.filed == [] and again.overdue == []
    assert db.exec(select(func.count()).select_from(Complaint)).one() == len(reviews)


def test_the_demo_scorecards_count_complaints_added_to_a_demo_refreshed_before_them(
    engine: Engine, db: Session
) -> None:
    build_demo(engine, progress=_quiet, cases=False)
    refresh_demo_scorecards(engine, SHANGHAI, set())  # a demo built before there were complaints
    built = build_demo_complaints(engine, SHANGHAI, _quiet)
    refreshed = refresh_demo_scorecards(engine, SHANGHAI, built.months)
    assert set(refreshed.months) >= built.months
    monthly = db.exec(select(Scorecard).where(Scorecard.department_id == 0, Scorecard.power_code == "")).all()
    counted = sum(card.figures["complaints"] for card in monthly if MONTH.fullmatch(card.period))
    upheld = sum(card.figures["complaints_upheld"] for card in monthly if MONTH.fullmatch(card.period))
    reviews = _reviews(db)
    assert counted == len(reviews) == len(built.filed)
    assert upheld == sum(
        1
        for _c, f in reviews
        if f and f.status in (FlagStatus.confirmed, FlagStatus.rectification_submitted, FlagStatus.closed)
    )
