"""Power lists on the web: operators upload, check and publish; the public browses and downloads."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from powerlists.importer import import_file
from powerlists.models import ListStatus, PowerList
from tests.builders import build, item_row
from tests.conftest import Cast, csrf_from

NOW = __import__("powerlists.columns", fromlist=["utcnow"]).utcnow()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client: TestClient[Litestar], path: Path, department: str = "", effective: str = ""):  # type: ignore[no-untyped-def]
    page = client.get(f"/powerlist/?department={department}" if department else "/powerlist/")
    return client.post(
        "/powerlist/upload/",
        data={"csrf_token": csrf_from(page.text), "department": department, "effective": effective},
        files={"file": (path.name, path.read_bytes(), XLSX)},
    )


def publish_draft(client: TestClient[Litestar], db: Session):  # type: ignore[no-untyped-def]
    db.expire_all()
    draft = db.exec(select(PowerList).where(PowerList.status == ListStatus.draft)).one()
    token = csrf_from(client.get("/powerlist/").text)
    return client.post(f"/powerlist/{draft.id}/publish", data={"csrf_token": token}, follow_redirects=False)


def published(db: Session, cast: Cast, tmp_path: Path) -> None:
    path = build(
        tmp_path / "list.xlsx",
        rows=[
            item_row("XK-1", "食品经营许可"),
            item_row("CF-1", "对无证经营的处罚", "行政处罚", statutory="90日", promised=""),
        ],
        steps=[["XK-1", 1, "受理", "1个工作日", "窗口"], ["XK-1", 2, "决定", "3个工作日", "科长"]],
    )
    result = import_file(
        db,
        cast.dept_a.id,
        path,
        source_name="list.xlsx",
        effective=date(2026, 1, 1),  # type: ignore[arg-type]
        imported_by_id=None,
        now=NOW,
    )
    assert result.report.ok
    db.commit()


def test_an_operator_uploads_checks_and_publishes_their_list(
    as_op_a: TestClient[Litestar], anon: TestClient[Litestar], db: Session, tmp_path: Path
) -> None:
    path = build(
        tmp_path / "清单.xlsx", rows=[item_row("XK-1", "食品经营许可"), item_row("XK-2", "药品经营许可")]
    )
    checked = upload(as_op_a, path, effective="2026-01-01")
    assert checked.status_code == 200, checked.text
    assert "No errors: 2 items and 0 steps are ready to publish." in checked.text
    assert "Publish version 1" in checked.text
    assert anon.get("/powers/XK-1").status_code == 404  # a draft is not public
    response = publish_draft(as_op_a, db)
    assert response.status_code == 302 and response.headers["location"] == "/departments/dept-a"
    page = anon.get("/powers/XK-1")
    assert page.status_code == 200 and "食品经营许可" in page.text
    assert "XK-2" in anon.get("/departments/dept-a").text


def test_an_uploaded_file_name_is_kept_without_folders_or_control_characters_and_at_most_255_long(
    as_op_a: TestClient[Litestar], db: Session, tmp_path: Path
) -> None:
    # A name of 300 characters with a NUL was a 500 on PostgreSQL (varchar(255), no NUL in text).
    path = build(tmp_path / "list.xlsx", rows=[item_row("XK-1", "食品经营许可")])
    page = as_op_a.get("/powerlist/")
    name = "C:\\清单\\" + "长" * 300 + "\x00.xlsx"
    checked = as_op_a.post(
        "/powerlist/upload/",
        data={"csrf_token": csrf_from(page.text), "effective": "2026-01-01"},
        files={"file": (name, path.read_bytes(), XLSX)},
    )
    assert checked.status_code == 200, checked.text
    db.expire_all()
    draft = db.exec(select(PowerList)).one()
    assert draft.source_name == ("长" * 300 + ".xlsx")[:255] and "\x00" not in draft.source_name


def test_an_upload_with_errors_shows_them_with_rows_and_saves_nothing(
    as_op_a: TestClient[Litestar], db: Session, tmp_path: Path
) -> None:
    path = build(tmp_path / "bad.xlsx", rows=[item_row("XK-1", "食品经营许可", "许可证")])
    response = upload(as_op_a, path)
    assert response.status_code == 400
    assert "Unknown category &#39;许可证&#39;." in response.text
    assert "<td>2</td><td>权力类型</td>" in response.text
    assert db.exec(select(PowerList)).all() == []


def test_a_file_that_is_not_a_workbook_is_refused_with_one_message(
    as_op_a: TestClient[Litestar], db: Session, tmp_path: Path
) -> None:
    path = tmp_path / "list.xlsx"
    path.write_text("权力编码,权力名称\nXK-1,许可\n", encoding="utf-8")
    response = upload(as_op_a, path)
    assert response.status_code == 400
    assert "xlsx" in response.text
    assert db.exec(select(PowerList)).all() == []


def test_an_oversized_upload_is_refused_with_413(
    app: Litestar, as_op_a: TestClient[Litestar], settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK\x03\x04" + b"\0" * (settings.max_upload_bytes + 10))
    assert upload(as_op_a, big).status_code == 413


def test_an_operator_cannot_upload_for_or_publish_another_departments_list(
    as_op_a: TestClient[Litestar], as_op_b: TestClient[Litestar], db: Session, tmp_path: Path
) -> None:
    upload(as_op_b, build(tmp_path / "b.xlsx", rows=[item_row("B-1", "乙")]))
    # Operator A's upload lands in A's department whatever the form says.
    upload(as_op_a, build(tmp_path / "a.xlsx", rows=[item_row("A-1", "甲")]), department="dept-b")
    db.expire_all()
    drafts = {d.department_id: d for d in db.exec(select(PowerList)).all()}
    assert len(drafts) == 2
    b_draft = next(d for d in drafts.values() if d.item_count == 1 and d.source_name == "b.xlsx")
    token = csrf_from(as_op_a.get("/powerlist/").text)
    assert as_op_a.post(f"/powerlist/{b_draft.id}/publish", data={"csrf_token": token}).status_code == 404
    assert "b.xlsx" not in as_op_a.get("/powerlist/").text


def test_supervisors_and_the_public_cannot_reach_the_upload(
    as_supervisor: TestClient[Litestar], anon: TestClient[Litestar]
) -> None:
    assert as_supervisor.get("/powerlist/").status_code == 403
    assert anon.get("/powerlist/", follow_redirects=False).status_code == 302


def test_the_public_searches_and_filters_powers(
    anon: TestClient[Litestar], db: Session, cast: Cast, tmp_path: Path
) -> None:
    published(db, cast, tmp_path)
    assert "食品经营许可" in anon.get("/powers?q=食品").text
    assert "食品经营许可" not in anon.get("/powers?category=penalty").text
    assert "对无证经营的处罚" in anon.get("/powers?category=penalty").text
    assert "No power matches." in anon.get("/powers?department=dept-b").text
    body = anon.get("/api/v1/powers?q=XK").json()
    assert body["total"] == 1
    assert body["items"] == [
        {
            "code": "XK-1",
            "name": "食品经营许可",
            "category": "licensing",
            "department": "dept-a",
            "statutory_limit": {"value": 20, "unit": "workday"},
            "promised_limit": {"value": 10, "unit": "workday"},
        }
    ]


def test_the_power_and_department_lists_have_json_twins_with_the_pages_rows(
    anon: TestClient[Litestar], db: Session, cast: Cast, tmp_path: Path
) -> None:
    published(db, cast, tmp_path)
    twin = anon.get("/powers?category=penalty&format=json")
    assert twin.headers["cache-control"] == "public, max-age=300"
    assert [i["name"] for i in twin.json()["items"]] == ["对无证经营的处罚"]
    assert twin.json()["items"] == anon.get("/api/v1/powers?category=penalty").json()["items"]
    assert 'href="?category=penalty&amp;format=json"' in anon.get("/powers?category=penalty").text
    departments = anon.get("/departments?q=dept-b&format=json").json()
    assert (departments["total"], departments["q"]) == (1, "dept-b")
    assert [d["code"] for d in departments["departments"]] == ["dept-b"]
    assert departments["departments"][0] == anon.get("/api/v1/departments/dept-b").json()


def test_a_power_page_shows_its_steps_limits_and_history(
    anon: TestClient[Litestar], db: Session, cast: Cast, tmp_path: Path
) -> None:
    published(db, cast, tmp_path)
    html = anon.get("/powers/XK-1").text
    assert "20 working days" in html and "10 working days" in html
    assert "1. 受理" in html and "2. 决定" in html and "科长" in html
    assert "Added to the list" in html
    detail = anon.get("/api/v1/powers/XK-1").json()
    assert detail["version"] == 1 and detail["item"]["steps"][1]["name"] == "决定"
    assert detail["history"] == [{"version": 1, "effective": "2026-01-01", "change": "added", "fields": []}]
    assert anon.get("/api/v1/powers/NOPE").status_code == 404


def test_department_lists_download_as_xlsx_csv_and_json(
    anon: TestClient[Litestar], db: Session, cast: Cast, tmp_path: Path
) -> None:
    published(db, cast, tmp_path)
    data = anon.get("/departments/dept-a/powerlist.json").json()
    assert data["department"] == "dept-a" and data["version"] == 1 and data["effective"] == "2026-01-01"
    assert [i["code"] for i in data["items"]] == ["XK-1", "CF-1"]
    xlsx = anon.get("/departments/dept-a/powerlist.xlsx")
    assert xlsx.headers["content-type"].startswith(XLSX)
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert [c.value for c in sheet[2]][:2] == ["XK-1", "食品经营许可"]
    csv_text = anon.get("/departments/dept-a/powerlist.csv").content.decode("utf-8-sig")
    assert "XK-1" in csv_text and "对无证经营的处罚" in csv_text
    assert anon.get("/departments/dept-b/powerlist.json").status_code == 404
    assert json.loads(anon.get("/departments/dept-a/powerlist.json?version=1").text)["version"] == 1


def test_the_blank_template_downloads_in_the_visitors_language(anon: TestClient[Litestar]) -> None:
    response = anon.get("/powers/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet["A1"].value == "Code"  # the test site speaks English
    anon.get("/lang/zh-CN")
    sheet = load_workbook(io.BytesIO(anon.get("/powers/template.xlsx").content)).worksheets[0]
    assert sheet["A1"].value == "权力编码"


def test_an_earlier_version_stays_browsable(
    anon: TestClient[Litestar], db: Session, cast: Cast, tmp_path: Path
) -> None:
    published(db, cast, tmp_path)
    revised = build(tmp_path / "v2.xlsx", rows=[item_row("XK-1", "食品经营许可（修订）")])
    import_file(
        db,
        cast.dept_a.id,
        revised,
        source_name="v2.xlsx",
        effective=date(2026, 2, 1),  # type: ignore[arg-type]
        imported_by_id=None,
        now=NOW,
    )
    db.commit()
    today_page = anon.get("/departments/dept-a").text
    assert "食品经营许可（修订）" in today_page and "对无证经营的处罚" not in today_page
    first = anon.get("/departments/dept-a?version=1").text
    assert "对无证经营的处罚" in first and "not the version in force today" in first
    assert anon.get("/departments/dept-a?version=9").status_code == 404
    history = anon.get("/api/v1/powers/XK-1").json()["history"]
    assert [(h["version"], h["change"], h["fields"]) for h in history] == [
        (2, "changed", ["name", "steps"]),
        (1, "added", []),
    ]


def test_the_manage_page_shows_who_imported_each_version(
    as_op_a: TestClient[Litestar], db: Session, tmp_path: Path
) -> None:
    upload(as_op_a, build(tmp_path / "a.xlsx", rows=[item_row("A-1", "甲")]))
    publish_draft(as_op_a, db)
    page = as_op_a.get("/powerlist/").text
    assert "op-a@example.org" in page and "a.xlsx" in page


def test_a_department_page_title_is_the_department_name(
    anon: TestClient[Litestar], db: Session, cast: Cast, tmp_path: Path
) -> None:
    published(db, cast, tmp_path)
    html = anon.get("/departments/dept-a").text
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("Bureau A") and "<" not in title
    assert html.count('id="powers"') == 1
