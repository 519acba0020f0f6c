"""The rules' thresholds: stored moments on cases follow them; an admin edits them on a page."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, select

from tests.conftest import Cast, post_form
from tests.test_cases_ingest import SHANGHAI, end_of, send
from tracker.cases.models import Case
from tracker.thresholds import FlagThreshold, ThresholdError, load_thresholds, set_threshold

ACCEPTED = "2026-03-03T10:00:00"


def opened(db: Session, cast: Cast, power: str = "XK-1") -> Case:
    send(
        db,
        cast.dept_a.id,
        {"case": "C-1", "type": "received", "at": "2026-03-02T09:00:00", "power": power},
        {"case": "C-1", "type": "accepted", "at": ACCEPTED},
    )
    db.expire_all()
    return db.exec(select(Case)).one()


def test_a_case_stores_when_its_warning_starts_and_when_it_would_stall(db: Session, listed: Cast) -> None:
    case = opened(db, listed)
    # Promised: 10 working days from Tue 3 Mar → Tue 17 Mar; warned from the start of Mon 16 Mar.
    assert case.warn_at == datetime(2026, 3, 16, 0, 0, tzinfo=SHANGHAI)
    # Last event Tue 3 Mar; 10 working days without one → the end of Tue 17 Mar.
    assert case.stall_at == end_of(date(2026, 3, 17))


def test_an_item_without_limits_is_never_due_soon_but_can_stall(db: Session, listed: Cast) -> None:
    case = opened(db, listed, power="XK-2")
    assert case.warn_at is None
    assert case.stall_at == end_of(date(2026, 3, 17))


def test_a_decided_case_keeps_no_warning_or_stall_moment(db: Session, listed: Cast) -> None:
    opened(db, listed)
    send(
        db,
        listed.dept_a.id,
        {"case": "C-1", "type": "decided", "at": "2026-03-05T10:00", "outcome": "approved"},
    )
    db.expire_all()
    case = db.exec(select(Case)).one()
    assert (case.warn_at, case.stall_at) == (None, None)


def test_item_thresholds_override_the_general_ones_which_override_the_defaults(db: Session) -> None:
    set_threshold(db, "stall_workdays", 5)
    set_threshold(db, "stall_workdays", 3, item_code="XK-1")
    thresholds = load_thresholds(db)
    assert thresholds.value("stall_workdays", "XK-1") == 3
    assert thresholds.value("stall_workdays", "XK-2") == 5
    assert thresholds.value("warning_workdays", "XK-1") == 1
    set_threshold(db, "stall_workdays", 4, item_code="XK-1")  # replaces, never duplicates
    assert len(db.exec(select(FlagThreshold)).all()) == 2


@pytest.mark.parametrize(
    ("name", "value", "item", "field"),
    [
        ("nope", 1, "", "name"),
        ("backdate_tolerance_hours", 12, "XK-1", "item_code"),
        ("stall_workdays", -1, "", "value"),
        ("stall_workdays", 251, "", "value"),
        ("backdate_tolerance_hours", 721, "", "value"),
    ],
)
def test_impossible_thresholds_are_refused_naming_the_field(
    db: Session, name: str, value: int, item: str, field: str
) -> None:
    with pytest.raises(ThresholdError) as refused:
        set_threshold(db, name, value, item_code=item)
    assert refused.value.field == field
    assert db.exec(select(FlagThreshold)).all() == []


def test_an_admin_sets_an_items_threshold_and_its_open_cases_follow(
    as_admin: TestClient[Litestar], db: Session, listed: Cast
) -> None:
    opened(db, listed)
    form = {"name": "stall_workdays", "item_code": "XK-1", "value": "3"}
    response = post_form(as_admin, "/admin/thresholds/", form)
    assert response.status_code == 302
    db.commit()  # a new snapshot: the page committed after this session last read
    db.expire_all()
    # 3 working days after Tue 3 Mar: Fri 6 Mar.
    assert db.exec(select(Case)).one().stall_at == end_of(date(2026, 3, 6))
    page = as_admin.get("/admin/thresholds/").text
    assert "XK-1" in page and "stall_workdays" in page
    [row] = db.exec(select(FlagThreshold)).all()
    assert (
        post_form(
            as_admin, f"/admin/thresholds/{row.id}/delete", {}, form_page="/admin/thresholds/"
        ).status_code
        == 302
    )
    db.commit()
    db.expire_all()
    assert db.exec(select(Case)).one().stall_at == end_of(date(2026, 3, 17))


def test_a_bad_value_is_shown_next_to_its_field_and_changes_nothing(
    as_admin: TestClient[Litestar], db: Session
) -> None:
    response = post_form(
        as_admin, "/admin/thresholds/", {"name": "stall_workdays", "item_code": "", "value": "999"}
    )
    assert response.status_code == 400
    assert "between 0 and 250" in response.text
    db.commit()
    assert db.exec(select(FlagThreshold)).all() == []


@pytest.mark.parametrize("client", ["anon", "as_supervisor", "as_op_a"])
def test_only_admins_reach_the_thresholds_page(client: str, request: pytest.FixtureRequest) -> None:
    response = request.getfixturevalue(client).get("/admin/thresholds/", follow_redirects=False)
    assert response.status_code in (302, 303, 401, 403)
    assert "stall_workdays" not in response.text
