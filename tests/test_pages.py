"""Every page, for every role: allowed (200), sent to sign in (302 to /login), or forbidden (403)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import Cast

ROLES = ("anon", "as_admin", "as_supervisor", "as_op_a")
OK, LOGIN, FORBIDDEN = 200, 302, 403

PAGES: list[tuple[str, dict[str, int]]] = [
    ("/", dict.fromkeys(ROLES, OK)),
    ("/departments", dict.fromkeys(ROLES, OK)),
    ("/departments?q=Bureau&page=1", dict.fromkeys(ROLES, OK)),
    ("/departments/dept-a", dict.fromkeys(ROLES, OK)),
    ("/healthz", dict.fromkeys(ROLES, OK)),
    ("/api/v1/departments", dict.fromkeys(ROLES, OK)),
    ("/api/v1/departments/dept-a", dict.fromkeys(ROLES, OK)),
    ("/schema/openapi.json", dict.fromkeys(ROLES, OK)),
    ("/powers", dict.fromkeys(ROLES, OK)),
    ("/powers?q=x&category=licensing&department=dept-a&page=1", dict.fromkeys(ROLES, OK)),
    ("/powers/template.xlsx", dict.fromkeys(ROLES, OK)),
    ("/api/v1/powers", dict.fromkeys(ROLES, OK)),
    ("/calculator", dict.fromkeys(ROLES, OK)),
    ("/calculator?start=2026-03-02&value=20&unit=workday", dict.fromkeys(ROLES, OK)),
    ("/open-data", dict.fromkeys(ROLES, OK)),
    ("/open-data.json", dict.fromkeys(ROLES, OK)),
    ("/cases/", {"anon": LOGIN, "as_admin": OK, "as_supervisor": OK, "as_op_a": OK}),
    ("/cases/new", {"anon": LOGIN, "as_admin": FORBIDDEN, "as_supervisor": FORBIDDEN, "as_op_a": OK}),
    ("/powerlist/", {"anon": LOGIN, "as_admin": OK, "as_supervisor": FORBIDDEN, "as_op_a": OK}),
    ("/login", {"anon": OK, "as_admin": 302, "as_supervisor": 302, "as_op_a": 302}),
    ("/account", {"anon": LOGIN, "as_admin": OK, "as_supervisor": OK, "as_op_a": OK}),
    ("/tokens", {"anon": LOGIN, "as_admin": OK, "as_supervisor": FORBIDDEN, "as_op_a": OK}),
    *[
        (path, {"anon": LOGIN, "as_admin": OK, "as_supervisor": FORBIDDEN, "as_op_a": FORBIDDEN})
        for path in (
            "/admin/departments",
            "/admin/departments?q=dept&page=1",
            "/admin/departments/new",
            "/admin/departments/dept-a/edit",
            "/admin/users",
            "/admin/users?role=operator",
            "/admin/users/new",
            "/admin/users/{op_a}/edit",
            "/admin/calendar/",
        )
    ],
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "expected"), PAGES, ids=[p for p, _ in PAGES])
def test_each_page_answers_each_role_as_intended(
    request: pytest.FixtureRequest, cast: Cast, role: str, path: str, expected: dict[str, int]
) -> None:
    client: TestClient[Litestar] = request.getfixturevalue(role)
    response = client.get(path.format(op_a=cast.op_a.id), follow_redirects=False)
    assert response.status_code == expected[role], response.text[:500]
    if expected[role] == LOGIN and path != "/login":
        assert response.headers["location"].startswith("/login?next=")
    if expected[role] == OK and response.headers["content-type"].startswith("text/html"):
        assert "<h1>" in response.text
        assert "Traceback" not in response.text


def test_html_pages_are_left_out_of_the_openapi_document(anon: TestClient[Litestar]) -> None:
    paths = anon.get("/schema/openapi.json").json()["paths"]
    assert "/api/v1/departments" in paths
    assert "/api/v1/token" in paths
    assert not [p for p in paths if not p.startswith("/api/")]


def test_unknown_pages_answer_404_with_a_page_and_a_request_id(anon: TestClient[Litestar]) -> None:
    response = anon.get("/no/such/page")
    assert response.status_code == 404
    assert "Nothing was found at this address." in response.text
    assert response.headers["x-request-id"] in response.text


def test_api_errors_answer_in_json(anon: TestClient[Litestar], cast: Cast) -> None:
    response = anon.get("/api/v1/departments/nope")
    assert response.status_code == 404
    body = response.json()
    assert body["status_code"] == 404 and "nope" in body["detail"] and body["request_id"]


def test_the_department_list_is_paginated(anon: TestClient[Litestar], db, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    from powerlists.models import Department

    db.add_all(Department(code=f"d{i:03d}", name=f"部门{i}") for i in range(60))
    db.commit()
    first = anon.get("/departments")
    assert "Page 1 of 3" in first.text and 'rel="next"' in first.text
    last = anon.get("/departments?page=3")
    assert "Page 3 of 3" in last.text and 'rel="next"' not in last.text
    assert "62 results" in last.text
