"""Notifications: who hears about new flags and review actions, the inbox pages, subscriptions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, col, select

from powerlists.columns import utcnow
from tests.conftest import Cast, post_form
from tests.test_flag_review import NOW, do
from tracker.accounts.models import Role, User
from tracker.cases.models import Case
from tracker.flags.models import Flag, Level
from tracker.i18n import speaking
from tracker.notify.flag_events import LAG, notify_all, notify_flag_actions, notify_new_flags
from tracker.notify.inbox import Message, notify, supervisors
from tracker.notify.models import Notification, OutboxMessage, Subscription
from tracker.notify.render import render
from tracker.notify.subscriptions import SubscriptionError, subscribe, subscriptions_of, unsubscribe
from tracker.settings import Settings

LATER = NOW + timedelta(minutes=1)


def flag_in(
    db: Session,
    department_id: int | None,
    ref: str,
    kind: str = "promise_overdue",
    detected_at: datetime = NOW,
) -> Flag:
    assert department_id is not None
    case = db.exec(select(Case).where(Case.department_id == department_id, Case.ref == ref)).first()
    if case is None:
        case = Case(department_id=department_id, ref=ref, power_code="XK-1", received_at=NOW)
        db.add(case)
        db.flush()
    flag = Flag(
        case_id=case.id,  # type: ignore[arg-type]
        department_id=department_id,
        kind=kind,
        level=Level.yellow,
        since=detected_at,
        detected_at=detected_at,
        params={},
        evidence=[],
    )
    db.add(flag)
    db.commit()
    return flag


def inbox_of(db: Session, user: User) -> list[Notification]:
    db.commit()  # a fresh snapshot: see what requests and steps committed
    db.expire_all()
    stmt = select(Notification).where(Notification.user_id == user.id).order_by(col(Notification.id))
    return list(db.exec(stmt))


def another_supervisor(db: Session, cast: Cast) -> User:
    user = User(
        email="supervisor-2@example.org",
        password_hash=cast.supervisor.password_hash,
        role=Role.supervisor,
        created_at=utcnow(),
    )
    db.add(user)
    db.commit()
    return user


def follow(db: Session, user: User, department_id: int | None = 0, kind: str = "") -> None:
    subscribe(db, user, department_id or 0, kind, NOW)
    db.commit()


def run(db: Session, settings: Settings, now: datetime = LATER) -> int:
    added = notify_all(db, settings, now)
    db.commit()
    return added


# Sending: one message per recipient and event


def test_the_same_key_twice_gives_one_message(db: Session, cast: Cast) -> None:
    message = Message("Hello %(name)s", "Body", {"name": "x"}, link="/flags/1")
    assert notify(db, [cast.op_a, cast.op_b], "test:1", message, now=NOW) == 2
    assert notify(db, [cast.op_a, cast.op_b, cast.supervisor], "test:1", message, now=LATER) == 1
    db.commit()
    assert [n.key for n in inbox_of(db, cast.op_a)] == ["test:1"]
    assert [n.key for n in inbox_of(db, cast.supervisor)] == ["test:1"]


# New flags


def test_a_new_flag_notifies_a_subscribed_supervisor_and_not_an_unsubscribed_one(
    db: Session, cast: Cast, settings: Settings
) -> None:
    other = another_supervisor(db, cast)
    follow(db, cast.supervisor, cast.dept_a.id)
    follow(db, other, cast.dept_b.id)
    flag = flag_in(db, cast.dept_a.id, "A-1")
    assert run(db, settings) == 1
    [message] = inbox_of(db, cast.supervisor)
    assert (message.key, message.link) == (f"flag:{flag.id}:new", f"/flags/{flag.id}")
    assert inbox_of(db, other) == [] and inbox_of(db, cast.admin) == [] and inbox_of(db, cast.op_a) == []


def test_a_kind_subscription_follows_only_that_kind_in_every_department(
    db: Session, cast: Cast, settings: Settings
) -> None:
    follow(db, cast.supervisor, kind="off_list_power")
    flag_in(db, cast.dept_a.id, "A-1", kind="promise_overdue")
    wanted = flag_in(db, cast.dept_b.id, "B-1", kind="off_list_power")
    assert run(db, settings) == 1
    assert [n.key for n in inbox_of(db, cast.supervisor)] == [f"flag:{wanted.id}:new"]


def test_running_the_notify_step_twice_adds_nothing(db: Session, cast: Cast, settings: Settings) -> None:
    follow(db, cast.supervisor)
    flag = flag_in(db, cast.dept_a.id, "A-1")
    do(db, flag, "request_explanation", cast.supervisor, "请说明")
    assert run(db, settings) == 2  # the new flag to the supervisor, the request to op_a
    assert run(db, settings) == 0
    assert run(db, settings, LATER + timedelta(minutes=1)) == 0  # reaching back LAG finds them sent
    assert len(inbox_of(db, cast.supervisor)) == 1 and len(inbox_of(db, cast.op_a)) == 1


def test_a_first_run_does_not_announce_old_flags(db: Session, cast: Cast, settings: Settings) -> None:
    follow(db, cast.supervisor)
    flag_in(db, cast.dept_a.id, "A-1", detected_at=NOW - timedelta(days=3))
    assert run(db, settings) == 0


def test_a_flag_committed_after_the_last_run_with_an_earlier_time_is_still_announced(
    db: Session, cast: Cast, settings: Settings
) -> None:
    follow(db, cast.supervisor)
    assert run(db, settings, LATER) == 0
    # A scan that stamped its flags before that run and committed them after it.
    late = flag_in(db, cast.dept_a.id, "A-1", detected_at=LATER - LAG / 2)
    assert run(db, settings, LATER + timedelta(minutes=1)) == 1
    assert [n.key for n in inbox_of(db, cast.supervisor)] == [f"flag:{late.id}:new"]


def test_a_flag_detected_after_now_waits_for_the_run_that_reaches_it(
    db: Session, cast: Cast, settings: Settings
) -> None:
    follow(db, cast.supervisor)
    flag_in(db, cast.dept_a.id, "A-1", detected_at=LATER + timedelta(seconds=30))
    assert notify_new_flags(db, settings, LATER) == 0
    assert notify_new_flags(db, settings, LATER + timedelta(minutes=1)) == 1


# Review actions


def test_a_request_for_explanation_notifies_the_departments_operators_and_not_another_departments(
    db: Session, cast: Cast, settings: Settings
) -> None:
    flag = flag_in(db, cast.dept_a.id, "A-1")
    record = do(db, flag, "request_explanation", cast.supervisor, "请说明超期原因")
    assert notify_flag_actions(db, settings, LATER) == 1
    db.commit()
    [message] = inbox_of(db, cast.op_a)
    assert (message.key, message.link) == (f"action:{record.id}", f"/flags/{flag.id}")
    assert inbox_of(db, cast.op_b) == [] and inbox_of(db, cast.supervisor) == []
    with speaking("en"):
        shown = render(message, settings.tz)
    assert shown.subject == "Case A-1, promise broken: explanation requested"
    assert "请说明超期原因" in shown.body and "Deadline: 2026-10-08 23:59" in shown.body


@pytest.mark.parametrize("action", ["confirm", "dismiss", "exempt"])
def test_every_supervisors_decision_reaches_the_department(
    db: Session, cast: Cast, settings: Settings, action: str
) -> None:
    flag = flag_in(db, cast.dept_b.id, "B-1")
    do(db, flag, action, cast.admin, "理由")
    assert run(db, settings) == 1
    assert len(inbox_of(db, cast.op_b)) == 1 and inbox_of(db, cast.op_a) == []


def test_a_departments_reply_reaches_the_following_supervisors_only(
    db: Session, cast: Cast, settings: Settings
) -> None:
    other = another_supervisor(db, cast)
    follow(db, other, cast.dept_a.id, "promise_overdue")
    follow(db, cast.supervisor, cast.dept_b.id)
    flag = flag_in(db, cast.dept_a.id, "A-1", detected_at=NOW - timedelta(days=1))
    do(db, flag, "request_explanation", cast.supervisor)
    reply = do(db, flag, "reply", cast.op_a, "系统故障")
    run(db, settings)
    assert [n.key for n in inbox_of(db, other)] == [f"action:{reply.id}"]
    assert inbox_of(db, cast.supervisor) == [] and inbox_of(db, cast.admin) == []


def test_a_reply_nobody_follows_reaches_every_supervisor(db: Session, cast: Cast, settings: Settings) -> None:
    flag = flag_in(db, cast.dept_a.id, "A-1", detected_at=NOW - timedelta(days=1))
    do(db, flag, "confirm", cast.supervisor)
    report = do(db, flag, "report_rectification", cast.op_a, "已整改")
    run(db, settings)
    everyone = {u.email for u in supervisors(db)}
    assert everyone == {cast.supervisor.email, cast.admin.email}
    for user in (cast.supervisor, cast.admin):
        assert [n.key for n in inbox_of(db, user)] == [f"action:{report.id}"]
    assert [n.key for n in inbox_of(db, cast.op_b)] == []


# Rendering and e-mail


def test_a_message_is_shown_in_the_readers_language(db: Session, cast: Cast, settings: Settings) -> None:
    follow(db, cast.supervisor)
    flag_in(db, cast.dept_a.id, "A-1", kind="off_list_power")
    run(db, settings)
    [message] = inbox_of(db, cast.supervisor)
    with speaking("en"):
        english = render(message, settings.tz)
    with speaking("zh-CN"):
        chinese = render(message, settings.tz)
    assert "Bureau A" in english.body and "power not on the list" in english.subject
    assert "甲局" in chinese.body and "power not on the list" not in chinese.subject


def test_no_email_is_queued_without_an_smtp_server(db: Session, cast: Cast, settings: Settings) -> None:
    follow(db, cast.supervisor)
    flag_in(db, cast.dept_a.id, "A-1")
    assert run(db, settings) == 1
    assert list(db.exec(select(OutboxMessage))) == []


def test_with_an_smtp_server_each_recipient_gets_one_email_in_the_sites_language(
    db: Session, cast: Cast, settings: Settings
) -> None:
    smtp = settings.with_(smtp_url="smtp://127.0.0.1:2525", language="en")
    follow(db, cast.supervisor)
    follow(db, cast.admin, cast.dept_a.id)
    flag = flag_in(db, cast.dept_a.id, "A-1")
    assert run(db, smtp) == 2
    assert run(db, smtp, LATER + timedelta(minutes=1)) == 0
    mails = list(db.exec(select(OutboxMessage).order_by(col(OutboxMessage.to_address))))
    assert [m.to_address for m in mails] == [cast.admin.email, cast.supervisor.email]
    assert all(m.subject == "New flag: promise broken in case A-1" for m in mails)
    assert all(f"{smtp.site_url}/flags/{flag.id}" in m.body and "Bureau A" in m.body for m in mails)


# Subscriptions


def test_subscribing_twice_keeps_one_and_unsubscribing_is_only_for_the_owner(db: Session, cast: Cast) -> None:
    follow(db, cast.supervisor, cast.dept_a.id)
    follow(db, cast.supervisor, cast.dept_a.id)
    [row] = subscriptions_of(db, cast.supervisor)
    assert not unsubscribe(db, cast.admin, row.id)  # type: ignore[arg-type]
    assert unsubscribe(db, cast.supervisor, row.id)  # type: ignore[arg-type]
    assert subscriptions_of(db, cast.supervisor) == []


@pytest.mark.parametrize(
    ("who", "department", "kind"),
    [("op_a", 0, ""), ("supervisor", 999_999, ""), ("supervisor", 0, "no_such_kind")],
)
def test_an_impossible_subscription_is_refused(
    db: Session, cast: Cast, who: str, department: int, kind: str
) -> None:
    with pytest.raises(SubscriptionError):
        subscribe(db, getattr(cast, who), department, kind, NOW)


def test_a_supervisor_follows_and_unfollows_on_the_subscriptions_page(
    db: Session, cast: Cast, as_supervisor: TestClient[Litestar]
) -> None:
    response = post_form(as_supervisor, "/subscriptions/", {"department": "dept-b", "kind": "stalled"})
    assert response.status_code == 302
    page = as_supervisor.get("/subscriptions/")
    assert "Bureau B" in page.text and "stalled" in page.text
    data = as_supervisor.get("/subscriptions/?format=json").json()
    assert [(s["department"], s["kind"]) for s in data["subscriptions"]] == [("dept-b", "stalled")]
    response = post_form(
        as_supervisor,
        f"/subscriptions/{data['subscriptions'][0]['id']}/delete",
        {},
        form_page="/subscriptions/",
    )
    assert response.status_code == 302
    db.commit()
    db.expire_all()
    assert list(db.exec(select(Subscription))) == []


def test_all_departments_and_all_kinds_is_one_subscription(
    db: Session, cast: Cast, as_admin: TestClient[Litestar]
) -> None:
    assert post_form(as_admin, "/subscriptions/", {"department": "", "kind": ""}).status_code == 302
    db.commit()
    db.expire_all()
    [row] = subscriptions_of(db, cast.admin)
    assert (row.department_id, row.kind) == (0, "")


def test_an_unknown_department_is_refused_on_the_page(as_supervisor: TestClient[Litestar]) -> None:
    response = post_form(as_supervisor, "/subscriptions/", {"department": "nope", "kind": ""})
    assert response.status_code == 400 and "Choose a department." in response.text


def test_an_operator_cannot_subscribe(as_op_a: TestClient[Litestar]) -> None:
    assert as_op_a.get("/subscriptions/").status_code == 403
    page = as_op_a.get("/inbox")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = as_op_a.post("/subscriptions/", data={"department": "", "kind": "", "csrf_token": token})
    assert response.status_code == 403


def test_a_supervisor_cannot_remove_another_supervisors_subscription(
    db: Session, cast: Cast, as_supervisor: TestClient[Litestar]
) -> None:
    follow(db, cast.admin)
    [row] = subscriptions_of(db, cast.admin)
    response = post_form(as_supervisor, f"/subscriptions/{row.id}/delete", {}, form_page="/subscriptions/")
    assert response.status_code == 404
    db.commit()
    db.expire_all()
    assert subscriptions_of(db, cast.admin) != []


# The inbox pages


def _two_for_a_one_for_b(db: Session, cast: Cast) -> list[Notification]:
    notify(db, [cast.op_a], "t:1", Message("First for A", "Body one"), now=NOW)
    notify(db, [cast.op_a], "t:2", Message("Second for A", "Body two", link="/flags/7"), now=LATER)
    notify(db, [cast.op_b], "t:3", Message("Only for B", "Body three"), now=NOW)
    db.commit()
    return inbox_of(db, cast.op_a)


def test_the_inbox_shows_only_the_users_own_messages_and_the_unread_count_in_the_header(
    db: Session, cast: Cast, as_op_a: TestClient[Litestar]
) -> None:
    _two_for_a_one_for_b(db, cast)
    page = as_op_a.get("/inbox")
    assert page.status_code == 200
    assert "First for A" in page.text and "Second for A" in page.text and "Only for B" not in page.text
    assert "Inbox (2)" in page.text
    assert "Inbox (2)" in as_op_a.get("/cases/").text  # on every page
    data = as_op_a.get("/inbox?format=json").json()
    assert data["unread"] == 2 and data["total"] == 2
    assert [m["subject"] for m in data["messages"]] == ["Second for A", "First for A"]  # newest first


def test_marking_a_message_read_lowers_the_count(
    db: Session, cast: Cast, as_op_a: TestClient[Litestar]
) -> None:
    first, _second = _two_for_a_one_for_b(db, cast)
    response = post_form(as_op_a, f"/inbox/{first.id}/read", {}, form_page="/inbox")
    assert response.status_code == 302
    db.commit()
    db.expire_all()
    assert db.get(Notification, first.id).read_at is not None  # type: ignore[union-attr]
    page = as_op_a.get("/inbox")
    assert "Inbox (1)" in page.text
    assert page.text.count('class="unread"') == 2  # the header link and the one unread message


def test_opening_a_message_marks_it_read_and_follows_its_link(
    db: Session, cast: Cast, as_op_a: TestClient[Litestar]
) -> None:
    _first, second = _two_for_a_one_for_b(db, cast)
    response = post_form(as_op_a, f"/inbox/{second.id}/open", {}, form_page="/inbox")
    assert (response.status_code, response.headers["location"]) == (302, "/flags/7")
    db.commit()
    db.expire_all()
    assert db.get(Notification, second.id).read_at is not None  # type: ignore[union-attr]


def test_marking_all_read_clears_the_count_and_only_the_users_own(
    db: Session, cast: Cast, as_op_a: TestClient[Litestar]
) -> None:
    _two_for_a_one_for_b(db, cast)
    assert post_form(as_op_a, "/inbox/read-all", {}, form_page="/inbox").status_code == 302
    db.commit()
    db.expire_all()
    assert all(n.read_at is not None for n in inbox_of(db, cast.op_a))
    assert all(n.read_at is None for n in inbox_of(db, cast.op_b))
    assert "Inbox (" not in as_op_a.get("/inbox").text


@pytest.mark.parametrize("what", ["read", "open"])
def test_another_users_message_answers_404(
    db: Session, cast: Cast, as_op_b: TestClient[Litestar], what: str
) -> None:
    first, _second = _two_for_a_one_for_b(db, cast)
    response = post_form(as_op_b, f"/inbox/{first.id}/{what}", {}, form_page="/inbox")
    assert response.status_code == 404
    db.commit()
    db.expire_all()
    assert db.get(Notification, first.id).read_at is None  # type: ignore[union-attr]


def test_reading_a_message_needs_a_post(db: Session, cast: Cast, as_op_a: TestClient[Litestar]) -> None:
    first, _second = _two_for_a_one_for_b(db, cast)
    assert as_op_a.get(f"/inbox/{first.id}/open").status_code == 405
    db.commit()
    db.expire_all()
    assert db.get(Notification, first.id).read_at is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/inbox", {"anon": 302, "as_admin": 200, "as_supervisor": 200, "as_op_a": 200}),
        # A JSON twin asked for without signing in answers 401 in JSON, not with a redirect to a form.
        ("/inbox?page=2&format=json", {"anon": 401, "as_admin": 200, "as_supervisor": 200, "as_op_a": 200}),
        ("/subscriptions/", {"anon": 302, "as_admin": 200, "as_supervisor": 200, "as_op_a": 403}),
    ],
)
@pytest.mark.parametrize("role", ["anon", "as_admin", "as_supervisor", "as_op_a"])
def test_each_notification_page_answers_each_role_as_intended(
    request: pytest.FixtureRequest, cast: Cast, role: str, path: str, expected: dict[str, int]
) -> None:
    client: TestClient[Litestar] = request.getfixturevalue(role)
    response = client.get(path, follow_redirects=False)
    assert response.status_code == expected[role]
    if response.status_code == 302:
        assert response.headers["location"].startswith("/login?next=")
