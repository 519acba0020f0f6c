"""Complaints (投诉): filing on /complain, the status page, accepting or declining within 5 working
days, the review that follows, the scheduler's mark on complaints not handled in time, scoping."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from tests.conftest import Cast, csrf_from
from tests.test_attachments import EXE, PDF, PNG
from tests.test_cases_ingest import SHANGHAI, end_of
from tests.test_flag_review import do
from tracker.audit.models import AuditEntry
from tracker.calendar import OFFICIAL
from tracker.complaints import handling
from tracker.complaints.intake import ComplaintRefused, file_complaint, find, secret_digest
from tracker.complaints.models import Complaint, ComplaintFile, ComplaintStatus, handled_late_sql
from tracker.exports import flags as flag_export
from tracker.flags import escalation
from tracker.flags.attachments import AttachmentRefused, Upload
from tracker.flags.models import Flag, FlagStatus
from tracker.flags.queries import FlagFilter, flag_counts, flag_rows
from tracker.notify.flag_events import notify_flag_actions
from tracker.notify.models import Notification
from tracker.settings import Settings
from tracker.thresholds import set_threshold

# Mon 28 Sep 2026, before National Day (1–7 Oct off; Sat 10 Oct worked).
NOW = datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)
WHAT = "窗口工作人员要求另交材料费200元，没有收据。"
NUMBER = re.compile(r"TS\d{8}-\d{6}")
SECRET = re.compile(r'<code class="secret">((?:[0-9A-Z]{4}-){2}[0-9A-Z]{4})</code>')


def filed(
    db: Session, cast: Cast, tmp_path: Path, when: datetime = NOW, **form: str
) -> tuple[Complaint, str]:
    fields = {"department": cast.dept_a.code, "happened_on": "2026-09-21", "what": WHAT, **form}
    result = file_complaint(
        db, fields, [], now=when, cal=OFFICIAL, tz=SHANGHAI, days=5, data_dir=tmp_path, max_bytes=1 << 20
    )
    db.commit()
    return result.complaint, result.secret


def complaints(db: Session) -> list[Complaint]:
    db.rollback()  # a fresh snapshot: the web requests commit on their own connections
    return list(db.exec(select(Complaint).order_by(Complaint.id)))  # type: ignore[arg-type]


def submit(client: TestClient[Litestar], files: list[tuple[str, bytes]] | None = None, **form: str) -> Any:
    page = client.get("/complain")
    data = {"happened_on": "2026-09-21", "what": WHAT, **form, "csrf_token": csrf_from(page.text)}
    uploads = [("files", (name, body, "application/octet-stream")) for name, body in files or []]
    return client.post("/complain", data=data, files=uploads or None, follow_redirects=False)


# Filing


def test_the_complainant_gets_a_number_and_a_secret_shown_once_and_only_its_hash_is_kept(
    db: Session, listed: Cast, anon: TestClient[Litestar], settings: Settings
) -> None:
    response = submit(
        anon,
        files=[("receipt.png", PNG), ("notice.pdf", PDF)],
        department=listed.dept_a.code,
        contact="13812345678",
        case_ref="C-404",
    )
    assert response.status_code == 200, response.text
    number = NUMBER.search(response.text)
    secret = SECRET.search(response.text)
    assert number and secret
    [complaint] = complaints(db)
    assert complaint.number == number.group(0) and complaint.secret_hash == secret_digest(secret.group(1))
    assert complaint.contact == "13812345678" and complaint.case_ref == "C-404" and complaint.case_id is None
    assert complaint.status == ComplaintStatus.received and complaint.happened_on == date(2026, 9, 21)
    files = list(db.exec(select(ComplaintFile)))
    assert sorted((f.original_name, f.content_type) for f in files) == [
        ("notice.pdf", "application/pdf"),
        ("receipt.png", "image/png"),
    ]
    assert all(
        (settings.data_dir / "attachments" / f.storage_key[:2] / f.storage_key).is_file() for f in files
    )
    # The audit log proves the complaint without publishing the text, the contact or the secret.
    logged = "".join(e.body for e in db.exec(select(AuditEntry)))
    assert complaint.number in logged
    for private in ("13812345678", WHAT, secret.group(1)):
        assert private not in logged
    assert response.headers["cache-control"] == "no-store"


def test_a_power_code_names_the_department_and_a_case_reference_is_linked_silently(
    db: Session, listed: Cast, tmp_path: Path
) -> None:
    from tests.test_cases_ingest import received, send

    send(db, listed.dept_a.id, received("C-1"))
    complaint, _secret = filed(db, listed, tmp_path, department="", power="XK-1", case_ref=" C-1 ")
    assert (complaint.department_id, complaint.power_code) == (listed.dept_a.id, "XK-1")
    assert (
        complaint.power_item_id is not None and complaint.case_id is not None and complaint.case_ref == "C-1"
    )


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"department": ""}, "department", "Choose the department"),
        ({"department": "nope"}, "department", "no department with the code nope"),
        ({"power": "XK-99"}, "power", "No power on the published lists has the code XK-99"),
        ({"department": "dept-b", "power": "XK-1"}, "power", "is on the list of 甲局"),
        ({"happened_on": "2026-09-29"}, "happened_on", "2026-09-29 is in the future"),
        ({"happened_on": "21/09/2026"}, "happened_on", "21/09/2026 is not a date"),
        ({"what": "太慢了"}, "what", "at least 10 characters"),
        ({"what": "长" * 5001}, "what", "at most 5000 characters"),
        ({"contact": "x" * 201}, "contact", "at most 200 characters"),
    ],
)
def test_a_bad_complaint_names_the_field_and_the_value_and_stores_nothing(
    db: Session, listed: Cast, tmp_path: Path, form: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(ComplaintRefused) as refused:
        filed(db, listed, tmp_path, **form)
    assert refused.value.field == field and message in str(refused.value)
    assert complaints(db) == []


def test_a_renamed_program_is_refused_and_leaves_no_complaint_and_no_file(
    db: Session, listed: Cast, anon: TestClient[Litestar], settings: Settings
) -> None:
    before = set((settings.data_dir / "attachments").rglob("*")) if settings.data_dir.exists() else set()
    response = submit(anon, files=[("receipt.png", PNG), ("photo.jpg", EXE)], department=listed.dept_a.code)
    assert response.status_code == 400
    assert "photo.jpg was refused: it is a Windows program" in response.text
    assert WHAT in response.text  # the form keeps what was written
    assert complaints(db) == [] and list(db.exec(select(ComplaintFile))) == []
    after = set((settings.data_dir / "attachments").rglob("*")) if settings.data_dir.exists() else set()
    assert {p for p in after - before if p.is_file()} == set()


def test_the_web_form_shows_the_error_next_to_the_field(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    response = submit(anon, department=listed.dept_a.code, happened_on="2099-01-01")
    assert response.status_code == 400
    assert 'id="f-happened_on-error"' in response.text and "2099-01-01 is in the future" in response.text
    assert complaints(db) == []


def test_the_complaint_form_is_refused_without_its_csrf_token(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    anon.get("/complain")
    data = {"department": listed.dept_a.code, "happened_on": "2026-09-21", "what": WHAT}
    assert anon.post("/complain", data=data).status_code == 403
    assert complaints(db) == []


def test_more_than_five_complaints_an_hour_from_one_address_are_refused(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    answers = [submit(anon, department=listed.dept_a.code).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    assert len(complaints(db)) == 5


def test_the_form_is_prefilled_from_a_power_page_link(listed: Cast, anon: TestClient[Litestar]) -> None:
    page = anon.get("/complain", params={"power": "XK-1"})
    assert page.status_code == 200 and 'name="power" type="text" value="XK-1"' in page.text
    assert 'href="/complain?power=XK-1"' in anon.get("/powers/XK-1").text


# The status page


def test_the_status_page_opens_with_the_number_and_the_secret_only(
    db: Session, listed: Cast, tmp_path: Path, anon: TestClient[Litestar]
) -> None:
    complaint, secret = filed(db, listed, tmp_path)
    page = anon.get("/complain/status")
    token = csrf_from(page.text)
    right = anon.post(
        "/complain/status", data={"number": complaint.number.lower(), "secret": secret, "csrf_token": token}
    )
    assert right.status_code == 200 and "Received, waiting for the supervisors" in right.text
    assert "2026-10-10" in right.text  # the decision is due by the 5th working day
    wrong_secret = anon.post(
        "/complain/status", data={"number": complaint.number, "secret": "0000-0000-0000", "csrf_token": token}
    )
    unknown = anon.post(
        "/complain/status", data={"number": "TS20260101-000000", "secret": secret, "csrf_token": token}
    )
    assert wrong_secret.status_code == unknown.status_code == 400
    message = "There is no complaint with this number and secret."
    assert message in wrong_secret.text and message in unknown.text
    assert find(db, complaint.number, secret) == complaint and find(db, complaint.number, "") is None


# Handling: 5 working days


def test_the_decision_is_due_by_the_end_of_the_fifth_working_day_across_national_day(
    db: Session, listed: Cast, tmp_path: Path
) -> None:
    complaint, _secret = filed(db, listed, tmp_path)
    # 5 working days after Mon 28 Sep: 29, 30 Sep, (1–7 Oct off) 8, 9, and the make-up Saturday 10 Oct.
    assert complaint.handle_by == end_of(date(2026, 10, 10))
    friday, _ = filed(db, listed, tmp_path, when=datetime(2026, 11, 27, 17, 0, tzinfo=SHANGHAI))
    assert friday.handle_by == end_of(date(2026, 12, 4))  # Mon 30 Nov to Fri 4 Dec


def test_accepting_opens_a_review_flag_about_the_department_with_no_case(
    db: Session, listed: Cast, tmp_path: Path
) -> None:
    complaint, _secret = filed(db, listed, tmp_path, power="XK-1")
    flag = handling.accept(db, complaint, listed.supervisor, "", now=NOW + timedelta(days=1))
    db.commit()
    assert (flag.kind, flag.level, flag.case_id, flag.complaint_id) == (
        "complaint",
        "yellow",
        None,
        complaint.id,
    )
    assert flag.department_id == listed.dept_a.id and flag.status == FlagStatus.open
    assert flag.since == complaint.received_at and flag.params["complaint"] == complaint.number
    assert complaint.status == ComplaintStatus.accepted and complaint.handled_by == listed.supervisor.id
    assert handling.outcome(db, complaint).stage == "reviewing"
    # The review is a flag's: explain, confirm (the complainant reads the reason), rectify.
    do(db, flag, "request_explanation", listed.supervisor, "请说明", when=NOW + timedelta(days=1))
    do(db, flag, "reply", listed.op_a, "已退还材料费", when=NOW + timedelta(days=2))
    do(db, flag, "confirm", listed.supervisor, "收取材料费无依据，属实", when=NOW + timedelta(days=3))
    seen = handling.outcome(db, complaint)
    assert (seen.stage, seen.reason) == ("upheld", "收取材料费无依据，属实") and seen.due_at == flag.due_at
    do(db, flag, "report_rectification", listed.op_a, "已退费并培训", when=NOW + timedelta(days=4))
    do(db, flag, "accept_rectification", listed.supervisor, "通过", when=NOW + timedelta(days=5))
    assert handling.outcome(db, complaint).stage == "rectified"


def test_a_dismissed_review_tells_the_complainant_why(db: Session, listed: Cast, tmp_path: Path) -> None:
    complaint, _secret = filed(db, listed, tmp_path)
    flag = handling.accept(db, complaint, listed.supervisor, "", now=NOW)
    db.commit()
    do(db, flag, "dismiss", listed.supervisor, "该费用为法定工本费")
    seen = handling.outcome(db, complaint)
    assert (seen.stage, seen.reason) == ("not_upheld", "该费用为法定工本费")


def test_declining_needs_a_reason_that_the_complainant_reads(
    db: Session, listed: Cast, tmp_path: Path, anon: TestClient[Litestar]
) -> None:
    complaint, secret = filed(db, listed, tmp_path)
    with pytest.raises(handling.HandlingRefused, match="Write why"):
        handling.decline(db, complaint, listed.supervisor, "  ", now=NOW)
    handling.decline(db, complaint, listed.supervisor, "不属于行政权力事项，请向法院起诉", now=NOW)
    db.commit()
    with pytest.raises(handling.HandlingRefused, match="already been handled"):
        handling.accept(db, complaint, listed.supervisor, "", now=NOW)
    page = anon.get("/complain/status")
    shown = anon.post(
        "/complain/status",
        data={"number": complaint.number, "secret": secret, "csrf_token": csrf_from(page.text)},
    )
    assert "Declined" in shown.text and "不属于行政权力事项，请向法院起诉" in shown.text


def test_an_operator_can_neither_accept_nor_decline(db: Session, listed: Cast, tmp_path: Path) -> None:
    complaint, _secret = filed(db, listed, tmp_path)
    for decide in (handling.accept, handling.decline):
        with pytest.raises(handling.HandlingRefused, match="Only supervisors"):
            decide(db, complaint, listed.op_a, "理由", now=NOW)
    assert complaint.status == ComplaintStatus.received


def test_a_supervisor_accepts_on_the_complaint_page_and_lands_on_the_review(
    db: Session, listed: Cast, tmp_path: Path, as_supervisor: TestClient[Litestar]
) -> None:
    complaint, _secret = filed(db, listed, tmp_path, contact="13812345678")
    page = as_supervisor.get(f"/complaints/{complaint.id}")
    assert page.status_code == 200 and "13812345678" in page.text and WHAT in page.text
    twin = as_supervisor.get(f"/complaints/{complaint.id}", params={"format": "json"}).json()
    assert (twin["contact"], twin["status"], twin["flag"]) == ("13812345678", "received", None)
    token = csrf_from(page.text)
    empty = as_supervisor.post(
        f"/complaints/{complaint.id}/handle", data={"decision": "decline", "text": "", "csrf_token": token}
    )
    assert empty.status_code == 400 and complaints(db)[0].status == ComplaintStatus.received
    accepted = as_supervisor.post(
        f"/complaints/{complaint.id}/handle",
        data={"decision": "accept", "text": "", "csrf_token": token},
        follow_redirects=False,
    )
    db.rollback()
    [flag] = db.exec(select(Flag)).all()
    assert accepted.status_code == 302 and accepted.headers["location"] == f"/flags/{flag.id}"
    review = as_supervisor.get(f"/flags/{flag.id}")
    assert review.status_code == 200 and complaint.number in review.text and WHAT in review.text
    queue = as_supervisor.get("/flags/", params={"format": "json"}).json()
    assert [(i["case"], i["kind"]) for i in queue["flags"]] == [(complaint.number, "complaint")]
    twin = as_supervisor.get(f"/flags/{flag.id}", params={"format": "json"}).json()
    assert (twin["case"], twin["complaint"]) == (None, complaint.number)


# Scoping


def test_a_department_sees_only_complaints_accepted_about_it_and_never_the_contact(
    db: Session,
    listed: Cast,
    tmp_path: Path,
    as_op_a: TestClient[Litestar],
    as_op_b: TestClient[Litestar],
    settings: Settings,
) -> None:
    waiting, _ = filed(db, listed, tmp_path, contact="13812345678")
    upload = Upload("receipt.png", io.BytesIO(PNG))
    accepted = file_complaint(
        db,
        {"department": listed.dept_a.code, "happened_on": "2026-09-21", "what": WHAT, "contact": "a@b.cn"},
        [upload],
        now=NOW,
        cal=OFFICIAL,
        tz=SHANGHAI,
        days=5,
        data_dir=settings.data_dir,
        max_bytes=1 << 20,
    ).complaint
    db.commit()
    flag = handling.accept(db, accepted, listed.supervisor, "", now=NOW)
    db.commit()
    listing = as_op_a.get("/complaints/", params={"format": "json"}).json()
    assert [i["number"] for i in listing["items"]] == [accepted.number]
    assert "contact" not in listing["items"][0]
    assert (
        as_op_a.get(f"/complaints/{waiting.id}").status_code == 404
    )  # not accepted: not the department's yet
    page = as_op_a.get(f"/complaints/{accepted.id}")
    assert page.status_code == 200 and "a@b.cn" not in page.text
    assert "a@b.cn" not in as_op_a.get(f"/flags/{flag.id}").text
    [stored] = db.exec(select(ComplaintFile)).all()
    download = as_op_a.get(f"/complaints/{accepted.id}/files/{stored.id}")
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-disposition"].startswith("attachment")
    twin = as_op_a.get(f"/complaints/{accepted.id}", params={"format": "json"}).json()
    assert twin["number"] == accepted.number and "contact" not in twin
    assert [f["url"] for f in twin["files"]] == [f"/complaints/{accepted.id}/files/{stored.id}"]
    assert as_op_b.get(f"/complaints/{accepted.id}").status_code == 404
    assert as_op_b.get(f"/complaints/{accepted.id}", params={"format": "json"}).status_code == 404
    assert as_op_b.get(f"/complaints/{accepted.id}/files/{stored.id}").status_code == 404
    assert as_op_b.get(f"/flags/{flag.id}").status_code == 404
    assert as_op_b.get("/complaints/", params={"format": "json"}).json()["items"] == []
    assert (
        as_op_a.post(
            f"/complaints/{waiting.id}/handle",
            data={"decision": "accept", "text": "", "csrf_token": csrf_from(page.text)},
        ).status_code
        == 403
    )


def test_the_public_cannot_open_the_workbench(anon: TestClient[Litestar]) -> None:
    assert anon.get("/complaints/", follow_redirects=False).status_code in (302, 401)


# The scheduler


def test_a_complaint_not_handled_in_time_is_marked_once_and_supervisors_are_told_once(
    db: Session, listed: Cast, tmp_path: Path, as_supervisor: TestClient[Litestar]
) -> None:
    late, _ = filed(db, listed, tmp_path)
    on_time, _ = filed(db, listed, tmp_path)
    handling.decline(db, on_time, listed.supervisor, "不予受理", now=end_of(date(2026, 10, 9)))
    db.commit()
    assert handling.mark_overdue(db, end_of(date(2026, 10, 10))) == []  # due by the end of that day
    after = end_of(date(2026, 10, 10)) + timedelta(seconds=1)
    assert handling.mark_overdue(db, after) == [late.number]
    assert handling.mark_overdue(db, after + timedelta(hours=1)) == []
    db.commit()
    db.refresh(late)
    assert late.overdue_at == after
    told = db.exec(select(Notification).where(Notification.key == f"complaint:{late.id}:overdue")).all()
    assert {n.user_id for n in told} == {listed.supervisor.id, listed.admin.id}
    page = as_supervisor.get(f"/complaints/{late.id}", headers={"accept-language": "en"}).text
    assert "Flagged as not handled in time" in page
    other = as_supervisor.get(f"/complaints/{on_time.id}", headers={"accept-language": "en"}).text
    assert "Flagged as not handled in time" not in other and "declined" in other  # the page is in English


def test_a_complaint_handled_late_while_the_scheduler_was_down_is_marked_too(
    db: Session, listed: Cast, tmp_path: Path
) -> None:
    complaint, _ = filed(db, listed, tmp_path)
    handling.accept(db, complaint, listed.supervisor, "", now=end_of(date(2026, 10, 12)))
    db.commit()
    assert handling.mark_overdue(db, end_of(date(2026, 10, 13))) == [complaint.number]


def test_supervisors_hear_of_each_new_complaint_once(db: Session, listed: Cast, tmp_path: Path) -> None:
    complaint, _ = filed(db, listed, tmp_path)
    assert handling.announce(db, NOW + timedelta(minutes=1)) == 2  # the supervisor and the admin
    assert handling.announce(db, NOW + timedelta(minutes=2)) == 0
    db.commit()
    keys = {n.key for n in db.exec(select(Notification))}
    assert keys == {f"complaint:{complaint.id}:new"}


def test_an_unrectified_upheld_complaint_escalates_to_a_red_card_once(
    db: Session, listed: Cast, tmp_path: Path
) -> None:
    complaint, _ = filed(db, listed, tmp_path)
    flag = handling.accept(db, complaint, listed.supervisor, "", now=NOW)
    db.commit()
    do(db, flag, "confirm", listed.supervisor, "属实")
    assert flag.due_at == end_of(date(2026, 10, 23))
    later = end_of(date(2026, 10, 26))
    raised = escalation.check_deadlines(db, later, SHANGHAI).raised
    again = escalation.check_deadlines(db, later + timedelta(hours=1), SHANGHAI).raised
    db.commit()
    assert [(r.case_id, r.ref, r.kind) for r in raised] == [(None, complaint.number, "escalated")]
    assert again == []
    reminders = db.exec(select(Notification).where(Notification.user_id == listed.op_a.id)).all()
    assert reminders and all(r.args["case"] == complaint.number for r in reminders)  # one a day
    assert all(r.body.startswith("The violation confirmed on complaint %(case)s") for r in reminders)
    red = db.exec(select(Flag).where(Flag.kind == "escalated")).one()
    assert (red.complaint_id, red.origin_id, red.level, red.case_id) == (complaint.id, flag.id, "red", None)


def test_the_department_is_told_of_actions_on_a_complaints_review(
    db: Session, listed: Cast, tmp_path: Path, settings: Settings
) -> None:
    complaint, _ = filed(db, listed, tmp_path)
    flag = handling.accept(db, complaint, listed.supervisor, "", now=NOW)
    db.commit()
    do(db, flag, "request_explanation", listed.supervisor, "请说明")
    assert notify_flag_actions(db, settings, NOW + timedelta(minutes=1)) == 1
    db.commit()
    [message] = db.exec(select(Notification).where(Notification.user_id == listed.op_a.id)).all()
    assert message.args["case"] == complaint.number
    assert message.subject == "Complaint %(case)s, %(kind)s: %(status)s"  # not "Case …"
    assert "about complaint %(case)s" in message.body


def test_attachments_of_a_complaint_are_checked_as_the_supervisions_are(
    db: Session, listed: Cast, tmp_path: Path
) -> None:
    upload = Upload("invoice.pdf", io.BytesIO(EXE))
    with pytest.raises(AttachmentRefused, match=r"invoice\.pdf was refused"):
        file_complaint(
            db,
            {"department": listed.dept_a.code, "happened_on": "2026-09-21", "what": WHAT},
            [upload],
            now=NOW,
            cal=OFFICIAL,
            tz=SHANGHAI,
            days=5,
            data_dir=tmp_path,
            max_bytes=1 << 20,
        )
    db.rollback()
    assert complaints(db) == [] and [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()] == []


def test_the_downloads_share_the_queue_and_its_scope_and_write_text_never_formulas(
    db: Session,
    listed: Cast,
    tmp_path: Path,
    as_supervisor: TestClient[Litestar],
    as_op_a: TestClient[Litestar],
) -> None:
    waiting, _ = filed(
        db, listed, tmp_path, contact="13812345678", what='=HYPERLINK("http://evil","点此")收费不开票'
    )
    accepted, _ = filed(db, listed, tmp_path, contact="a@b.cn")
    handling.accept(db, accepted, listed.supervisor, "", now=NOW)
    db.commit()
    page = as_supervisor.get("/complaints/", params={"status": "received"}).text
    assert 'href="/complaints/export?status=received&amp;format=csv"' in page  # the page's filters
    full = as_supervisor.get("/complaints/export", params={"format": "csv"})
    assert full.status_code == 200 and full.headers["content-disposition"].endswith('complaints.csv"')
    lines = full.text.splitlines()
    assert len(lines) == 3 and "13812345678" in full.text and "a@b.cn" in full.text
    assert "'=HYPERLINK" in full.text  # the CSV formula guard
    book = as_supervisor.get("/complaints/export", params={"format": "xlsx", "status": "received"})
    sheet = load_workbook(io.BytesIO(book.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert waiting.number in [c.value for c in cells] and accepted.number not in [c.value for c in cells]
    own = as_op_a.get("/complaints/export", params={"format": "json"})
    names = [f["name"] for f in own.json()["fields"]]
    assert "contact" not in names
    assert [dict(zip(names, r, strict=True))["number"] for r in own.json()["rows"]] == [accepted.number]
    assert as_supervisor.get("/complaints/export", params={"format": "pdf"}).status_code == 400


def test_an_upheld_complaint_is_in_the_supervisors_export_but_not_in_the_public_violations(
    db: Session, listed: Cast, tmp_path: Path
) -> None:
    complaint, _ = filed(db, listed, tmp_path, power="XK-1")
    flag = handling.accept(db, complaint, listed.supervisor, "", now=NOW)
    db.commit()
    do(db, flag, "confirm", listed.supervisor, "属实")
    everything = FlagFilter(tz=SHANGHAI)
    [row] = list(flag_export.flag_rows(db, everything, SHANGHAI))
    assert row[:5] == (listed.dept_a.code, complaint.number, "XK-1", "complaint", "yellow")
    assert list(flag_export.violation_rows(db, everything, SHANGHAI)) == []
    # The queue's power filter finds a complaint's review by the complaint's power.
    assert [r.case for r in flag_rows(db, FlagFilter(power="XK-1", tz=SHANGHAI))] == [complaint.number]
    assert flag_counts(db, FlagFilter(power="XK-1", tz=SHANGHAI))["status"] == {"confirmed": 1}
    assert flag_rows(db, FlagFilter(power="XK-2", tz=SHANGHAI)) == []


def test_a_complaint_handled_before_the_notice_goes_out_needs_no_notice(
    db: Session, listed: Cast, tmp_path: Path
) -> None:
    handled, _ = filed(db, listed, tmp_path)
    handling.decline(db, handled, listed.supervisor, "不予受理", now=NOW)
    db.commit()
    assert handling.announce(db, NOW + timedelta(minutes=1)) == 0


def test_an_admin_sets_the_days_supervisors_have_and_new_complaints_follow_it(
    db: Session, listed: Cast, anon: TestClient[Litestar], as_supervisor: TestClient[Litestar]
) -> None:
    set_threshold(db, "complaint_workdays", 3)
    db.commit()
    assert submit(anon, department=listed.dept_a.code).status_code == 200
    [complaint] = complaints(db)
    day, counted = complaint.received_at.astimezone(SHANGHAI).date(), 0
    while counted < 3:  # counted here day by day, apart from the code under test
        day += timedelta(days=1)
        counted += OFFICIAL.is_working_day(day)
    assert complaint.handle_by == end_of(day)
    assert "within 3 working days" in as_supervisor.get("/complaints/").text


def test_the_queue_lists_the_newest_first_or_the_decision_due_soonest(
    db: Session, listed: Cast, tmp_path: Path, as_supervisor: TestClient[Litestar]
) -> None:
    earlier, _ = filed(db, listed, tmp_path, when=NOW)  # due Sat 10 Oct
    later, _ = filed(db, listed, tmp_path, when=NOW + timedelta(days=1))  # due Mon 12 Oct
    newest = as_supervisor.get("/complaints/", params={"format": "json"}).json()["items"]
    assert [i["number"] for i in newest] == [later.number, earlier.number]
    due = as_supervisor.get("/complaints/", params={"format": "json", "sort": "due"}).json()["items"]
    assert [i["number"] for i in due] == [earlier.number, later.number]
    page = as_supervisor.get("/complaints/", params={"sort": "due"}).text
    assert '<option value="due" selected>' in page


def test_not_handled_in_time_means_the_same_in_the_queue_filter_and_on_each_complaint(
    db: Session, listed: Cast, tmp_path: Path, as_supervisor: TestClient[Litestar]
) -> None:
    now = end_of(date(2026, 10, 12))
    waiting_late, _ = filed(db, listed, tmp_path)  # due by the end of 10 Oct
    handled_late, _ = filed(db, listed, tmp_path)
    on_time, _ = filed(db, listed, tmp_path)
    not_due_yet, _ = filed(db, listed, tmp_path, when=datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI))
    handling.decline(db, handled_late, listed.supervisor, "不予受理", now=end_of(date(2026, 10, 11)))
    handling.decline(db, on_time, listed.supervisor, "不予受理", now=end_of(date(2026, 10, 9)))
    db.commit()
    expected = {waiting_late.number, handled_late.number}
    every = (waiting_late, handled_late, on_time, not_due_yet)
    assert {c.number for c in every if c.handled_late(now)} == expected
    in_sql = db.exec(select(Complaint.number).where(handled_late_sql(now))).all()
    assert set(in_sql) == expected
    queue = as_supervisor.get("/complaints/", params={"overdue": "1", "format": "json"}).json()["items"]
    # The queue asks at the real time, when the one not due yet on 12 Oct is past due too.
    assert {i["number"] for i in queue} == expected | {not_due_yet.number}
