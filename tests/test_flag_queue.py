"""The supervisors' queue: age, power and date filters, sorting, and one action on many flags."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from powerlists.columns import utcnow
from tests.conftest import Cast, csrf_from
from tests.test_cases_ingest import SHANGHAI
from tracker.accounts.models import User
from tracker.calendar import OFFICIAL
from tracker.cases.models import Case
from tracker.flags.bulk import MAX_SELECTED, BulkRefused, act_on_many
from tracker.flags.models import Flag, FlagAction, FlagStatus, Level
from tracker.flags.queries import BadFilter, parse_filter
from tracker.thresholds import load_thresholds


@dataclass
class Queue:
    base: date  # the local day flag A-2 was detected on, thirty days ago
    ids: dict[str, int]  # flag id by case ref


def _flag(
    db: Session,
    department_id: int | None,
    ref: str,
    power: str,
    kind: str,
    level: Level,
    detected: datetime,
    since: datetime,
) -> int:
    assert department_id is not None
    case = Case(department_id=department_id, ref=ref, power_code=power, received_at=since)
    db.add(case)
    db.flush()
    flag = Flag(
        case_id=case.id,  # type: ignore[arg-type]
        department_id=department_id,
        kind=kind,
        level=level,
        since=since,
        detected_at=detected,
        params={},
        evidence=[],
    )
    db.add(flag)
    db.flush()
    assert flag.id is not None
    return flag.id


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def queue(db: Session, cast: Cast) -> Queue:
    """Four flags, in id order: A-1 and A-2 in department A thirty-odd days ago, half an hour apart
    across local midnight (the same UTC day); B-1 and B-2 in department B, found by the same scan."""
    base = utcnow().astimezone(SHANGHAI).date() - timedelta(days=30)
    a, b = cast.dept_a.id, cast.dept_b.id
    ids = {
        "A-1": _flag(
            db,
            a,
            "A-1",
            "XK-1",
            "promise_overdue",
            Level.yellow,
            local(base - timedelta(days=1), 23, 30),
            local(base - timedelta(days=5), 9),
        ),
        "A-2": _flag(
            db,
            a,
            "A-2",
            "XK-2",
            "off_list_power",
            Level.red,
            local(base, 0, 30),
            local(base - timedelta(days=2), 9),
        ),
        "B-1": _flag(
            db,
            b,
            "B-1",
            "XK-1",
            "due_soon",
            Level.warning,
            local(base + timedelta(days=3), 10),
            local(base - timedelta(days=10), 9),
        ),
        "B-2": _flag(
            db,
            b,
            "B-2",
            "XK-9",
            "off_list_power",
            Level.red,
            local(base + timedelta(days=3), 10),
            local(base - timedelta(days=1), 9),
        ),
    }
    db.commit()
    return Queue(base, ids)


CASE_LINK = re.compile(r'<a href="/cases/\d+">([^<]+)</a>')


def page_refs(client: TestClient[Litestar], query: str) -> list[str]:
    response = client.get(f"/flags/?{query}")
    assert response.status_code == 200, response.text
    return CASE_LINK.findall(response.text)


def json_refs(client: TestClient[Litestar], query: str) -> list[str]:
    response = client.get(f"/flags/?{query}&format=json")
    assert response.status_code == 200, response.text
    return [f["case"] for f in response.json()["flags"]]


def csv_refs(client: TestClient[Litestar], query: str) -> list[str]:
    response = client.get(f"/flags/export.csv?{query}")
    assert response.status_code == 200, response.text
    return [r[0] for r in list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))[1:]]


def xlsx_refs(client: TestClient[Litestar], query: str) -> list[str]:
    response = client.get(f"/flags/export.xlsx?{query}")
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return [str(r[0]) for r in sheet.iter_rows(min_row=2, values_only=True)]


def every_renderer(client: TestClient[Litestar], query: str) -> list[str]:
    """The rows the page shows, after checking that its JSON and both exports hold the same ones."""
    shown = page_refs(client, query)
    assert json_refs(client, query) == shown
    assert csv_refs(client, query) == shown
    assert xlsx_refs(client, query) == shown
    return shown


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("power=XK-1", {"A-1", "B-1"}),
        ("min_age=29", {"A-1", "A-2"}),
        ("min_age=0", {"A-1", "A-2", "B-1", "B-2"}),
        ("from={base}&to={base}", {"A-2"}),  # local dates: A-1 is the evening before, same UTC day
        ("to={before}", {"A-1"}),
        ("from={later}", {"B-1", "B-2"}),
        ("department=dept-b&level=red", {"B-2"}),
        ("power=XK-1&min_age=29&from={before}", {"A-1"}),
    ],
)
def test_each_filter_narrows_the_page_its_json_and_its_exports_alike(
    queue: Queue, as_supervisor: TestClient[Litestar], query: str, expected: set[str]
) -> None:
    query = query.format(
        base=queue.base, before=queue.base - timedelta(days=1), later=queue.base + timedelta(days=3)
    )
    assert set(every_renderer(as_supervisor, query)) == expected


def test_the_counts_at_the_top_follow_the_filters(queue: Queue, as_supervisor: TestClient[Litestar]) -> None:
    data = as_supervisor.get("/flags/?format=json&min_age=29").json()
    assert data["total"] == 2
    assert {f["id"] for f in data["flags"]} == {queue.ids["A-1"], queue.ids["A-2"]}  # to act on them
    assert data["counts"] == {"status": {"open": 2}, "level": {"yellow": 1, "red": 1}}
    assert as_supervisor.get("/flags/?format=json&power=XK-9").json()["counts"]["level"] == {"red": 1}


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["B-2", "B-1", "A-2", "A-1"]),  # newest detected first; B-1 and B-2 tie, higher id first
        ("-detected", ["B-2", "B-1", "A-2", "A-1"]),
        ("detected", ["A-1", "A-2", "B-1", "B-2"]),
        ("since", ["B-1", "A-1", "A-2", "B-2"]),
        ("level", ["B-1", "A-1", "A-2", "B-2"]),  # by severity, not by name; the reds by id
        ("-level", ["B-2", "A-2", "A-1", "B-1"]),
        ("kind", ["B-1", "A-2", "B-2", "A-1"]),
        ("-department", ["B-2", "B-1", "A-2", "A-1"]),
        ("case", ["A-1", "A-2", "B-1", "B-2"]),
        ("-case", ["B-2", "B-1", "A-2", "A-1"]),
        ("status", ["A-1", "A-2", "B-1", "B-2"]),  # all open: the id decides
        ("-status", ["B-2", "B-1", "A-2", "A-1"]),
        ("power", ["A-1", "B-1", "A-2", "B-2"]),  # XK-1, XK-1, XK-2, XK-9
        ("-power", ["B-2", "A-2", "B-1", "A-1"]),
    ],
)
def test_the_queue_sorts_both_ways_with_ties_in_id_order(
    queue: Queue, as_supervisor: TestClient[Litestar], sort: str, expected: list[str]
) -> None:
    assert every_renderer(as_supervisor, f"sort={sort}") == expected


def test_the_queue_sorts_by_deadline_with_the_flags_without_one_last_either_way(
    queue: Queue, db: Session, as_supervisor: TestClient[Litestar]
) -> None:
    soon = utcnow() + timedelta(days=2)
    for ref, due in (("A-2", soon), ("B-1", soon + timedelta(days=5))):
        flag = db.get(Flag, queue.ids[ref])
        assert flag is not None
        flag.due_at = due
    db.commit()
    assert every_renderer(as_supervisor, "sort=due") == ["A-2", "B-1", "A-1", "B-2"]
    assert every_renderer(as_supervisor, "sort=-due") == ["B-1", "A-2", "B-2", "A-1"]


def test_column_headers_sort_and_pagination_links_keep_the_filters(
    queue: Queue, as_supervisor: TestClient[Litestar]
) -> None:
    text = as_supervisor.get("/flags/?power=XK-1&sort=case&per_page=1").text
    assert 'href="?power=XK-1&amp;sort=-case&amp;per_page=1"' in text  # the current column reverses
    assert 'href="?power=XK-1&amp;sort=level&amp;per_page=1"' in text
    assert 'href="?power=XK-1&amp;sort=case&amp;per_page=1&amp;page=2"' in text
    assert page_refs(as_supervisor, "power=XK-1&sort=case&per_page=1&page=2") == ["B-1"]


@pytest.mark.parametrize(
    ("query", "param", "value"),
    [
        ("sort=priority", "sort", "priority"),
        ("sort=--case", "sort", "--case"),
        ("from=2026-13-01", "from", "2026-13-01"),
        ("to=yesterday", "to", "yesterday"),
        ("from=2026-03-05&to=2026-03-01", "from", "2026-03-05"),
        ("min_age=ten", "min_age", "ten"),
        ("min_age=-3", "min_age", "-3"),
        ("level=purple", "level", "purple"),
    ],
)
def test_a_bad_parameter_answers_400_naming_it_on_the_page_the_json_and_the_exports(
    queue: Queue, as_supervisor: TestClient[Litestar], query: str, param: str, value: str
) -> None:
    named = f"{param}: “{value}”"
    page = as_supervisor.get(f"/flags/?{query}")
    assert page.status_code == 400 and named in page.text
    data = as_supervisor.get(f"/flags/?{query}&format=json")
    assert data.status_code == 400 and named in data.json()["errors"][param]
    assert data.json()["detail"] == data.json()["errors"][param]
    for export in ("export.csv", "export.xlsx"):
        response = as_supervisor.get(f"/flags/{export}?{query}")
        assert response.status_code == 400 and named in response.text


def test_a_bad_filter_is_a_value_error_naming_the_parameter_without_any_web_request() -> None:
    with pytest.raises(BadFilter) as caught:
        parse_filter({"to": "2026-02-30"}, None, tz=SHANGHAI, now=utcnow())
    assert (caught.value.param, caught.value.value) == ("to", "2026-02-30")


def test_an_operator_sees_only_their_department_even_asking_for_another(
    queue: Queue, as_op_a: TestClient[Litestar]
) -> None:
    assert set(every_renderer(as_op_a, "department=dept-b")) == {"A-1", "A-2"}
    counts = as_op_a.get("/flags/?format=json&department=dept-b").json()["counts"]
    assert counts["status"] == {"open": 2}


def select_and_act(
    client: TestClient[Litestar], ids: list[int | str], action: str, reason: str, query: str = ""
):  # type: ignore[no-untyped-def]
    """Tick flags on the queue and send one action with one reason, as the page's form does."""
    page = client.get(f"/flags/?{query}")
    form: dict[str, str | list[str]] = {
        "flag": [str(i) for i in ids],
        "action": action,
        "text": reason,
        "csrf_token": csrf_from(page.text),
    }
    target = f"/flags/act?{query}" if query else "/flags/act"
    return client.post(target, data=form, follow_redirects=False)


def actions(db: Session) -> list[tuple[int, str, str, str, int]]:
    db.commit()
    db.expire_all()
    rows = db.exec(select(FlagAction).order_by(col(FlagAction.flag_id)))
    return [(a.flag_id, a.action, a.to_status, a.text, a.actor_id) for a in rows]


def test_a_supervisor_confirms_three_flags_of_two_departments_at_once_with_one_reason(
    db: Session, queue: Queue, cast: Cast, as_supervisor: TestClient[Litestar]
) -> None:
    ids = [queue.ids["A-1"], queue.ids["A-2"], queue.ids["B-1"]]
    response = select_and_act(as_supervisor, ids, "confirm", "超期未办结", query="status=open&sort=case")
    assert response.status_code == 302
    assert response.headers["location"] == "/flags/?status=open&sort=case"
    assert [a[:4] for a in actions(db)] == [(i, "confirm", "confirmed", "超期未办结") for i in sorted(ids)]
    assert {a[4] for a in actions(db)} == {cast.supervisor.id}
    assert "3 flags recorded" in as_supervisor.get(response.headers["location"]).text
    assert page_refs(as_supervisor, "status=open") == ["B-2"]  # the one left alone


def test_one_flag_that_cannot_take_the_action_makes_the_whole_selection_record_nothing(
    db: Session, queue: Queue, as_supervisor: TestClient[Litestar]
) -> None:
    taken = db.get(Flag, queue.ids["B-2"])
    assert taken is not None
    taken.status = FlagStatus.dismissed
    db.add(taken)
    db.commit()
    ids = [queue.ids["A-1"], queue.ids["B-2"], queue.ids["A-2"]]
    response = select_and_act(as_supervisor, ids, "confirm", "一并确认", query="sort=case")
    assert response.status_code == 400
    assert f"Flag {queue.ids['B-2']} (case B-2)" in response.text
    assert "not possible while the flag is dismissed" in response.text
    assert f"Flag {queue.ids['A-1']} " not in response.text  # the others were fine
    assert actions(db) == []
    db.expire_all()
    assert [db.get(Flag, i).status for i in ids] == ["open", "dismissed", "open"]  # type: ignore[union-attr]
    # The form comes back as it was sent: the same boxes ticked, the same reason.
    assert f'value="{queue.ids["A-1"]}" id="select-{queue.ids["A-1"]}" checked' in response.text
    assert "一并确认</textarea>" in response.text


def test_an_unknown_flag_in_the_selection_is_named_and_nothing_is_recorded(
    db: Session, queue: Queue, as_supervisor: TestClient[Litestar]
) -> None:
    response = select_and_act(as_supervisor, [queue.ids["A-1"], 987654], "dismiss", "误报")
    assert response.status_code == 400 and "Flag 987654: There is no such flag." in response.text
    assert actions(db) == []


@pytest.mark.parametrize(
    ("ids", "action", "reason", "message"),
    [
        ([], "confirm", "理由", "Select at least one flag."),
        (["A-1"], "confirm", "   ", "Write the reason"),
        (["A-1"], "accept_rectification", "理由", "cannot be taken on several flags at once"),
        (["A-1", "x1"], "confirm", "理由", "“x1” is not a flag number."),
        (list(range(1, MAX_SELECTED + 2)), "confirm", "理由", "Select at most 500 flags at once"),
    ],
    ids=["nothing selected", "no reason", "not a bulk action", "not a number", "too many"],
)
def test_a_selection_that_cannot_be_acted_on_says_why_and_records_nothing(
    db: Session,
    queue: Queue,
    as_supervisor: TestClient[Litestar],
    ids: list[int | str],
    action: str,
    reason: str,
    message: str,
) -> None:
    chosen = [queue.ids.get(str(i), i) for i in ids]
    response = select_and_act(as_supervisor, chosen, action, reason)
    assert response.status_code == 400 and message in response.text
    assert actions(db) == []


def test_an_operator_cannot_act_on_many_flags_nor_sees_the_checkboxes(
    db: Session, queue: Queue, as_op_a: TestClient[Litestar]
) -> None:
    page = as_op_a.get("/flags/").text
    assert 'name="flag"' not in page and 'action="/flags/act' not in page
    response = select_and_act(as_op_a, [queue.ids["A-1"]], "confirm", "越权")
    assert response.status_code == 403 and "You do not have permission" in response.text
    assert actions(db) == []


def test_an_admin_may_act_on_many_flags_too(
    db: Session, queue: Queue, cast: Cast, as_admin: TestClient[Litestar]
) -> None:
    assert 'name="flag"' in as_admin.get("/flags/").text
    response = select_and_act(as_admin, [queue.ids["B-1"]], "request_explanation", "请说明")
    assert response.status_code == 302 and response.headers["location"] == "/flags/"
    assert actions(db) == [
        (queue.ids["B-1"], "request_explanation", "explanation_requested", "请说明", cast.admin.id)
    ]


def test_acting_on_many_undoes_the_flags_already_changed_when_a_later_one_is_refused(
    db: Session, queue: Queue, cast: Cast
) -> None:
    user = db.get(User, cast.supervisor.id)
    assert user is not None
    ids = [queue.ids["A-1"], queue.ids["A-2"]]
    act_on_many(
        db,
        [ids[1]],
        "dismiss",
        user,
        "误报",
        now=utcnow(),
        cal=OFFICIAL,
        tz=SHANGHAI,
        thresholds=load_thresholds(db),
    )
    db.commit()
    with pytest.raises(BulkRefused) as refused:
        act_on_many(
            db,
            ids,
            "exempt",
            user,
            "依法豁免",
            now=utcnow(),
            cal=OFFICIAL,
            tz=SHANGHAI,
            thresholds=load_thresholds(db),
        )
    assert [(p.flag_id, p.case) for p in refused.value.problems] == [(ids[1], "A-2")]
    db.commit()  # what the session would write now: A-1 must not be exempted
    assert [(a[0], a[1]) for a in actions(db)] == [(ids[1], "dismiss")]
    assert db.get(Flag, ids[0]).status == FlagStatus.open  # type: ignore[union-attr]
