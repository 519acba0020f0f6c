"""Case pages: operators open cases and record events; the department and supervisors see timelines."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, select

from powerlists.importer import import_file
from tests.builders import build, item_row
from tests.conftest import Cast, csrf_from, post_form
from tracker.cases.models import Case, CaseEvent

NOW = __import__("powerlists.columns", fromlist=["utcnow"]).utcnow()


@pytest.fixture
def listed(db: Session, cast: Cast, tmp_path: Path) -> Cast:
    path = build(
        tmp_path / "list.xlsx",
        rows=[item_row("XK-1", "食品经营许可")],
        steps=[["XK-1", 1, "受理", "1个工作日", "窗口"], ["XK-1", 2, "决定", "3个工作日", "科长"]],
    )
    import_file(
        db,
        cast.dept_a.id,
        path,
        source_name="v1",
        effective=date(2026, 1, 1),  # type: ignore[arg-type]
        imported_by_id=None,
        now=NOW,
    )
    db.commit()
    return cast


def open_case(
    client: TestClient[Litestar], ref: str = "C-1", power: str = "XK-1", at: str = "2026-03-02T09:00"
):  # type: ignore[no-untyped-def]
    return post_form(client, "/cases/new", {"ref": ref, "power": power, "at": at, "applicant_name": "张三"})


def case_id(db: Session, ref: str = "C-1") -> int:
    db.commit()
    found = db.exec(select(Case).where(Case.ref == ref)).one()
    assert found.id is not None
    return found.id


def test_an_operator_opens_a_case_and_sees_its_deadlines(
    as_op_a: TestClient[Litestar], db: Session, listed: Cast
) -> None:
    response = open_case(as_op_a)
    assert response.status_code == 302
    page = as_op_a.get(response.headers["location"]).text
    assert "Case C-1" in page and "食品经营许可" in page
    assert (
        "2026-03-16" in page and "2026-03-30" in page
    )  # promised 10 and statutory 20 working days from 2 Mar
    assert "张三" in page  # the department sees its applicant's details
    assert db.exec(select(CaseEvent)).one().channel == "form"


def test_recording_events_on_the_form_moves_the_case_along(
    as_op_a: TestClient[Litestar], db: Session, listed: Cast
) -> None:
    open_case(as_op_a)
    cid = case_id(db)
    for event in (
        {"type": "step_completed", "step": "1", "at": "2026-03-03T10:00"},
        {"type": "suspended", "reason": "testing", "at": "2026-03-03T11:00"},
        {"type": "resumed", "at": "2026-03-06T11:00"},
        {"type": "decided", "outcome": "approved", "at": "2026-03-09T15:00"},
    ):
        assert post_form(as_op_a, f"/cases/{cid}/events", event, form_page=f"/cases/{cid}").status_code == 302
    page = as_op_a.get(f"/cases/{cid}").text
    assert "3 working days later" in page and "approved" in page
    db.commit()  # a fresh read transaction
    assert len(db.exec(select(CaseEvent)).all()) == 5


def test_a_rejected_form_event_shows_the_reason_and_stores_nothing(
    as_op_a: TestClient[Litestar], db: Session, listed: Cast
) -> None:
    open_case(as_op_a)
    cid = case_id(db)
    response = post_form(
        as_op_a,
        f"/cases/{cid}/events",
        {"type": "step_started", "step": "7", "at": "2026-03-03T10:00"},
        form_page=f"/cases/{cid}",
    )
    assert response.status_code == 400 and "has no step 7" in response.text
    db.commit()
    assert len(db.exec(select(CaseEvent)).all()) == 1


def test_another_departments_operator_gets_404_and_supervisors_read_only(
    as_op_a: TestClient[Litestar],
    as_op_b: TestClient[Litestar],
    as_supervisor: TestClient[Litestar],
    anon: TestClient[Litestar],
    db: Session,
    listed: Cast,
) -> None:
    open_case(as_op_a)
    cid = case_id(db)
    assert as_op_b.get(f"/cases/{cid}").status_code == 404
    assert "C-1" not in as_op_b.get("/cases/").text
    token = csrf_from(as_op_b.get("/cases/").text)
    assert (
        as_op_b.post(
            f"/cases/{cid}/events", data={"csrf_token": token, "type": "withdrawn", "at": "2026-03-03T10:00"}
        ).status_code
        == 404
    )
    assert as_supervisor.get(f"/cases/{cid}").status_code == 200
    assert "C-1" in as_supervisor.get("/cases/").text
    token = csrf_from(as_supervisor.get(f"/cases/{cid}").text)
    assert (
        as_supervisor.post(
            f"/cases/{cid}/events", data={"csrf_token": token, "type": "withdrawn", "at": "2026-03-03T10:00"}
        ).status_code
        == 403
    )
    assert anon.get(f"/cases/{cid}", follow_redirects=False).status_code == 302


def test_a_case_under_a_power_not_on_the_list_is_marked(
    as_op_a: TestClient[Litestar], db: Session, listed: Cast
) -> None:
    open_case(as_op_a, power="NOT-LISTED")
    assert "not on the department" in as_op_a.get(f"/cases/{case_id(db)}").text
    assert "not on the list" in as_op_a.get("/cases/").text


def test_the_case_list_filters_by_status_and_reference(
    as_op_a: TestClient[Litestar], db: Session, listed: Cast
) -> None:
    open_case(as_op_a, "A-1")
    open_case(as_op_a, "B-2")
    found = as_op_a.get("/cases/?q=A-").text
    assert ">A-1</a>" in found and ">B-2</a>" not in found
    assert "No case matches." in as_op_a.get("/cases/?status=decided").text


def test_only_operators_open_cases(
    as_supervisor: TestClient[Litestar], as_admin: TestClient[Litestar]
) -> None:
    assert as_supervisor.get("/cases/new").status_code == 403
    assert as_admin.get("/cases/new").status_code == 403


def test_the_case_list_marks_late_and_on_time_cases(
    as_op_a: TestClient[Litestar], db: Session, listed: Cast
) -> None:
    open_case(as_op_a, "LATE", at="2026-03-02T09:00")  # promised by 16 Mar, still open today
    html = as_op_a.get("/cases/").text
    row = html.split(">LATE</a>", 1)[1].split("</tr>", 1)[0]
    assert row.count(">late</strong>") == 2  # both deadlines have passed
    cid = case_id(db, "LATE")
    post_form(
        as_op_a,
        f"/cases/{cid}/events",
        {"type": "decided", "outcome": "approved", "at": "2026-03-10T10:00"},
        form_page=f"/cases/{cid}",
    )
    row = as_op_a.get("/cases/").text.split(">LATE</a>", 1)[1].split("</tr>", 1)[0]
    assert row.count("on time") == 2 and ">late<" not in row
