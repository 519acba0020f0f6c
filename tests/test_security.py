"""Security defaults: headers, body limits, escaping, hosts, cookies, error pages."""

from __future__ import annotations

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from powerlists.models import Department
from tests.conftest import Cast, csrf_from, new_client, post_form
from tests.test_cases_ingest import received, send
from tracker.app import create_app
from tracker.complaints.models import Complaint
from tracker.settings import Settings

SCRIPT = "<script>alert(1)</script>"


def test_every_answer_carries_the_security_headers(anon: TestClient[Litestar], cast: Cast) -> None:
    for path in ("/", "/no-such-page", "/api/v1/departments", "/static/site.css"):
        headers = anon.get(path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-request-id"]


def test_a_department_name_with_a_script_tag_is_escaped(anon: TestClient[Litestar], db: Session) -> None:
    db.add(Department(code="xss", name=SCRIPT, name_en=SCRIPT))
    db.commit()
    for path in ("/departments", "/departments/xss"):
        html = anon.get(path).text
        assert SCRIPT not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_body_over_the_limit_is_refused_with_413(
    as_admin: TestClient[Litestar], settings: Settings
) -> None:
    token = csrf_from(as_admin.get("/admin/departments/new").text)
    big = "x" * (settings.max_body_bytes + 1)
    response = as_admin.post("/admin/departments/new", data={"code": "big", "name": big, "csrf_token": token})
    assert response.status_code == 413


def test_an_unknown_host_is_refused(app: Litestar) -> None:
    with TestClient(app, base_url="http://evil.example") as client:
        assert client.get("/").status_code == 400
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/").status_code == 200  # a port on an allowed host is fine


def test_session_cookies_are_httponly_and_samesite_lax(anon: TestClient[Litestar], cast: Cast) -> None:
    page = anon.get("/login")
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")


def test_over_https_cookies_are_secure_with_host_prefix(settings: Settings, engine: Engine) -> None:
    secure_app = create_app(settings.with_(secure_cookies=True), engine)
    with TestClient(secure_app, base_url="https://testserver.local") as client:
        cookie = client.get("/login").headers["set-cookie"]
        assert cookie.startswith("__Host-tracker_csrf=")
        assert "Secure" in cookie and "Path=/" in cookie
        assert "strict-transport-security" in client.get("/").headers


def test_errors_show_a_short_message_and_never_a_traceback(settings: Settings, engine: Engine) -> None:
    app = create_app(settings, engine)

    @get("/boom", sync_to_thread=False, include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("secret internals")

    app.register(boom)

    assert not app.debug
    with new_client(app) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"] in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/departments?q=%00",
        "/powers?q=a%00b",
        "/departments/%00",
        "/powers/%00",
        "/open-data/cases/%00/2026-01.csv",
        "/api/v1/powers?q=%00",
        "/flags/?department=%00",
        "/complaints/?department=%00",
    ],
)
def test_a_nul_character_in_the_address_is_refused_before_any_query(
    cast: Cast, as_supervisor: TestClient[Litestar], path: str
) -> None:
    # PostgreSQL cannot hold a NUL in text: unchecked, each of these was a 500 there.
    response = as_supervisor.get(path, follow_redirects=False)
    assert response.status_code == 400 and "NUL character" in response.json()["detail"]


def test_a_form_field_with_a_nul_character_is_refused_naming_the_field(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    page = anon.get("/complain")
    form = {
        "department": listed.dept_a.code,
        "happened_on": "2026-09-21",
        "what": "收费\x00不开票，要求退费。",
    }
    response = anon.post("/complain", data={**form, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 400 and "what contains a NUL character" in response.text
    db.rollback()
    assert db.exec(select(Complaint)).all() == []


def test_an_event_with_a_nul_character_is_rejected_naming_the_field(db: Session, listed: Cast) -> None:
    event = received("C-1")
    event["applicant"] = {"name": "张\x00三"}
    [result] = send(db, listed.dept_a.id, event)
    assert result["status"] == "rejected"
    assert result["reason"] == "applicant.name contains a NUL character, which cannot be stored."
    [fine] = send(db, listed.dept_a.id, received("C-1"))
    assert fine["status"] == "stored"


@pytest.mark.parametrize(
    "path",
    [
        "/departments?page=99999999999999999999",
        "/powers?page=99999999999999999999",
        "/flags/?page=99999999999999999999",
        "/complaints/?page=99999999999999999999",
        "/ratings/?page=99999999999999999999",
        "/cases/?page=99999999999999999999",
    ],
)
def test_a_page_number_beyond_any_integer_shows_an_empty_page(
    listed: Cast, as_supervisor: TestClient[Litestar], path: str
) -> None:
    # Unclamped, the offset overflowed PostgreSQL's 64-bit integers: a 500.
    response = as_supervisor.get(path)
    assert response.status_code == 200


def test_the_api_clamps_a_huge_page_and_page_size(listed: Cast, anon: TestClient[Litestar]) -> None:
    data = anon.get("/api/v1/powers", params={"page": 10**20, "per_page": 10**11}).json()
    assert (data["page"], data["per_page"], data["items"]) == (1_000_000, 200, [])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-01-01", "value": 10**20, "unit": "month"}, "between 1 and 9999"),
        ({"start": "9999-12-31", "value": 9999, "unit": "workday"}, "after the year 9999"),
    ],
)
def test_the_calculator_explains_a_limit_it_cannot_compute(
    listed: Cast, anon: TestClient[Litestar], query: dict[str, object], message: str
) -> None:
    response = anon.get("/calculator", params={**query, "format": "json"})
    assert response.status_code == 400 and message in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "page", "form", "message"),
    [
        (
            "/admin/calendar/days",
            "/admin/calendar/",
            {"day": "0001-01-01", "kind": "holiday", "note": "x"},
            "0001-01-01 is not between 1970 and 2199",
        ),
        (
            "/admin/thresholds/",
            "/admin/thresholds/",
            {"name": "stall_workdays", "item_code": "Q" * 65, "value": "5"},
            "A power code has at most 64 characters",
        ),
    ],
)
def test_an_admin_form_with_a_value_out_of_range_names_it(
    cast: Cast, as_admin: TestClient[Litestar], path: str, page: str, form: dict[str, str], message: str
) -> None:
    # On PostgreSQL the first overflowed a date (500), the second a varchar(64) (500).
    response = post_form(as_admin, path, form, form_page=page)
    assert response.status_code == 400 and message in response.text
