from __future__ import annotations

import html
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from powerlists.departments import (
    DepartmentError,
    DepartmentInput,
    add_department,
    by_code,
    update_department,
)
from powerlists.models import Department
from tests.conftest import Cast, csrf_from, post_form

XSS = "<script>alert(1)</script>"
ESCAPED_XSS = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _problems(exc: pytest.ExceptionInfo[DepartmentError]) -> dict[str, tuple[str, dict[str, object]]]:
    return {field: (message, args) for field, message, args in exc.value.problems}


def _fresh(db: Session, code: str) -> Department | None:
    db.expire_all()
    return by_code(db, code)


def _count(db: Session) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(Department)).one()


def _codes_listed(page_html: str) -> list[str]:
    """The codes in the first column of the department table, in order."""
    body = page_html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = body.split("<tr>")[1:]
    return [row.split("<td>", 1)[1].split("</td>", 1)[0] for row in rows if "<td>" in row]


# The service


def test_a_valid_department_is_added(db: Session) -> None:
    department = add_department(
        db,
        DepartmentInput(
            code="  env-1  ",
            name=" 生态环境局 ",
            name_en="Ecology and Environment Bureau",
            phone="0571-8888 1234",
            website="https://env.example.gov.cn/",
        ),
    )
    db.commit()
    assert department.id is not None
    stored = _fresh(db, "env-1")
    assert stored is not None
    assert (stored.code, stored.name, stored.name_en, stored.parent_id, stored.phone, stored.website) == (
        "env-1",
        "生态环境局",
        "Ecology and Environment Bureau",
        None,
        "0571-8888 1234",
        "https://env.example.gov.cn/",
    )


def test_a_department_can_have_a_parent(db: Session, cast: Cast) -> None:
    child = add_department(db, DepartmentInput(code="a.sub_1", name="甲局一科", parent_code="dept-a"))
    db.commit()
    assert child.parent_id == cast.dept_a.id


@pytest.mark.parametrize(
    "code",
    ["has space", "a" * 33, "", "-leading-dash", "斜杠/", "a/b"],
    ids=["space", "33-chars", "empty", "leading-dash", "chinese", "slash"],
)
def test_bad_codes_are_refused(db: Session, code: str) -> None:
    with pytest.raises(DepartmentError) as exc:
        add_department(db, DepartmentInput(code=code, name="某局"))
    assert "code" in _problems(exc)
    assert _count(db) == 0


def test_a_code_of_32_characters_is_accepted(db: Session) -> None:
    add_department(db, DepartmentInput(code="a" * 32, name="某局"))
    db.commit()
    assert _fresh(db, "a" * 32) is not None


def test_a_duplicate_code_is_refused_naming_the_code(db: Session, cast: Cast) -> None:
    with pytest.raises(DepartmentError) as exc:
        add_department(db, DepartmentInput(code="dept-b", name="另一个乙局"))
    message, args = _problems(exc)["code"]
    assert message == "Code %(value)r is already used."
    assert args == {"value": "dept-b"}
    assert "'dept-b'" in str(exc.value)
    assert _count(db) == 2


def test_renaming_a_code_to_one_in_use_is_refused_but_keeping_ones_own_is_fine(
    db: Session, cast: Cast
) -> None:
    with pytest.raises(DepartmentError) as exc:
        update_department(db, cast.dept_a, DepartmentInput(code="dept-b", name="甲局"))
    assert _problems(exc)["code"][1] == {"value": "dept-b"}
    update_department(db, cast.dept_a, DepartmentInput(code="dept-a", name="甲局（新）"))
    db.commit()
    stored = _fresh(db, "dept-a")
    assert stored is not None and stored.name == "甲局（新）"


def test_an_unknown_parent_is_refused(db: Session, cast: Cast) -> None:
    with pytest.raises(DepartmentError) as exc:
        add_department(db, DepartmentInput(code="orphan", name="孤局", parent_code="no-such-dept"))
    message, args = _problems(exc)["parent"]
    assert message == "No department has the code %(value)r."
    assert args == {"value": "no-such-dept"}
    assert _fresh(db, "orphan") is None


def test_a_department_cannot_be_its_own_parent(db: Session, cast: Cast) -> None:
    with pytest.raises(DepartmentError) as exc:
        update_department(db, cast.dept_a, DepartmentInput(code="dept-a", name="甲局", parent_code="dept-a"))
    assert "parent" in _problems(exc)
    stored = _fresh(db, "dept-a")
    assert stored is not None and stored.parent_id is None


def test_a_department_cannot_become_the_child_of_its_descendant(db: Session, cast: Cast) -> None:
    child = add_department(db, DepartmentInput(code="a-child", name="子局", parent_code="dept-a"))
    add_department(db, DepartmentInput(code="a-grandchild", name="孙局", parent_code="a-child"))
    db.commit()
    for descendant in ("a-child", "a-grandchild"):
        with pytest.raises(DepartmentError) as exc:
            update_department(
                db, cast.dept_a, DepartmentInput(code="dept-a", name="甲局", parent_code=descendant)
            )
        assert "parent" in _problems(exc)
    stored = _fresh(db, "dept-a")
    assert stored is not None and stored.parent_id is None
    # Moving under an unrelated department is fine.
    update_department(db, cast.dept_a, DepartmentInput(code="dept-a", name="甲局", parent_code="dept-b"))
    update_department(db, child, DepartmentInput(code="a-child", name="子局", parent_code="dept-b"))
    db.commit()
    stored = _fresh(db, "dept-a")
    assert stored is not None and stored.parent_id == cast.dept_b.id


@pytest.mark.parametrize(
    "website", ["www.example.org", "ftp://example.org", "javascript:alert(1)", "http://"]
)
def test_a_website_must_start_with_http_or_https(db: Session, website: str) -> None:
    with pytest.raises(DepartmentError) as exc:
        add_department(db, DepartmentInput(code="web", name="网站局", website=website))
    message, args = _problems(exc)["website"]
    assert message == "Website %(value)r: start with http:// or https://."
    assert args == {"value": website}


@pytest.mark.parametrize("website", ["http://example.org", "https://example.org/path?x=1"])
def test_http_and_https_websites_are_accepted(db: Session, website: str) -> None:
    add_department(db, DepartmentInput(code="web", name="网站局", website=website))
    db.commit()
    stored = _fresh(db, "web")
    assert stored is not None and stored.website == website


def test_every_problem_is_reported_at_once(db: Session) -> None:
    with pytest.raises(DepartmentError) as exc:
        add_department(
            db, DepartmentInput(code="bad code", name="", parent_code="nope", phone="call me", website="x")
        )
    assert set(_problems(exc)) == {"code", "name", "parent", "phone", "website"}


# Admin pages


def test_an_admin_adds_a_department_through_the_form(
    as_admin: TestClient[Litestar], anon: TestClient[Litestar], db: Session
) -> None:
    form = {
        "code": "env",
        "name": "生态环境局",
        "name_en": "Environment Bureau",
        "parent": "dept-a",
        "phone": "0571-3",
        "website": "https://env.example.org",
    }
    response = post_form(as_admin, "/admin/departments/new", form)
    assert response.status_code == 302, response.text
    assert response.headers["location"] == "/admin/departments"
    assert "Department env added." in as_admin.get("/admin/departments").text

    stored = _fresh(db, "env")
    assert stored is not None and stored.name == "生态环境局"

    listing = anon.get("/departments")
    assert listing.status_code == 200
    assert "env" in _codes_listed(listing.text)
    assert "Environment Bureau" in listing.text

    api = anon.get("/api/v1/departments")
    assert api.status_code == 200
    by_code_json = {d["code"]: d for d in api.json()}
    assert by_code_json["env"] == {
        "code": "env",
        "name": "生态环境局",
        "name_en": "Environment Bureau",
        "parent": "dept-a",
        "phone": "0571-3",
        "website": "https://env.example.org",
    }
    assert by_code_json["dept-a"]["parent"] is None
    one = anon.get("/api/v1/departments/env")
    assert one.status_code == 200
    assert one.json()["parent"] == "dept-a"


def test_an_admin_edits_a_department(
    as_admin: TestClient[Litestar], anon: TestClient[Litestar], db: Session
) -> None:
    form_page = as_admin.get("/admin/departments/dept-a/edit")
    assert form_page.status_code == 200
    assert 'value="Bureau A"' in form_page.text
    response = post_form(
        as_admin,
        "/admin/departments/dept-a/edit",
        {"code": "dept-a", "name": "甲局（更名）", "name_en": "Renamed Bureau A", "parent": "dept-b"},
    )
    assert response.status_code == 302, response.text
    assert response.headers["location"] == "/admin/departments"

    detail = anon.get("/departments/dept-a")
    assert detail.status_code == 200
    assert "Renamed Bureau A" in detail.text
    assert "甲局（更名）" in detail.text
    assert 'href="/departments/dept-b"' in detail.text  # the new parent
    assert anon.get("/api/v1/departments/dept-a").json()["parent"] == "dept-b"
    stored = _fresh(db, "dept-a")
    assert stored is not None and stored.phone == ""  # cleared in the form, so cleared


def test_an_admin_gets_a_400_page_for_a_duplicate_code_and_nothing_is_written(
    as_admin: TestClient[Litestar], db: Session
) -> None:
    before = _count(db)
    response = post_form(
        as_admin, "/admin/departments/new", {"code": "dept-b", "name": "冒名局", "name_en": "Impostor"}
    )
    assert response.status_code == 400
    assert "Code 'dept-b' is already used." in html.unescape(response.text)
    assert 'value="冒名局"' in response.text  # the form keeps what was typed
    assert _count(db) == before
    stored = _fresh(db, "dept-b")
    assert stored is not None and stored.name == "乙局" and stored.name_en == "Bureau B"


def test_an_edit_with_a_duplicate_code_is_refused_and_nothing_is_written(
    as_admin: TestClient[Litestar], db: Session
) -> None:
    response = post_form(
        as_admin, "/admin/departments/dept-a/edit", {"code": "dept-b", "name": "甲局改", "name_en": "Changed"}
    )
    assert response.status_code == 400
    assert "Code 'dept-b' is already used." in html.unescape(response.text)
    stored = _fresh(db, "dept-a")
    assert stored is not None and (stored.name, stored.name_en) == ("甲局", "Bureau A")


def test_editing_an_unknown_department_answers_404(as_admin: TestClient[Litestar]) -> None:
    assert as_admin.get("/admin/departments/unknown/edit").status_code == 404


@pytest.mark.parametrize("who", ["as_supervisor", "as_op_a", "as_op_b"])
def test_only_admins_may_add_departments(who: str, request: pytest.FixtureRequest, db: Session) -> None:
    client: TestClient[Litestar] = request.getfixturevalue(who)
    before = _count(db)
    assert client.get("/admin/departments/new").status_code == 403
    assert client.get("/admin/departments").status_code == 403
    # A valid CSRF token (from a page they may see), so only the role check can refuse.
    response = post_form(
        client, "/admin/departments/new", {"code": "sneaky", "name": "偷偷局"}, form_page="/account"
    )
    assert response.status_code == 403
    assert _count(db) == before
    assert _fresh(db, "sneaky") is None


def test_anonymous_visitors_are_sent_to_sign_in(anon: TestClient[Litestar], db: Session, cast: Cast) -> None:
    page = anon.get("/admin/departments/new", follow_redirects=False)
    assert page.status_code == 302
    location = urlsplit(page.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/admin/departments/new"]}

    login_page = anon.get("/login")
    response = anon.post(
        "/admin/departments/new",
        data={"code": "sneaky", "name": "偷偷局", "csrf_token": csrf_from(login_page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/admin/departments/new"]}
    assert _fresh(db, "sneaky") is None


# Public pages


def _thirty_departments(db: Session) -> None:
    db.add_all(
        [
            Department(code=f"d{n:02d}", name=f"部门{n:02d}", name_en=f"Department {n:02d}")
            for n in range(1, 31)
        ]
    )
    db.commit()


def test_the_department_list_is_paginated(anon: TestClient[Litestar], db: Session) -> None:
    _thirty_departments(db)
    first = anon.get("/departments")
    assert first.status_code == 200
    assert _codes_listed(first.text) == [f"d{n:02d}" for n in range(1, 26)]
    assert "Page 1 of 2" in first.text
    assert "30 results" in first.text
    assert 'rel="next" href="?page=2"' in first.text

    second = anon.get("/departments?page=2")
    assert second.status_code == 200
    assert _codes_listed(second.text) == [f"d{n:02d}" for n in range(26, 31)]
    assert "Page 2 of 2" in second.text
    assert 'rel="prev" href="?page=1"' in second.text
    assert 'rel="next"' not in second.text


def test_a_page_number_out_of_range_is_clamped_or_empty(anon: TestClient[Litestar], db: Session) -> None:
    _thirty_departments(db)
    zero = anon.get("/departments?page=0")
    assert zero.status_code == 200
    assert _codes_listed(zero.text)[0] == "d01"
    beyond = anon.get("/departments?page=9")
    assert beyond.status_code == 200
    assert "No department matches." in beyond.text


def test_search_filters_by_code_and_name(anon: TestClient[Litestar], db: Session) -> None:
    db.add_all(
        [
            Department(code="env", name="生态环境局", name_en="Ecology and Environment Bureau"),
            Department(code="tax", name="税务局", name_en="Taxation Bureau"),
            Department(code="edu", name="教育局", name_en="Education Bureau"),
        ]
    )
    db.commit()

    def found(q: str) -> list[str]:
        response = anon.get("/departments", params={"q": q})
        assert response.status_code == 200
        return _codes_listed(response.text)

    assert found("tax") == ["tax"]
    assert found("TAX") == ["tax"]
    assert found("环境") == ["env"]
    assert found("税务") == ["tax"]
    assert found("education") == ["edu"]
    assert found("局") == ["edu", "env", "tax"]
    assert found("") == ["edu", "env", "tax"]
    assert found("nothing-like-this") == []
    assert "No department matches." in anon.get("/departments", params={"q": "zzz"}).text


def test_search_keeps_its_query_in_the_page_links(anon: TestClient[Litestar], db: Session) -> None:
    _thirty_departments(db)
    db.add(Department(code="other", name="其他", name_en="Other"))
    db.commit()
    first = anon.get("/departments", params={"q": "部门"})
    assert "Page 1 of 2" in first.text
    assert "other" not in _codes_listed(first.text)
    second = anon.get("/departments", params={"q": "部门", "page": "2"})
    assert _codes_listed(second.text) == [f"d{n:02d}" for n in range(26, 31)]
    assert 'value="部门"' in second.text
    prev_link = second.text.split('rel="prev" href="', 1)[1].split('"', 1)[0]
    assert parse_qs(urlsplit(html.unescape(prev_link)).query) == {"q": ["部门"], "page": ["1"]}


def test_a_department_has_a_detail_page(anon: TestClient[Litestar], db: Session, cast: Cast) -> None:
    db.add(Department(code="a-sub", name="甲局一科", name_en="Section One", parent_id=cast.dept_a.id))
    db.commit()
    parent = anon.get("/departments/dept-a")
    assert parent.status_code == 200
    assert "Bureau A" in parent.text
    assert 'href="/departments/a-sub"' in parent.text
    child = anon.get("/departments/a-sub")
    assert child.status_code == 200
    assert 'href="/departments/dept-a"' in child.text


def test_an_unknown_department_page_answers_404(anon: TestClient[Litestar], cast: Cast) -> None:
    response = anon.get("/departments/unknown")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


def test_an_unknown_department_in_the_api_answers_404_json(anon: TestClient[Litestar], cast: Cast) -> None:
    response = anon.get("/api/v1/departments/unknown")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == 404
    assert body["detail"] == "No department has the code 'unknown'."


def test_a_department_name_is_escaped_on_every_page(anon: TestClient[Litestar], db: Session) -> None:
    db.add(Department(code="xss", name=XSS, name_en=""))
    db.commit()
    listing = anon.get("/departments")
    assert listing.status_code == 200
    assert ESCAPED_XSS in listing.text
    assert XSS not in listing.text

    detail = anon.get("/departments/xss")
    assert detail.status_code == 200
    assert ESCAPED_XSS in detail.text
    assert XSS not in detail.text


def test_the_search_text_is_echoed_escaped(anon: TestClient[Litestar]) -> None:
    response = anon.get("/departments", params={"q": '"><script>alert(1)</script>'})
    assert response.status_code == 200
    assert XSS not in response.text
    assert "&#34;&gt;&lt;script&gt;" in response.text or "&quot;&gt;&lt;script&gt;" in response.text


def test_search_treats_wildcard_characters_literally(anon: TestClient[Litestar], db: Session) -> None:
    # search_statement promises departments whose code or name *contains* the search text.
    db.add_all(
        [
            Department(code="a_1", name="下划线局", name_en="Underscore"),
            Department(code="ab1", name="字母局", name_en="Letters"),
            Department(code="pct", name="百分之百局", name_en="100% Bureau"),
        ]
    )
    db.commit()

    def found(q: str) -> list[str]:
        return _codes_listed(anon.get("/departments", params={"q": q}).text)

    assert found("a_1") == ["a_1"]
    assert found("%") == ["pct"]
