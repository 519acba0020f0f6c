"""Case events: one validator for every channel, deadlines stored, every rejection explained."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from powerlists.importer import import_file
from tests.builders import build, item_row
from tests.conftest import Cast
from tracker.accounts.tokens import create_token
from tracker.calendar import OFFICIAL
from tracker.cases.ingest import _Batch, ingest
from tracker.cases.models import Case, CaseEvent, CaseStatus, CaseStep
from tracker.db import session_factory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=SHANGHAI)


def end_of(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def send(
    db: Session, department_id: int | None, *events: dict[str, Any], now: datetime = NOW
) -> list[dict[str, Any]]:
    assert department_id is not None
    results = ingest(db, department_id, list(events), now=now, channel="api", cal=OFFICIAL, tz=SHANGHAI)
    db.commit()
    return [r.as_dict(lambda m, **a: m % a if a else m) for r in results]


def case(db: Session, ref: str) -> Case:
    db.expire_all()
    return db.exec(select(Case).where(Case.ref == ref)).one()


def snapshot(c: Case) -> dict[str, Any]:
    return {name: getattr(c, name) for name in Case.model_fields}


def received(
    ref: str = "C-1", at: str = "2026-03-02T09:00:00", power: str = "XK-1", **extra: Any
) -> dict[str, Any]:
    return {"case": ref, "type": "received", "at": at, "power": power, **extra}


def test_a_received_case_pins_its_item_and_stores_its_deadlines(db: Session, listed: Cast) -> None:
    assert send(
        db, listed.dept_a.id, received(), {"case": "C-1", "type": "accepted", "at": "2026-03-03T10:00"}
    ) == [
        {"index": 0, "status": "stored"},
        {"index": 1, "status": "stored"},
    ]
    c = case(db, "C-1")
    assert c.power_item_id is not None and c.list_id is not None and c.status == CaseStatus.open
    # Accepted Tue 3 Mar 2026: 10 working days → Tue 17 Mar; 20 → Tue 31 Mar.
    assert c.promised_due_at == end_of(date(2026, 3, 17))
    assert c.statutory_due_at == end_of(date(2026, 3, 31))
    steps = db.exec(select(CaseStep).where(CaseStep.case_id == c.id).order_by(CaseStep.seq)).all()  # type: ignore[arg-type]
    # Step 1 runs from acceptance: 1 working day → Wed 4 Mar; later steps wait for their predecessor.
    assert [(s.seq, s.due_at) for s in steps] == [(1, end_of(date(2026, 3, 4))), (2, None), (3, None)]


def test_without_an_acceptance_the_receipt_starts_the_clock(db: Session, listed: Cast) -> None:
    send(db, listed.dept_a.id, received(at="2026-03-02T09:00"))
    assert case(db, "C-1").promised_due_at == end_of(date(2026, 3, 16))


def test_a_power_not_on_the_list_is_stored_not_refused(db: Session, listed: Cast) -> None:
    assert send(db, listed.dept_a.id, received(power="NOT-LISTED"))[0]["status"] == "stored"
    c = case(db, "C-1")
    assert c.power_code == "NOT-LISTED" and c.power_item_id is None and c.statutory_due_at is None


def test_an_open_case_keeps_the_limits_of_the_version_in_force_when_it_was_received(
    db: Session, listed: Cast, tmp_path: Path
) -> None:
    send(db, listed.dept_a.id, received("OLD", at="2026-03-02T09:00"))
    revised = build(
        tmp_path / "v2.xlsx",
        rows=[item_row("XK-1", "食品经营许可", statutory="10个工作日", promised="5个工作日")],
    )
    import_file(
        db,
        listed.dept_a.id,
        revised,
        source_name="v2",
        effective=date(2026, 4, 1),  # type: ignore[arg-type]
        imported_by_id=None,
        now=NOW,
    )
    db.commit()
    send(
        db,
        listed.dept_a.id,
        {"case": "OLD", "type": "step_started", "step": 1, "at": "2026-04-02T09:00"},
        received("NEW", at="2026-04-02T09:00"),
    )
    assert case(db, "OLD").statutory_due_at == end_of(date(2026, 3, 30))  # 20 working days from 2 Mar
    assert case(db, "NEW").statutory_due_at == end_of(
        date(2026, 4, 17)
    )  # 10 working days from 2 Apr (Qingming 4–6 Apr)


def test_a_lawful_suspension_moves_the_deadlines_and_other_does_not(db: Session, listed: Cast) -> None:
    send(
        db,
        listed.dept_a.id,
        received("LAWFUL", at="2026-03-02T09:00"),
        {"case": "LAWFUL", "type": "suspended", "reason": "testing", "at": "2026-03-03T10:00"},
        {"case": "LAWFUL", "type": "resumed", "at": "2026-03-06T10:00"},
        received("OTHER", at="2026-03-02T09:00"),
        {"case": "OTHER", "type": "suspended", "reason": "other", "at": "2026-03-03T10:00"},
        {"case": "OTHER", "type": "resumed", "at": "2026-03-06T10:00"},
    )
    # (3 Mar, 6 Mar] holds 3 working days: 16 Mar + 3 → 19 Mar.
    assert case(db, "LAWFUL").promised_due_at == end_of(date(2026, 3, 19))
    assert case(db, "OTHER").promised_due_at == end_of(date(2026, 3, 16))


def test_a_decision_completes_the_last_step_and_closes_the_case(db: Session, listed: Cast) -> None:
    send(
        db,
        listed.dept_a.id,
        received(),
        {"case": "C-1", "type": "decided", "outcome": "approved", "at": "2026-03-05T16:00"},
    )
    c = case(db, "C-1")
    assert c.status == CaseStatus.decided and c.outcome == "approved"
    last = db.exec(select(CaseStep).where(CaseStep.case_id == c.id, CaseStep.seq == 3)).one()
    assert last.completed_at == datetime(2026, 3, 5, 16, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (
            {"case": "NOPE", "type": "accepted", "at": "2026-03-03T10:00"},
            "No case 'NOPE' was received in this department.",
        ),
        (received(), "Case 'C-1' was already received."),
        ({"case": "C-1", "type": "accepted", "at": "2026-11-26T12:10:00+08:00"}, "in the future"),
        (
            {"case": "C-1", "type": "step_started", "step": 9, "at": "2026-03-03T10:00"},
            "Case 'C-1' has no step 9.",
        ),
        ({"case": "C-1", "type": "accepted", "at": "3 March"}, "at: '3 March' is not an ISO 8601 timestamp."),
        ({"case": "C-1", "type": "approved", "at": "2026-03-03T10:00"}, "type: 'approved' is not one of"),
        ({"case": "C-1", "type": "suspended", "at": "2026-03-03T10:00"}, "reason is required."),
        ({"type": "accepted", "at": "2026-03-03T10:00"}, "case is required."),
        (
            {"case": "C-1", "type": "fee_charged", "amount": "lots", "at": "2026-03-03T10:00"},
            "amount: 'lots' is not a number.",
        ),
        ({"case": "C-1", "type": "accepted", "at": "2026-03-01T10:00"}, "earlier than the case's receipt"),
        ("not an object", "An event must be a JSON object."),
    ],
)
def test_bad_events_are_rejected_with_a_reason_and_change_nothing(
    db: Session, listed: Cast, event: Any, reason: str
) -> None:
    send(db, listed.dept_a.id, received())
    before = snapshot(case(db, "C-1"))
    result = send(db, listed.dept_a.id, event)[0]
    assert result["status"] == "rejected" and reason in result["reason"], result
    assert snapshot(case(db, "C-1")) == before


def test_step_events_after_the_decision_are_rejected(db: Session, listed: Cast) -> None:
    send(
        db,
        listed.dept_a.id,
        received(),
        {"case": "C-1", "type": "decided", "outcome": "rejected", "at": "2026-03-05T10:00"},
    )
    result = send(
        db, listed.dept_a.id, {"case": "C-1", "type": "step_completed", "step": 2, "at": "2026-03-06T10:00"}
    )
    assert result[0]["status"] == "rejected" and "already decided" in result[0]["reason"]


def test_another_departments_case_cannot_be_touched(db: Session, listed: Cast) -> None:
    send(db, listed.dept_a.id, received())
    result = send(db, listed.dept_b.id, {"case": "C-1", "type": "withdrawn", "at": "2026-03-03T10:00"})
    assert result[0]["status"] == "rejected"
    assert case(db, "C-1").status == CaseStatus.open


def test_resending_an_event_id_is_a_reported_no_op(db: Session, listed: Cast) -> None:
    first = send(db, listed.dept_a.id, received(id="src-1"))
    again = send(db, listed.dept_a.id, received(id="src-1"))
    assert first[0]["status"] == "stored" and again == [{"index": 0, "status": "duplicate"}]
    assert len(db.exec(select(CaseEvent)).all()) == 1


def test_valid_events_are_stored_even_when_others_in_the_batch_are_rejected(
    db: Session, listed: Cast
) -> None:
    results = send(
        db,
        listed.dept_a.id,
        received("A"),
        {"case": "B", "type": "accepted", "at": "2026-03-03T10:00"},
        received("C"),
    )
    assert [r["status"] for r in results] == ["stored", "rejected", "stored"]
    db.expire_all()
    assert sorted(c.ref for c in db.exec(select(Case)).all()) == ["A", "C"]


# The JSON API


def token_for(db: Session, department_id: int | None) -> dict[str, str]:
    assert department_id is not None
    _token, secret = create_token(db, department_id, "test", NOW, None)
    db.commit()
    return {"authorization": f"Bearer {secret}"}


def test_the_api_stores_events_with_a_department_token(
    anon: TestClient[Litestar], db: Session, listed: Cast
) -> None:
    at = (datetime.now(SHANGHAI) - timedelta(hours=1)).isoformat()
    body = {
        "events": [received(at=at, id="e1"), {"case": "C-1", "type": "accepted", "at": at}, {"case": "X"}]
    }
    response = anon.post("/api/v1/events", json=body, headers=token_for(db, listed.dept_a.id))
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["stored"], out["duplicates"], out["rejected"]) == (2, 0, 1)
    assert out["results"][2]["status"] == "rejected" and "type is required." in out["results"][2]["reason"]
    again = anon.post(
        "/api/v1/events", json={"events": [received(at=at, id="e1")]}, headers=token_for(db, listed.dept_a.id)
    )
    assert again.json()["duplicates"] == 1


def test_the_api_refuses_missing_tokens_and_malformed_batches(
    anon: TestClient[Litestar], db: Session, listed: Cast
) -> None:
    assert anon.post("/api/v1/events", json={"events": [received()]}).status_code == 401
    headers = token_for(db, listed.dept_a.id)
    assert anon.post("/api/v1/events", json={"events": []}, headers=headers).status_code == 400
    assert anon.post("/api/v1/events", json=[received()], headers=headers).status_code == 400
    too_many = {"events": [received(f"C-{i}") for i in range(1001)]}
    response = anon.post("/api/v1/events", json=too_many, headers=headers)
    assert response.status_code == 400 and "at most 1000" in response.text
    assert db.exec(select(Case)).all() == []


def test_a_token_only_reaches_its_own_departments_cases(
    anon: TestClient[Litestar], db: Session, listed: Cast
) -> None:
    at = (datetime.now(SHANGHAI) - timedelta(hours=1)).isoformat()
    anon.post("/api/v1/events", json={"events": [received(at=at)]}, headers=token_for(db, listed.dept_a.id))
    response = anon.post(
        "/api/v1/events",
        json={"events": [{"case": "C-1", "type": "withdrawn", "at": at}]},
        headers=token_for(db, listed.dept_b.id),
    )
    assert response.json()["rejected"] == 1
    assert case(db, "C-1").status == CaseStatus.open


def test_loading_next_years_notice_recomputes_provisional_deadlines(db: Session, listed: Cast) -> None:
    from powerlists.columns import utcnow
    from tracker.calendar_store import Entry, load_calendar, store
    from tracker.cases.ingest import recompute_after_calendar_change

    late_2026 = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
    send(db, listed.dept_a.id, received(at="2026-11-20T09:00"), now=late_2026 + timedelta(days=30))
    before = case(db, "C-1")
    assert not before.deadlines_provisional  # 20 working days from 20 Nov end on 18 Dec 2026
    send(db, listed.dept_a.id, received("C-2", at="2026-12-21T09:00"), now=late_2026 + timedelta(days=60))
    provisional = case(db, "C-2")
    assert provisional.deadlines_provisional
    assert provisional.statutory_due_at == end_of(date(2027, 1, 18))  # Mon–Fri assumed: 1 Jan counted
    notice = [Entry(date(2027, 1, d), False, "元旦") for d in (1, 2, 3)]
    store(db, notice, source="notice", source_name="2027.ics", now=utcnow(), by=None)
    changed = recompute_after_calendar_change(
        db, load_calendar(db), SHANGHAI, source="notice", days=[e.day for e in notice]
    )
    db.commit()
    assert changed == 1
    final = case(db, "C-2")
    assert not final.deadlines_provisional
    assert final.statutory_due_at == end_of(date(2027, 1, 19))  # 1 Jan no longer counts


def _opening(ref: str) -> list[dict[str, Any]]:
    return [
        received(ref, id=f"{ref}/r"),
        {"case": ref, "type": "accepted", "at": "2026-03-02T10:00:00", "id": f"{ref}/a"},
    ]


def test_two_writers_sending_the_same_events_store_each_exactly_once(
    engine: Engine, listed: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writer A reads its batch's state, then writer B stores the same cases and commits before A
    writes. PostgreSQL lets both read and A's write then collides (A redoes its batch one event at
    a time and finds B's events); SQLite makes B wait for A's write lock. Either way every event
    is stored once and reported once as stored and once as a duplicate."""
    events = _opening("C-1") + _opening("C-2")
    department_id = listed.dept_a.id
    assert department_id is not None
    outcomes: dict[str, list[str]] = {}
    real_write = _Batch.write

    def writer(name: str) -> None:
        with session_factory(engine)() as session:
            outcomes[name] = [r["status"] for r in send(session, department_id, *events)]

    other = threading.Thread(target=writer, args=("B",))

    def write_after_the_other_writer(batch: _Batch, **kwargs: Any) -> None:
        if not other.is_alive() and "B" not in outcomes:
            other.start()
            if engine.dialect.name == "postgresql":
                other.join(timeout=30)  # B commits between A's reads and A's write
        real_write(batch, **kwargs)

    monkeypatch.setattr(_Batch, "write", write_after_the_other_writer)
    writer("A")
    other.join(timeout=30)
    assert not other.is_alive()
    assert sorted([outcomes["A"], outcomes["B"]]) == [["duplicate"] * 4, ["stored"] * 4]
    with session_factory(engine)() as session:
        stored = session.exec(select(CaseEvent.source_id).order_by(col(CaseEvent.source_id))).all()
        cases = session.exec(select(Case.ref).order_by(col(Case.ref))).all()
    assert stored == ["C-1/a", "C-1/r", "C-2/a", "C-2/r"]
    assert cases == ["C-1", "C-2"]


def test_concurrent_api_batches_never_fail_and_never_store_an_event_twice(
    app: Litestar, db: Session, listed: Cast
) -> None:
    headers = token_for(db, listed.dept_a.id)
    batches = [_opening(f"C-{n}") + _opening(f"C-{n + 1}") for n in range(12)]
    answers: list[tuple[int, int]] = []

    def post(client: TestClient[Litestar], batch: list[dict[str, Any]]) -> None:
        response = client.post("/api/v1/events", json={"events": batch}, headers=headers)
        answers.append((response.status_code, response.json().get("rejected", -1)))

    with TestClient(app, base_url="http://testserver.local") as client:
        threads = [threading.Thread(target=post, args=(client, batch)) for batch in batches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert answers == [(200, 0)] * len(batches)
    db.commit()
    assert db.exec(select(func.count()).select_from(CaseEvent)).one() == 2 * 13
    assert db.exec(select(func.count()).select_from(Case)).one() == 13


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"type": "fee_charged", "amount": "1e30"}, "amount: '1e30' is not an amount in yuan."),
        ({"type": "fee_charged", "amount": "NaN"}, "amount: 'NaN' is not an amount in yuan."),
        (
            {"type": "accepted", "at": "0001-01-01T00:00:00"},
            "at: 0001-01-01T00:00:00 is not between 1970 and 2199.",
        ),
        (
            {"type": "accepted", "recorded_at": "9999-12-31T23:59:59"},
            "recorded_at: 9999-12-31T23:59:59 is not between 1970 and 2199.",
        ),
    ],
)
def test_an_event_with_a_value_out_of_range_is_rejected_naming_the_field(
    db: Session, listed: Cast, extra: dict[str, Any], reason: str
) -> None:
    # At year 1 the conversion to UTC overflowed: a 500 on the API before this check.
    send(db, listed.dept_a.id, received("C-1"))
    [result] = send(db, listed.dept_a.id, {"case": "C-1", "at": "2026-03-03T09:00:00", **extra})
    assert (result["status"], result["reason"]) == ("rejected", reason)
