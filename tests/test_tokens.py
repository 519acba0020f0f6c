"""Per-department API tokens: created, shown once, stored hashed, used, listed, revoked."""

from __future__ import annotations

import hashlib
import re

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, select

from tests.conftest import Cast, csrf_from, post_form
from tracker.accounts.models import ApiToken

SECRET_RE = re.compile(r'<code id="new-token">([^<]+)</code>')


def create_token(client: TestClient[Litestar], name: str, department: str | None = None) -> str:
    data = {"name": name, **({"department": department} if department else {})}
    response = post_form(client, "/tokens/", data, form_page="/tokens/")
    assert response.status_code == 201, response.text
    match = SECRET_RE.search(response.text)
    assert match
    return match.group(1)


def api(client: TestClient[Litestar], secret: str):  # type: ignore[no-untyped-def]
    return client.get("/api/v1/token", headers={"authorization": f"Bearer {secret}"})


def test_an_operator_creates_a_token_for_their_department_and_it_works(
    as_op_a: TestClient[Litestar], anon: TestClient[Litestar], db: Session, cast: Cast
) -> None:
    secret = create_token(as_op_a, "approval system", department="dept-b")  # the department field is ignored
    response = api(anon, secret)
    assert response.status_code == 200
    assert response.json()["department"] == "dept-a"
    stored = db.exec(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in stored.token_hash and stored.prefix == secret[:12]


def test_the_secret_is_shown_once_only(as_op_a: TestClient[Litestar]) -> None:
    secret = create_token(as_op_a, "approval system")
    listing = as_op_a.get("/tokens/")
    assert secret not in listing.text
    assert secret[:12] in listing.text
    assert listing.headers["cache-control"] == "no-store"


def test_an_admin_creates_tokens_for_any_department(
    as_admin: TestClient[Litestar], anon: TestClient[Litestar]
) -> None:
    secret = create_token(as_admin, "bridge", department="dept-b")
    assert api(anon, secret).json()["department"] == "dept-b"


def test_a_revoked_token_is_refused_at_once(
    as_op_a: TestClient[Litestar], anon: TestClient[Litestar], db: Session
) -> None:
    secret = create_token(as_op_a, "approval system")
    assert api(anon, secret).status_code == 200
    token = db.exec(select(ApiToken)).one()
    response = post_form(as_op_a, f"/tokens/{token.id}/revoke", {}, form_page="/tokens/")
    assert response.status_code == 302
    refused = api(anon, secret)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


def test_an_operator_cannot_see_or_revoke_another_departments_tokens(
    as_op_a: TestClient[Litestar], as_op_b: TestClient[Litestar], anon: TestClient[Litestar], db: Session
) -> None:
    secret_b = create_token(as_op_b, "department b system")
    assert "department b system" not in as_op_a.get("/tokens/").text
    token_b = db.exec(select(ApiToken)).one()
    token = csrf_from(as_op_a.get("/tokens/").text)
    response = as_op_a.post(f"/tokens/{token_b.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    assert api(anon, secret_b).status_code == 200


def test_a_token_without_a_name_is_refused(as_op_a: TestClient[Litestar], db: Session) -> None:
    response = post_form(as_op_a, "/tokens/", {"name": "  "}, form_page="/tokens/")
    assert response.status_code == 400
    assert "Give the token a name" in response.text
    assert db.exec(select(ApiToken)).all() == []


def test_the_api_ignores_session_cookies(as_op_a: TestClient[Litestar]) -> None:
    response = as_op_a.get("/api/v1/token")
    assert response.status_code == 401


def test_pages_ignore_bearer_tokens(as_op_a: TestClient[Litestar], anon: TestClient[Litestar]) -> None:
    secret = create_token(as_op_a, "approval system")
    response = anon.get("/tokens/", headers={"authorization": f"Bearer {secret}"}, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"].startswith("/login")


def test_a_malformed_or_unknown_token_is_refused(anon: TestClient[Litestar], cast: Cast) -> None:
    assert api(anon, "trk_not-a-real-token").status_code == 401
    assert anon.get("/api/v1/token", headers={"authorization": "Basic abc"}).status_code == 401
    assert anon.get("/api/v1/token").status_code == 401
