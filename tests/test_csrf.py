"""CSRF: every form needs a token bound to this browser's session; cross-site posts are refused."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, select

from powerlists.models import Department
from tests.conftest import PASSWORD, Cast, csrf_from, new_client, sign_in

FORM = {"code": "new-dept", "name": "新局"}


def _department_count(db: Session) -> int:
    db.expire_all()
    return len(db.exec(select(Department)).all())


def test_a_form_with_its_own_token_is_accepted(as_admin: TestClient[Litestar], db: Session) -> None:
    token = csrf_from(as_admin.get("/admin/departments/new").text)
    response = as_admin.post(
        "/admin/departments/new", data={**FORM, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 302
    assert _department_count(db) == 3


def test_a_form_without_a_token_is_refused(as_admin: TestClient[Litestar], db: Session) -> None:
    response = as_admin.post("/admin/departments/new", data=FORM)
    assert response.status_code == 403
    assert "The form has expired" in response.text
    assert _department_count(db) == 2


def test_a_token_from_another_session_is_refused(
    app: Litestar, as_admin: TestClient[Litestar], cast: Cast, db: Session
) -> None:
    with new_client(app) as other_admin:
        sign_in(other_admin, cast.admin)
        foreign_token = csrf_from(other_admin.get("/admin/departments/new").text)
    response = as_admin.post("/admin/departments/new", data={**FORM, "csrf_token": foreign_token})
    assert response.status_code == 403
    assert _department_count(db) == 2


def test_a_token_from_before_sign_in_stops_working_after_it(anon: TestClient[Litestar], cast: Cast) -> None:
    anonymous_token = csrf_from(anon.get("/login").text)
    sign_in(anon, cast.admin)
    response = anon.post("/logout", data={"csrf_token": anonymous_token})
    assert response.status_code == 403


def test_the_sign_in_form_is_protected_too(anon: TestClient[Litestar], cast: Cast) -> None:
    response = anon.post("/login", data={"email": cast.admin.email, "password": PASSWORD})
    assert response.status_code == 403
    with new_client(anon.app) as other:  # type: ignore[arg-type]
        someone_elses = csrf_from(other.get("/login").text)
    response = anon.post(
        "/login", data={"email": cast.admin.email, "password": PASSWORD, "csrf_token": someone_elses}
    )
    assert response.status_code == 403


def test_a_cross_site_post_is_refused_even_with_a_valid_token(
    as_admin: TestClient[Litestar], db: Session
) -> None:
    token = csrf_from(as_admin.get("/admin/departments/new").text)
    response = as_admin.post(
        "/admin/departments/new", data={**FORM, "csrf_token": token}, headers={"sec-fetch-site": "cross-site"}
    )
    assert response.status_code == 403
    response = as_admin.post(
        "/admin/departments/new",
        data={**FORM, "csrf_token": token},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert _department_count(db) == 2


def test_a_same_origin_post_with_origin_header_is_accepted(as_admin: TestClient[Litestar]) -> None:
    token = csrf_from(as_admin.get("/admin/departments/new").text)
    response = as_admin.post(
        "/admin/departments/new",
        data={**FORM, "csrf_token": token},
        headers={"origin": "http://testserver.local", "sec-fetch-site": "same-origin"},
        follow_redirects=False,
    )
    assert response.status_code == 302


def test_get_requests_change_nothing(as_admin: TestClient[Litestar], db: Session, cast: Cast) -> None:
    # Handlers that change state accept POST only: a GET (a link, an <img>) cannot trigger them.
    assert as_admin.get("/logout").status_code == 405
    assert as_admin.get(f"/tokens/{1}/revoke").status_code == 405
    assert as_admin.get("/account").status_code == 200  # still signed in
