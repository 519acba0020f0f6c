"""The public scorecard pages and their JSON twins show the figures an independent computation gives."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, delete
from sqlmodel import Session, select

from tests.conftest import Cast
from tests.test_scorecards import NOW, SHANGHAI, independent, load
from tracker.app import create_app
from tracker.calendar import OFFICIAL
from tracker.scorecards.models import Scorecard
from tracker.scorecards.refresh import refresh
from tracker.settings import Settings
from tracker.thresholds import set_threshold


def loaded(db: Session, cast: Cast) -> None:
    load(db, cast)
    refresh(db, NOW, OFFICIAL, SHANGHAI)
    db.commit()


def test_the_overview_and_its_json_show_the_region_and_leave_a_department_under_the_floor_unranked(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    loaded(db, listed)
    data = anon.get("/?period=2026-03&format=json").json()
    expected = independent(db, listed.dept_a.id, {"2026-03"})  # type: ignore[arg-type]
    assert data["region"]["counts"]["decided"] == expected["decided"] == 5
    assert (data["region"]["on_time_promised"]["k"], data["region"]["on_time_promised"]["n"]) == expected[
        "promised"
    ]
    # 5 decided cases: under the floor of 30, so shown but not ranked.
    assert data["ranking"] == [] and data["min_cases"] == 30
    assert [d["code"] for d in data["too_few_cases_to_rank"]] == [listed.dept_a.code]
    page = anon.get("/?period=2026-03")
    assert page.status_code == 200 and "too few cases to rank" in page.text
    assert page.headers["cache-control"] == "public, max-age=300"


def test_a_department_above_the_floor_is_ranked_and_graded_per_quarter(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    set_threshold(db, "ranking_min_cases", 3)
    db.commit()
    loaded(db, listed)
    data = anon.get("/?period=2026-Q1&format=json").json()
    [ranked] = data["ranking"]
    assert ranked["code"] == listed.dept_a.code and ranked["rank"] == 1 and ranked["grade"] is not None
    monthly = anon.get("/?period=2026-03&format=json").json()
    assert monthly["ranking"][0]["grade"] is None  # grades are quarterly


def test_the_department_page_and_its_json_twin_show_the_same_scorecard(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    loaded(db, listed)
    code = listed.dept_a.code
    twin = anon.get(f"/departments/{code}.json?period=2026-03").json()
    same = anon.get(f"/departments/{code}?period=2026-03&format=json").json()
    assert twin == same
    expected = independent(db, listed.dept_a.id, {"2026-03"})  # type: ignore[arg-type]
    figures = twin["scorecard"]["figures"]
    assert figures["median_workdays"] == expected["median"] and figures["p90_workdays"] == expected["p90"]
    trend = twin["scorecard"]["trend"]
    assert len(trend) == 12
    for t in trend:  # each month as its stored scorecard says (the twelve months up to today's)
        row = db.get(Scorecard, (listed.dept_a.id, "", t["month"]))
        assert t["figures"] == (row.figures if row else None)
    page = anon.get(f"/departments/{code}?period=2026-03")
    assert page.status_code == 200 and "Too few cases to rank" in page.text
    assert "On time against the promised limit" in page.text


def test_a_bad_period_is_a_400_naming_it(db: Session, listed: Cast, anon: TestClient[Litestar]) -> None:
    response = anon.get("/?period=2026-13")
    assert response.status_code == 400 and "2026-13" in response.text
    twin = anon.get(f"/departments/{listed.dept_a.code}.json?period=soon")
    assert twin.status_code == 400 and "soon" in twin.json()["detail"]


def test_signed_in_pages_are_never_kept_by_shared_caches(
    db: Session, listed: Cast, as_supervisor: TestClient[Litestar]
) -> None:
    assert as_supervisor.get("/").headers["cache-control"] == "private, no-cache"


def test_a_power_item_page_shows_its_performance_next_to_its_limits(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    loaded(db, listed)
    twin = anon.get("/powers/XK-1.json?period=2026-03").json()
    row = db.get(Scorecard, (listed.dept_a.id, "XK-1", "2026-03"))
    assert row is not None and twin["scorecard"]["figures"] == row.figures
    assert twin["scorecard"]["figures"]["counts"]["decided"] == 5
    page = anon.get("/powers/XK-1?period=2026-03")
    assert page.status_code == 200 and "How the department keeps to these limits" in page.text


def test_the_atom_feed_lists_newly_confirmed_violations_without_personal_data(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    from defusedxml import ElementTree

    from tests.test_flag_review import do
    from tracker.flags.models import Flag
    from tracker.flags.scans import deadline_scan

    loaded(db, listed)
    deadline_scan(db, NOW)
    db.commit()
    flag = db.exec(select(Flag).where(Flag.kind == "statutory_overdue")).first()
    assert flag is not None
    do(db, flag, "confirm", listed.supervisor, "超过法定期限，内部记录：张三 13800138000")
    feed = anon.get("/violations.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(feed.content)
    atom = "{http://www.w3.org/2005/Atom}"
    [entry] = root.findall(f"{atom}entry")
    assert "statutory limit broken" in entry.findtext(f"{atom}title", "")
    assert "张三" not in feed.text and "13800138000" not in feed.text


def test_the_badge_shows_the_on_time_rate_only_above_the_floor(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    from defusedxml import ElementTree

    loaded(db, listed)
    path = f"/departments/{listed.dept_a.code}/badge.svg"
    badge = anon.get(path)
    assert badge.status_code == 200 and badge.headers["content-type"].startswith("image/svg+xml")
    ElementTree.fromstring(badge.content)
    assert "too few cases" in badge.text  # 5 decided cases in the last 12 months, under 30
    set_threshold(db, "ranking_min_cases", 3)
    db.commit()
    refresh(db, NOW, OFFICIAL, SHANGHAI, months=[])
    db.commit()
    rate = db.get(Scorecard, (listed.dept_a.id, "", "R12")).figures["on_time_promised"]["rate"]  # type: ignore[union-attr]
    assert f"{rate * 100:.1f}%" in anon.get(path).text
    assert anon.get("/departments/nope/badge.svg").status_code == 404


def test_anonymous_pages_are_rendered_once_per_ttl_and_signed_in_ones_every_time(
    db: Session, listed: Cast, settings: Settings, engine: Engine
) -> None:
    from tests.conftest import new_client, sign_in

    loaded(db, listed)
    app = create_app(settings.with_(page_cache_seconds=60), engine)
    with new_client(app) as visitor:
        first = visitor.get("/?period=2026-03&format=json").json()
        assert first["region"]["counts"]["decided"] == 5
        db.exec(delete(Scorecard))  # type: ignore[call-overload]  # the figures are gone…
        db.commit()
        assert visitor.get("/?period=2026-03&format=json").json() == first  # the kept page
        assert visitor.get("/?period=2026-03&format=json&x=1").json()["region"] is None  # another address
    with new_client(app) as signed_in:
        sign_in(signed_in, listed.supervisor)
        assert signed_in.get("/?period=2026-03&format=json").json()["region"] is None  # never kept


def test_a_kept_page_is_answered_without_a_single_query(
    db: Session, listed: Cast, settings: Settings, engine: Engine
) -> None:
    from sqlalchemy import event

    from tests.conftest import new_client

    loaded(db, listed)
    app = create_app(settings.with_(page_cache_seconds=60), engine)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    path = f"/departments/{listed.dept_a.code}?period=2026-03"
    with new_client(app) as visitor:
        assert visitor.get(path).status_code == 200
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert visitor.get(path).status_code == 200
            kept = len(statements)
            assert visitor.get("/departments/nope").status_code == 404
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert kept == 0
    assert len(statements) > 0  # a 404 is never kept: the unknown code is looked up each time
