"""The demo's year of cases: reported through the real ingestion, realistic, idempotent."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from tracker.cases.models import Case, CaseStatus
from tracker.demo import build_demo
from tracker.demo_cases import build_demo_cases

SHANGHAI = ZoneInfo("Asia/Shanghai")


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
