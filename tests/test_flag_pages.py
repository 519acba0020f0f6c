"""The flags queue: who sees what, filters, counts, and its JSON, xlsx and CSV twins."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.conftest import Cast, post_form
from tests.test_cases_ingest import NOW, received, send
from tests.test_flag_scans import at, event, scan
from tracker.flags.models import Flag
from tracker.flags.scans import deadline_scan
from tracker.thresholds import set_threshold


def flagged(engine: Engine, db: Session, cast: Cast) -> None:
    """Department A: a case under a power not on its list (red) and a rejection without reason
    (yellow); department B: a case off its (empty) list."""
    send(
        db,
        cast.dept_a.id,
        event("=HYPERLINK(1)", "received", at(date(2026, 3, 2)), power="XK-1"),
        event("=HYPERLINK(1)", "decided", at(date(2026, 3, 3)), outcome="rejected"),
        event("A-2", "received", at(date(2026, 3, 2)), power="NOPE-1"),
        now=at(date(2026, 3, 3), 12),
    )
    send(
        db,
        cast.dept_b.id,
        event("B-1", "received", at(date(2026, 3, 2)), power="NOPE-2"),
        now=at(date(2026, 3, 3)),
    )
    scan(engine, at(date(2026, 3, 3), 13))


def test_a_supervisor_sees_every_departments_flags_with_counts(
    engine: Engine, db: Session, listed: Cast, as_supervisor: TestClient[Litestar]
) -> None:
    flagged(engine, db, listed)
    data = as_supervisor.get("/flags/?format=json").json()
    assert sorted((f["department"], f["case"], f["kind"], f["step"] or 0) for f in data["flags"]) == [
        ("dept-a", "=HYPERLINK(1)", "refused_without_reason", 0),
        ("dept-a", "=HYPERLINK(1)", "skipped_step", 1),
        ("dept-a", "=HYPERLINK(1)", "skipped_step", 2),
        ("dept-a", "A-2", "off_list_power", 0),
        ("dept-b", "B-1", "off_list_power", 0),
    ]
    assert data["counts"] == {"status": {"open": 5}, "level": {"red": 2, "yellow": 3}}
    page = as_supervisor.get("/flags/")
    assert page.status_code == 200 and "B-1" in page.text and "A-2" in page.text


def test_an_operator_sees_only_their_own_departments_flags_whatever_they_ask(
    engine: Engine, db: Session, listed: Cast, as_op_b: TestClient[Litestar]
) -> None:
    flagged(engine, db, listed)
    data = as_op_b.get("/flags/?format=json&department=dept-a").json()
    assert [(f["department"], f["case"]) for f in data["flags"]] == [("dept-b", "B-1")]
    assert "A-2" not in as_op_b.get("/flags/").text
    assert "A-2" not in as_op_b.get("/flags/export.csv?department=dept-a").text


def test_filters_narrow_the_queue_and_its_counts(
    engine: Engine, db: Session, listed: Cast, as_supervisor: TestClient[Litestar]
) -> None:
    flagged(engine, db, listed)
    red = as_supervisor.get("/flags/?format=json&level=red&department=dept-a").json()
    assert [(f["case"], f["kind"]) for f in red["flags"]] == [("A-2", "off_list_power")]
    assert red["counts"]["level"] == {"red": 1}
    kind = as_supervisor.get("/flags/?format=json&kind=skipped_step").json()
    assert sorted(f["step"] for f in kind["flags"]) == [1, 2]  # decided with steps 1 and 2 never completed


def test_the_exports_hold_the_same_rows_and_never_a_formula(
    engine: Engine, db: Session, listed: Cast, as_supervisor: TestClient[Litestar]
) -> None:
    flagged(engine, db, listed)
    xlsx = as_supervisor.get("/flags/export.xlsx?department=dept-a")
    assert xlsx.status_code == 200 and "no-store" in xlsx.headers["cache-control"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted((r[0], r[3], r[5] or 0) for r in rows) == [
        ("=HYPERLINK(1)", "refused_without_reason", 0),
        ("=HYPERLINK(1)", "skipped_step", 1),
        ("=HYPERLINK(1)", "skipped_step", 2),
        ("A-2", "off_list_power", 0),
    ]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    text = as_supervisor.get("/flags/export.csv?department=dept-a").text
    records = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(records) == 5 and all(not r[0].startswith("=") for r in records[1:])
    assert "'=HYPERLINK(1)" in text


def test_anonymous_visitors_cannot_see_the_flags(anon: TestClient[Litestar]) -> None:
    response = anon.get("/flags/", follow_redirects=False)
    assert response.status_code in (302, 303, 401)
    assert anon.get("/flags/export.csv", follow_redirects=False).status_code in (302, 303, 401)


def _a_flag_id(db: Session, kind: str) -> int:
    db.commit()
    flag = db.exec(select(Flag).where(Flag.kind == kind)).first()
    assert flag is not None and flag.id is not None
    return flag.id


def test_a_supervisor_confirms_a_flag_on_its_page_and_the_operator_reports_the_rectification(
    engine: Engine,
    db: Session,
    listed: Cast,
    as_supervisor: TestClient[Litestar],
    as_op_a: TestClient[Litestar],
) -> None:
    flagged(engine, db, listed)
    flag_id = _a_flag_id(db, "refused_without_reason")
    page = as_supervisor.get(f"/flags/{flag_id}")
    assert page.status_code == 200 and 'value="confirm"' in page.text and "=HYPERLINK(1)" in page.text
    confirmed = post_form(
        as_supervisor,
        f"/flags/{flag_id}/act",
        {"action": "confirm", "text": "未说明理由"},
        form_page=f"/flags/{flag_id}",
    )
    assert confirmed.status_code == 302
    data = as_supervisor.get(f"/flags/{flag_id}?format=json").json()
    assert data["status"] == "confirmed" and data["due_at"] is not None
    assert [(h["action"], h["by"], h["text"]) for h in data["history"]] == [
        ("confirm", listed.supervisor.email, "未说明理由")
    ]
    operator_page = as_op_a.get(f"/flags/{flag_id}")
    assert (
        'value="report_rectification"' in operator_page.text and 'value="confirm"' not in operator_page.text
    )
    assert (
        post_form(
            as_op_a,
            f"/flags/{flag_id}/act",
            {"action": "report_rectification", "text": "已补充理由"},
            form_page=f"/flags/{flag_id}",
        ).status_code
        == 302
    )
    assert as_op_a.get(f"/flags/{flag_id}?format=json").json()["status"] == "rectification_submitted"


@pytest.mark.parametrize(
    ("client", "text", "message"),
    [
        ("as_op_a", "不是问题", "Your role cannot take this action."),  # an operator never dismisses
        ("as_supervisor", "  ", "every action is recorded with it"),  # no reason given
    ],
    ids=["an operator dismissing", "no reason"],
)
def test_an_action_that_cannot_be_taken_is_refused_with_a_message_and_changes_nothing(
    engine: Engine,
    db: Session,
    listed: Cast,
    request: pytest.FixtureRequest,
    client: str,
    text: str,
    message: str,
) -> None:
    flagged(engine, db, listed)
    flag_id = _a_flag_id(db, "off_list_power")
    browser: TestClient[Litestar] = request.getfixturevalue(client)
    form = {"action": "dismiss", "text": text}
    response = post_form(browser, f"/flags/{flag_id}/act", form, form_page=f"/flags/{flag_id}")
    assert response.status_code == 400 and message in response.text
    data = browser.get(f"/flags/{flag_id}?format=json").json()
    assert (data["status"], data["history"]) == ("open", [])


def test_another_departments_flag_is_not_found_for_an_operator(
    engine: Engine, db: Session, listed: Cast, as_op_b: TestClient[Litestar]
) -> None:
    flagged(engine, db, listed)
    flag_id = _a_flag_id(db, "refused_without_reason")  # department A's
    assert as_op_b.get(f"/flags/{flag_id}").status_code == 404
    assert as_op_b.get(f"/flags/{flag_id}?format=json").status_code == 404


def test_a_flag_page_shows_the_case_timeline_with_the_flagged_step_and_evidence_marked(
    db: Session, listed: Cast, as_supervisor: TestClient[Litestar]
) -> None:
    send(
        db,
        listed.dept_a.id,
        received("C-1"),
        {"case": "C-1", "type": "step_started", "at": "2026-03-02T10:00:00", "step": 1},
    )
    deadline_scan(db, NOW)
    db.commit()
    flag = db.exec(select(Flag).where(Flag.kind == "step_overdue")).first()
    assert flag is not None and flag.step == 1
    page = as_supervisor.get(f"/flags/{flag.id}")
    assert page.status_code == 200
    assert "The case&#39;s timeline" in page.text or "The case's timeline" in page.text
    flagged_rows = re.findall(r'<tr class="flagged"><td>([^<]*)', page.text)
    assert flagged_rows and flagged_rows[0].startswith("1. ")
    assert page.text.count('class="flagged"') == 1 + len(flag.evidence)


def test_a_flag_page_and_its_json_twin_show_the_rule_parameters_it_was_raised_with(
    db: Session, listed: Cast, as_supervisor: TestClient[Litestar]
) -> None:
    set_threshold(db, "stall_workdays", 7, item_code="XK-1")  # not the default 10: read, not assumed
    db.commit()
    send(db, listed.dept_a.id, received("C-1"), {"case": "C-1", "type": "accepted", "at": "2026-03-03T10:00"})
    deadline_scan(db, NOW)
    flag_id = _a_flag_id(db, "stalled")
    page = as_supervisor.get(f"/flags/{flag_id}")
    assert page.status_code == 200
    assert "<dt>Rule parameters</dt><dd><code>stall_workdays</code> = 7</dd>" in page.text
    data = as_supervisor.get(f"/flags/{flag_id}?format=json").json()
    assert (data["kind"], data["params"]) == ("stalled", {"stall_workdays": 7})
