from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import update
from sqlmodel import Session, select

from tests.conftest import PASSWORD, Cast, csrf_from, new_client, post_form, sign_in
from tracker.accounts.models import LoginAttempt, User, WebSession
from tracker.accounts.sessions import token_hash


def _session_rows(db: Session) -> list[WebSession]:
    db.expire_all()
    return list(db.exec(select(WebSession)))


def test_sign_in_with_the_right_password_opens_a_session(
    anon: TestClient[Litestar], cast: Cast, db: Session
) -> None:
    response = sign_in(anon, cast.supervisor)
    assert response.headers["location"] == "/account"
    assert anon.get("/account").status_code == 200
    assert [s.user_id for s in _session_rows(db)] == [cast.supervisor.id]


def test_sign_in_redirects_to_a_local_next_page_only(anon: TestClient[Litestar], cast: Cast) -> None:
    page = anon.get("/login?next=/tokens")
    ok = anon.post(
        "/login",
        data={
            "email": cast.op_a.email,
            "password": PASSWORD,
            "next": "/tokens",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert ok.headers["location"] == "/tokens"
    with new_client(anon.app) as other:  # type: ignore[arg-type]
        page = other.get("/login")
        evil = other.post(
            "/login",
            data={
                "email": cast.op_a.email,
                "password": PASSWORD,
                "next": "//evil.example",
                "csrf_token": csrf_from(page.text),
            },
            follow_redirects=False,
        )
        assert evil.headers["location"] == "/tokens"  # the operator's landing page, not the other site


def test_wrong_password_is_refused_with_a_message(
    anon: TestClient[Litestar], cast: Cast, db: Session
) -> None:
    response = post_form(anon, "/login", {"email": cast.admin.email, "password": "wrong password!"})
    assert response.status_code == 400
    assert "The email or password is wrong." in response.text
    assert _session_rows(db) == []
    assert anon.get("/account", follow_redirects=False).status_code == 302


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(
    anon: TestClient[Litestar], cast: Cast
) -> None:
    response = post_form(anon, "/login", {"email": "nobody@example.org", "password": "whatever123"})
    assert response.status_code == 400
    assert "The email or password is wrong." in response.text


def test_disabled_user_cannot_sign_in(anon: TestClient[Litestar], cast: Cast, db: Session) -> None:
    db.execute(update(User).where(User.id == cast.op_a.id).values(is_active=False))  # type: ignore[arg-type]
    db.commit()
    response = post_form(anon, "/login", {"email": cast.op_a.email, "password": PASSWORD})
    assert response.status_code == 400


def test_an_account_is_throttled_after_repeated_failures(
    anon: TestClient[Litestar], cast: Cast, settings
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(settings.login_max_failures):
        assert (
            post_form(anon, "/login", {"email": cast.admin.email, "password": "bad password"}).status_code
            == 400
        )
    # Even the right password is refused while the account is locked.
    locked = post_form(anon, "/login", {"email": cast.admin.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in locked.text
    # Another account from the same address is not locked by these few failures.
    assert sign_in(anon, cast.supervisor).status_code == 302


def test_a_client_address_is_throttled_across_accounts(
    anon: TestClient[Litestar], cast: Cast, db: Session, settings
) -> None:  # type: ignore[no-untyped-def]
    now = __import__("powerlists.columns", fromlist=["utcnow"]).utcnow()
    limit = settings.login_max_failures * 4
    db.add_all(
        LoginAttempt(
            email=f"user{i}@example.org", ip="testclient", at=now - timedelta(minutes=1), success=False
        )
        for i in range(limit)
    )
    db.commit()
    response = post_form(anon, "/login", {"email": cast.admin.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Try again in" in response.text


def test_throttle_lifts_when_the_failures_leave_the_window(
    anon: TestClient[Litestar], cast: Cast, db: Session, settings
) -> None:  # type: ignore[no-untyped-def]
    from powerlists.columns import utcnow

    old = utcnow() - timedelta(minutes=settings.login_window_minutes + 1)
    db.add_all(
        LoginAttempt(email=cast.admin.email, ip="testclient", at=old, success=False)
        for _ in range(settings.login_max_failures)
    )
    db.commit()
    assert sign_in(anon, cast.admin).status_code == 302


def test_sign_out_destroys_the_session_on_the_server(as_admin: TestClient[Litestar], db: Session) -> None:
    token = as_admin.cookies["tracker_session"]
    page = as_admin.get("/account")
    response = as_admin.post("/logout", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert response.status_code == 302
    assert _session_rows(db) == []
    # Replaying the old cookie gets nothing.
    with new_client(as_admin.app) as replay:  # type: ignore[arg-type]
        replay.cookies.set("tracker_session", token, domain="testserver.local")
        assert replay.get("/account", follow_redirects=False).status_code == 302


def test_a_session_id_chosen_by_the_client_is_not_adopted(
    anon: TestClient[Litestar], cast: Cast, db: Session
) -> None:
    anon.cookies.set("tracker_session", "attacker-chosen-id", domain="testserver.local")
    sign_in(anon, cast.admin)
    new_token = anon.cookies["tracker_session"]
    assert new_token != "attacker-chosen-id"
    assert [s.token_hash for s in _session_rows(db)] == [token_hash(new_token)]
    with new_client(anon.app) as attacker:  # type: ignore[arg-type]
        attacker.cookies.set("tracker_session", "attacker-chosen-id", domain="testserver.local")
        assert attacker.get("/account", follow_redirects=False).status_code == 302


def test_signing_in_again_replaces_the_previous_session(
    as_admin: TestClient[Litestar], cast: Cast, db: Session
) -> None:
    before = as_admin.cookies["tracker_session"]
    sign_in_again = post_form(
        as_admin, "/login", {"email": cast.admin.email, "password": PASSWORD}, form_page="/account"
    )
    assert sign_in_again.status_code == 302
    after = as_admin.cookies["tracker_session"]
    assert after != before
    assert [s.token_hash for s in _session_rows(db)] == [token_hash(after)]


def test_disabling_a_user_ends_their_session_at_once(
    as_admin: TestClient[Litestar], as_op_a: TestClient[Litestar], cast: Cast
) -> None:
    assert as_op_a.get("/tokens").status_code == 200
    form = {"display_name": "", "role": "operator", "department": "dept-a"}  # is_active unchecked
    response = post_form(as_admin, f"/admin/users/{cast.op_a.id}/edit", form)
    assert response.status_code == 302
    assert as_op_a.get("/tokens", follow_redirects=False).status_code == 302


def test_changing_a_users_role_ends_their_session(
    as_admin: TestClient[Litestar], as_op_a: TestClient[Litestar], cast: Cast
) -> None:
    form = {"display_name": "", "role": "supervisor", "department": "", "is_active": "on"}
    assert post_form(as_admin, f"/admin/users/{cast.op_a.id}/edit", form).status_code == 302
    assert as_op_a.get("/account", follow_redirects=False).status_code == 302
    # Signing in again gives the new rights: a supervisor has no token page.
    sign_in(as_op_a, cast.op_a)
    assert as_op_a.get("/tokens").status_code == 403


def test_an_idle_session_expires(as_admin: TestClient[Litestar], db: Session, settings) -> None:  # type: ignore[no-untyped-def]
    from powerlists.columns import utcnow

    idle = utcnow() - timedelta(minutes=settings.session_idle_minutes + 1)
    db.execute(update(WebSession).values(last_seen_at=idle))
    db.commit()
    assert as_admin.get("/account", follow_redirects=False).status_code == 302
    assert _session_rows(db) == []


def test_a_session_ends_at_its_absolute_limit_even_when_active(
    as_admin: TestClient[Litestar], db: Session
) -> None:
    from powerlists.columns import utcnow

    db.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert as_admin.get("/account", follow_redirects=False).status_code == 302


def test_changing_the_password_rotates_the_session_and_ends_the_others(
    app: Litestar, as_admin: TestClient[Litestar], cast: Cast, db: Session
) -> None:
    with new_client(app) as second_browser:
        sign_in(second_browser, cast.admin)
        before = as_admin.cookies["tracker_session"]
        response = post_form(
            as_admin,
            "/account/password",
            {
                "current_password": PASSWORD,
                "new_password": "a brand new passphrase",
                "confirm_password": "a brand new passphrase",
            },
            form_page="/account",
        )
        assert response.status_code == 302
        assert as_admin.cookies["tracker_session"] != before
        assert as_admin.get("/account").status_code == 200
        assert second_browser.get("/account", follow_redirects=False).status_code == 302
    assert len(_session_rows(db)) == 1


def test_a_short_new_password_is_refused(as_admin: TestClient[Litestar]) -> None:
    response = post_form(
        as_admin,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
        form_page="/account",
    )
    assert response.status_code == 400
    assert "at least 10 characters" in response.text


def test_an_admin_cannot_disable_or_demote_themselves(as_admin: TestClient[Litestar], cast: Cast) -> None:
    form = {"display_name": "", "role": "supervisor", "department": "", "is_active": "on"}
    response = post_form(as_admin, f"/admin/users/{cast.admin.id}/edit", form)
    assert response.status_code == 400
    assert "cannot remove your own administrator rights" in response.text
    assert as_admin.get("/admin/users").status_code == 200
