"""Open data exports: case and violation files in xlsx, CSV and JSON, the CLI, and /open-data."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from powerlists.models import PowerItem
from tests.conftest import Cast, Tracker, one_line_error
from tests.test_cases_ingest import SHANGHAI, send
from tracker.accounts.models import User
from tracker.audit.models import PublishedExport
from tracker.calendar import OFFICIAL
from tracker.cases.models import Case
from tracker.exports import cases as case_export
from tracker.exports import flags as flag_export
from tracker.exports.tables import infer_format, table_bytes
from tracker.flags.models import Flag, Level
from tracker.flags.queries import FlagFilter
from tracker.flags.review import act
from tracker.thresholds import load_thresholds

NAME, PHONE = "欧阳娜娜", "13912345678"  # an applicant who must never appear in open data
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def dept_a(cast: Cast) -> int:
    assert cast.dept_a.id is not None
    return cast.dept_a.id


def ev(ref: str, kind: str, at: str, **extra: Any) -> dict[str, Any]:
    return {"case": ref, "type": kind, "at": at, **extra}


def load_cases(db: Session, cast: Cast) -> None:
    """March 2026 in department A (list XK-1: promised 10, statutory 20 working days), and a few
    cases the March export must leave out."""
    applicant = {"name": NAME, "phone": PHONE, "id_number": "110101199003071234"}
    results = send(
        db,
        cast.dept_a.id,
        # Decided within the promise, with a fee; the applicant's details on the case.
        ev("C-1", "received", "2026-03-02T09:00:00", power="XK-1", applicant=applicant),
        ev("C-1", "accepted", "2026-03-03T10:00:00", note=f"{NAME} 来电 {PHONE}"),
        ev("C-1", "fee_charged", "2026-03-04T10:00:00", amount="12.50"),
        ev("C-1", "decided", "2026-03-10T16:30:00", outcome="approved"),
        # Decided past both deadlines (promise 19 Mar, law 2 Apr), rejected with reasons naming people.
        ev("C-2", "received", "2026-03-05T09:00:00", power="XK-1"),
        ev("C-2", "accepted", "2026-03-05T11:00:00"),
        ev("C-2", "decided", "2026-04-20T10:00:00", outcome="rejected", reason=f"{NAME}（{PHONE}）材料不全"),
        # Still open; a reference that looks like a formula.
        ev('=HYPERLINK("x")', "received", "2026-03-20T09:00:00", power="XK-1"),
        # Under a power code not on the list, that looks like a formula too; withdrawn.
        ev("OFF-1", "received", "2026-03-31T23:30:00", power="=1+1"),
        ev("OFF-1", "withdrawn", "2026-04-01T09:00:00", note=f"{NAME}撤回"),
        # No limits on XK-2: decided, with no deadline to be on time against.
        ev("C-5", "received", "2026-03-01T00:10:00", power="XK-2"),
        ev("C-5", "decided", "2026-03-06T09:00:00", outcome="completed"),
        # Outside March (local time): the last minute of February and the first of April.
        ev("FEB", "received", "2026-02-28T23:59:00", power="XK-1"),
        ev("APR", "received", "2026-04-01T00:00:00", power="XK-1"),
        now=datetime(2026, 5, 1, 9, 0, tzinfo=SHANGHAI),
    )
    assert {r["status"] for r in results} == {"stored"}, results
    results = send(
        db,
        cast.dept_b.id,
        ev("B-1", "received", "2026-03-10T09:00:00", power="QL-1"),
        now=datetime(2026, 5, 1, 9, 0, tzinfo=SHANGHAI),
    )
    assert {r["status"] for r in results} == {"stored"}


# Every format read back as the same plain strings, so that one expectation fits all three.


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal | float):
        return f"{value:.2f}"
    return str(value)


def expected_case_rows(
    db: Session, department_id: int, code: str, first: date, last: date
) -> list[list[str]]:
    """The export's rows computed from the raw cases, with plain Python and the official calendar."""
    db.expire_all()
    rows = []
    cases = db.exec(select(Case).where(Case.department_id == department_id)).all()
    for c in sorted(cases, key=lambda c: (c.received_at, c.id)):
        if not first <= c.received_at.astimezone(SHANGHAI).date() <= last:
            continue
        item = db.get(PowerItem, c.power_item_id) if c.power_item_id else None
        used = None
        if c.decided_at:
            start = (c.accepted_at or c.received_at).astimezone(SHANGHAI).date()
            end = c.decided_at.astimezone(SHANGHAI).date()
            used = sum(
                OFFICIAL.is_working_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1)
            )

        def local(at: datetime | None) -> datetime | None:
            return at.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0) if at else None

        def on_time(due: datetime | None, decided: datetime | None = c.decided_at) -> bool | None:
            return decided <= due if decided and due else None

        values = [
            c.ref,
            code,
            c.power_code,
            item.name if item else None,
            item is not None,
            local(c.received_at),
            local(c.accepted_at),
            local(c.decided_at),
            c.status,
            c.outcome,
            local(c.promised_due_at),
            local(c.statutory_due_at),
            c.deadlines_provisional,
            on_time(c.promised_due_at),
            on_time(c.statutory_due_at),
            used,
            Decimal(c.fee_charged) if c.fee_charged else Decimal(0),
        ]
        rows.append([_text(v) for v in values])
    return rows


def read_xlsx(content: bytes) -> tuple[list[str], list[list[str]]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row), "a formula was written"
    rows = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def read_csv(content: bytes) -> tuple[list[str], list[list[str]]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    records = list(csv.reader(io.StringIO(text[1:])))
    return records[0], records[1:]


def read_json(content: bytes) -> tuple[list[str], list[list[str]]]:
    data = json.loads(content)
    names = [f["name"] for f in data["fields"]]

    def value(v: Any) -> Any:
        if isinstance(v, str) and len(v) >= 19 and v[10:11] == "T":  # an ISO time with its offset
            return datetime.fromisoformat(v).astimezone(SHANGHAI).replace(tzinfo=None)
        return v

    return names, [[_text(value(v)) for v in row] for row in data["rows"]]


def amounts(rows: list[list[str]], fields: Sequence[Any]) -> list[list[str]]:
    """Amounts with two decimals, however the format wrote them (xlsx keeps 0.00 as 0)."""
    decimal = [i for i, f in enumerate(fields) if f.kind == "decimal"]
    return [[f"{Decimal(v):.2f}" if i in decimal and v else v for i, v in enumerate(row)] for row in rows]


def unquote_csv(rows: list[list[str]]) -> list[list[str]]:
    """CSV's formula guard (a leading ') taken off, to compare with the other formats."""
    return [[v[1:] if v.startswith("'") else v for v in row] for row in rows]


def export(fmt: str, fields: Sequence[Any], rows: Iterable[Sequence[object]]) -> bytes:
    return table_bytes(fmt, "test", fields, rows, lambda m: m, {"department": "dept-a"})


READERS = {"xlsx": read_xlsx, "csv": read_csv, "json": read_json}


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_the_case_export_holds_the_rows_computed_from_the_raw_cases(
    db: Session, listed: Cast, fmt: str
) -> None:
    load_cases(db, listed)
    rows = case_export.case_rows(db, dept_a(listed), "dept-a", *MARCH, SHANGHAI, OFFICIAL)
    headers, found = READERS[fmt](export(fmt, case_export.FIELDS, rows))
    expected = expected_case_rows(db, dept_a(listed), "dept-a", *MARCH)
    assert amounts(unquote_csv(found), case_export.FIELDS) == expected
    assert [r[0] for r in expected] == ["C-5", "C-1", "C-2", '=HYPERLINK("x")', "OFF-1"]
    if fmt == "json":
        assert headers == [f.name for f in case_export.FIELDS]
    else:
        assert headers == [f.label for f in case_export.FIELDS]


def test_the_case_rows_say_what_happened_to_each_case(db: Session, listed: Cast) -> None:
    load_cases(db, listed)
    rows = {
        r[0]: dict(zip([f.name for f in case_export.FIELDS], r, strict=True))
        for r in case_export.case_rows(db, dept_a(listed), "dept-a", *MARCH, SHANGHAI, OFFICIAL)
    }
    c1, c2, open_case, off = rows["C-1"], rows["C-2"], rows['=HYPERLINK("x")'], rows["OFF-1"]
    # Accepted Tue 3 Mar, decided Tue 10 Mar: 5 working days; the fee as reported.
    assert (c1["promised_on_time"], c1["statutory_on_time"], c1["workdays_used"]) == (True, True, 5)
    assert c1["fee_charged"] == Decimal("12.50") and c1["power_name"] == "食品经营许可"
    assert c1["decided_at"] == datetime(2026, 3, 10, 16, 30, tzinfo=SHANGHAI)
    assert (c2["promised_on_time"], c2["statutory_on_time"], c2["outcome"]) == (False, False, "rejected")
    assert open_case["promised_on_time"] is None and open_case["workdays_used"] is None
    assert (off["on_list"], off["power_name"], off["status"], off["statutory_due_at"]) == (
        False,
        None,
        "withdrawn",
        None,
    )
    # A deadline ends at the last second of its day, not rounded to the next midnight.
    assert c1["promised_due_at"] == datetime(2026, 3, 17, 23, 59, 59, tzinfo=SHANGHAI)
    assert rows["C-5"]["statutory_on_time"] is None  # decided, but XK-2 has no limit


def violations(db: Session, cast: Cast) -> None:
    """Flags on department A's cases: one confirmed, one closed after rectification, one dismissed,
    one still open; the reasons name the applicant."""
    load_cases(db, cast)
    thresholds = load_thresholds(db)
    supervisor = db.get(User, cast.supervisor.id)
    operator = db.get(User, cast.op_a.id)
    assert supervisor and operator
    cases = {c.ref: c for c in db.exec(select(Case))}
    detected = datetime(2026, 3, 18, 2, 0, tzinfo=SHANGHAI)

    def flag(ref: str, kind: str, level: Level, when: datetime = detected) -> Flag:
        f = Flag(
            case_id=cases[ref].id,  # type: ignore[arg-type]
            department_id=cases[ref].department_id,
            kind=kind,
            level=level,
            since=when - timedelta(hours=2),
            detected_at=when,
            params={},
            evidence=[],
        )
        db.add(f)
        db.flush()
        return f

    confirmed = flag("C-2", "promise_overdue", Level.yellow)
    closed = flag('=HYPERLINK("x")', "off_list_power", Level.red)
    dismissed = flag("C-1", "step_overdue", Level.yellow)
    flag("OFF-1", "off_list_power", Level.red)
    flag("C-1", "promise_overdue", Level.yellow, datetime(2026, 4, 2, 9, 0, tzinfo=SHANGHAI))  # April
    db.commit()

    def do(f: Flag, action: str, user: User, when: datetime) -> None:
        text = f"{NAME} {PHONE} 说明"
        act(db, f, action, user, text, now=when, cal=OFFICIAL, tz=SHANGHAI, thresholds=thresholds)
        db.commit()

    do(confirmed, "confirm", supervisor, datetime(2026, 3, 19, 10, 0, tzinfo=SHANGHAI))
    do(closed, "confirm", supervisor, datetime(2026, 3, 19, 10, 0, tzinfo=SHANGHAI))
    do(closed, "report_rectification", operator, datetime(2026, 3, 20, 10, 0, tzinfo=SHANGHAI))
    do(closed, "accept_rectification", supervisor, datetime(2026, 3, 23, 15, 0, tzinfo=SHANGHAI))
    do(dismissed, "dismiss", supervisor, datetime(2026, 3, 19, 10, 0, tzinfo=SHANGHAI))


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_the_violations_export_holds_only_confirmed_violations_of_the_month(
    db: Session, cast: Cast, listed: Cast, fmt: str
) -> None:
    violations(db, cast)
    f = FlagFilter(detected_from=MARCH[0], detected_to=MARCH[1], sort="detected", tz=SHANGHAI)
    content = export(fmt, flag_export.FIELDS, flag_export.violation_rows(db, f, SHANGHAI))
    _headers, rows = READERS[fmt](content)
    rows = unquote_csv(rows) if fmt == "csv" else rows
    by_case = {r[1]: r for r in rows}
    assert sorted(by_case) == ['=HYPERLINK("x")', "C-2"]
    names = [f.name for f in flag_export.FIELDS]
    confirmed = dict(zip(names, by_case["C-2"], strict=True))
    closed = dict(zip(names, by_case['=HYPERLINK("x")'], strict=True))
    assert (confirmed["status"], confirmed["kind"], confirmed["level"], confirmed["closed_at"]) == (
        "confirmed",
        "promise_overdue",
        "yellow",
        "",
    )
    # Confirmed Thu 19 Mar: the rectification is due within the default working days.
    rectify_by = db.exec(select(Flag).where(Flag.kind == "promise_overdue", Flag.status == "confirmed")).one()
    assert confirmed["rectify_by"] == _text(rectify_by.due_at.astimezone(SHANGHAI).replace(tzinfo=None))  # type: ignore[union-attr]
    assert closed["status"] == "closed" and closed["closed_at"] == "2026-03-23 15:00:00"
    assert closed["rectify_by"] == confirmed["rectify_by"]
    assert confirmed["detected_at"] == "2026-03-18 02:00:00" and confirmed["department"] == "dept-a"


def test_the_flags_export_keeps_the_queues_order_and_narrows_by_status_and_kind(
    db: Session, cast: Cast, listed: Cast
) -> None:
    violations(db, cast)
    every = list(flag_export.flag_rows(db, FlagFilter(sort="detected", tz=SHANGHAI), SHANGHAI))
    # Oldest detected first; the four of 18 March in the order they were raised, then April's.
    assert [(r[1], r[8]) for r in every] == [
        ("C-2", "confirmed"),
        ('=HYPERLINK("x")', "closed"),
        ("C-1", "dismissed"),
        ("OFF-1", "open"),
        ("C-1", "open"),
    ]
    dismissed = list(flag_export.flag_rows(db, FlagFilter(status="dismissed", tz=SHANGHAI), SHANGHAI))
    assert [(r[1], r[8], r[10]) for r in dismissed] == [("C-1", "dismissed", None)]
    red = list(flag_export.flag_rows(db, FlagFilter(kind="off_list_power", tz=SHANGHAI), SHANGHAI))
    assert sorted(r[1] for r in red) == ['=HYPERLINK("x")', "OFF-1"]


def test_no_export_carries_the_applicant_or_any_free_text(
    db: Session, cast: Cast, listed: Cast, anon: TestClient[Litestar]
) -> None:
    violations(db, cast)
    contents = []
    for fmt in ("xlsx", "csv", "json"):
        rows = case_export.case_rows(
            db, dept_a(listed), "dept-a", date(2026, 1, 1), date(2026, 12, 31), SHANGHAI, OFFICIAL
        )
        contents.append(export(fmt, case_export.FIELDS, rows))
        f = FlagFilter(tz=SHANGHAI)
        contents.append(export(fmt, flag_export.FIELDS, flag_export.flag_rows(db, f, SHANGHAI)))
        for path in (f"/open-data/cases/dept-a/2026-03.{fmt}", f"/open-data/violations/2026-03.{fmt}"):
            response = anon.get(path)
            assert response.status_code == 200, response.text
            contents.append(response.content)
    for content in contents:
        text = _all_text(content)
        assert NAME not in text and PHONE not in text and "110101199003071234" not in text
        assert "材料不全" not in text and "说明" not in text


def _all_text(content: bytes) -> str:
    """Every string a file holds, whatever its format (an xlsx keeps its text zipped)."""
    if content[:2] == b"PK":
        sheet = load_workbook(io.BytesIO(content)).active
        return "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row)
    return content.decode("utf-8")


def test_text_that_looks_like_a_formula_is_written_as_text(db: Session, listed: Cast) -> None:
    load_cases(db, listed)
    rows = list(case_export.case_rows(db, dept_a(listed), "dept-a", *MARCH, SHANGHAI, OFFICIAL))
    sheet = load_workbook(io.BytesIO(export("xlsx", case_export.FIELDS, rows))).active
    cells = {cell.value: cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)}
    assert cells['=HYPERLINK("x")'].data_type == "s" and cells["=1+1"].data_type == "s"
    text = export("csv", case_export.FIELDS, rows).decode("utf-8")
    assert "'=1+1" in text and '"\'=HYPERLINK(""x"")"' in text


def test_the_format_follows_the_file_suffix_and_defaults_to_xlsx() -> None:
    assert [infer_format(p) for p in ("a.csv", "a.JSON", "a.xlsx", "a", "a.txt")] == [
        "csv",
        "json",
        "xlsx",
        "xlsx",
        "xlsx",
    ]


# /open-data


def test_the_open_data_page_lists_every_download_with_its_fields(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    load_cases(db, listed)
    page = anon.get("/open-data?month=2026-03", headers={"accept-language": "en"})
    assert page.status_code == 200
    for text in (
        "/open-data/cases/dept-a/2026-03.xlsx",
        "/open-data/violations/2026-03.csv",
        "/departments/dept-b/powerlist.json",
        "/api/v1/powers",
        "Deadlines provisional",
        "fee_charged",
    ):
        assert text in page.text, text
    assert page.headers["cache-control"] == "public, max-age=300"
    assert "Bureau A" in page.text
    data = anon.get("/open-data.json?month=2026-03").json()
    assert data == anon.get("/open-data?month=2026-03&format=json").json()
    assert data["month"] == "2026-03" and data["departments"] == ["dept-a", "dept-b"]
    assert [d["name"] for d in data["downloads"]] == ["cases", "violations", "scorecards", "powerlist"]
    cases_fields = data["downloads"][0]["fields"]
    assert [f["name"] for f in cases_fields] == [f.name for f in case_export.FIELDS]
    assert all(f["description"] for f in cases_fields)
    assert "/api/v1/token" not in [e["path"] for e in data["api"]]  # needs a token: not public
    assert "2026-02" in data["months"] and "2025-12" not in data["months"]  # from the first case on


def test_a_signed_in_users_open_data_page_is_not_kept_by_shared_caches(
    as_supervisor: TestClient[Litestar],
) -> None:
    page = as_supervisor.get("/open-data")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-cache"


def test_the_open_data_page_speaks_chinese_by_default(anon: TestClient[Litestar], listed: Cast) -> None:
    page = anon.get("/open-data", headers={"accept-language": "zh-CN"})
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text


def test_a_settled_month_is_published_once_and_served_with_its_proof(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    load_cases(db, listed)
    first = anon.get("/open-data/cases/dept-a/2026-03.xlsx", headers={"accept-language": "en"})
    assert first.status_code == 200 and first.headers["cache-control"] == "public, max-age=86400"
    assert "x-provisional" not in first.headers and first.headers["x-audit-entry"]
    assert 'filename="cases-dept-a-2026-03.xlsx"' in first.headers["content-disposition"]
    # A case reported late for March does not change what was published.
    send(db, listed.dept_a.id, ev("LATE", "received", "2026-03-30T09:00:00", power="XK-1"))
    again = anon.get("/open-data/cases/dept-a/2026-03.xlsx", headers={"accept-language": "en"})
    assert again.content == first.content and again.headers["x-audit-entry"] == first.headers["x-audit-entry"]
    assert "proof.json" in again.headers["link"] and again.headers["last-modified"].endswith(" GMT")
    db.commit()
    db.expire_all()
    names = db.exec(select(PublishedExport.name)).all()
    assert names == ["open-data/cases/dept-a/2026-03/en.xlsx"]
    _h, rows = read_xlsx(first.content)
    assert [r[0] for r in rows] == ["C-5", "C-1", "C-2", '=HYPERLINK("x")', "OFF-1"]
    json_file = anon.get("/open-data/violations/2026-03.json")
    assert json_file.status_code == 200 and json_file.json()["provisional"] is False


def test_the_current_month_is_made_on_each_request_and_marked_provisional_until_settled(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    load_cases(db, listed)
    now = datetime.now(SHANGHAI)
    month = now.strftime("%Y-%m")
    send(
        db,
        listed.dept_a.id,
        ev("NOW-1", "received", now.replace(tzinfo=None).isoformat(), power="XK-1"),
        now=now,
    )
    response = anon.get(f"/open-data/cases/dept-a/{month}.csv")
    assert response.status_code == 200
    assert response.headers["x-provisional"] == "the month is not settled yet"
    assert response.headers["cache-control"] == "public, max-age=300"
    assert "x-audit-entry" not in response.headers and "NOW-1" in response.text
    db.commit()
    assert db.exec(select(PublishedExport)).all() == []
    assert f"{month}" in anon.get("/open-data", headers={"accept-language": "en"}).text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/open-data/cases/dept-a/2099-01.xlsx", 404),  # the future
        ("/open-data/cases/dept-a/2020-01.xlsx", 404),  # before any data
        ("/open-data/cases/nobody/2026-03.xlsx", 404),
        ("/open-data/cases/dept-a/2026-13.xlsx", 400),
        ("/open-data/cases/dept-a/March.xlsx", 400),
        ("/open-data/cases/dept-a/2026-03.pdf", 400),
        ("/open-data/violations/2099-01.json", 404),
        ("/open-data/violations/26-3.json", 400),
        ("/open-data?month=2026-3", 400),
    ],
)
def test_a_bad_month_is_refused_and_a_month_without_data_is_not_found(
    db: Session, listed: Cast, anon: TestClient[Litestar], path: str, status: int
) -> None:
    load_cases(db, listed)
    assert anon.get(path).status_code == status
    db.commit()
    assert db.exec(select(PublishedExport)).all() == []


# The CLI


@pytest.fixture
def with_cases(migrated: Tracker, tmp_path: Path) -> Tracker:
    migrated.ok("departments", "add", "scjg", "--name", "市场监管局")
    events = tmp_path / "events.jsonl"
    lines = [
        ev("C-1", "received", "2026-03-02T09:00:00", power="=XK-1", applicant={"name": NAME}),
        ev("C-1", "decided", "2026-03-04T09:00:00", outcome="approved", reason=PHONE),
        ev("C-2", "received", "2026-03-31T09:00:00", power="XK-2"),
        ev("C-3", "received", "2026-04-01T09:00:00", power="XK-2"),
    ]
    events.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in lines) + "\n", encoding="utf-8")
    migrated.ok("cases", "import", str(events), "--department", "scjg")
    return migrated


def test_the_cli_exports_a_departments_cases_in_each_format(with_cases: Tracker, tmp_path: Path) -> None:
    base = ["export", "cases", "--department", "scjg", "--from", "2026-03-01", "--to", "2026-03-31"]
    for fmt in ("xlsx", "csv", "json"):
        out = tmp_path / f"march.{fmt}"
        result = with_cases(*base, "--output", str(out))  # the format from the suffix
        assert result.returncode == 0, result.stderr
        assert "wrote 2 rows" in result.stderr
        _headers, rows = READERS[fmt](out.read_bytes())
        assert [r[0] for r in rows] == ["C-1", "C-2"]
        assert NAME not in _all_text(out.read_bytes()) and PHONE not in _all_text(out.read_bytes())
    stdout = with_cases(*base, "--output", "-", "--format", "json")
    assert [r[0] for r in json.loads(stdout.stdout)["rows"]] == ["C-1", "C-2"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".export-")) == []


def test_the_cli_exports_flags(with_cases: Tracker, tmp_path: Path) -> None:
    out = tmp_path / "flags.csv"
    with_cases.ok("export", "flags", "--status", "open", "--output", str(out))
    headers, rows = read_csv(out.read_bytes())
    assert headers[0] == "Department" and rows == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--department", "nope"], "--department: no department has the code 'nope'"),
        (["--from", "2026-02-30"], "--from: '2026-02-30' is not a date (YYYY-MM-DD)"),
        (["--from", "2026-04-01"], "--from: 2026-04-01 is after --to (2026-03-31)"),
        (["--from", "0001-01-01"], "--from: 0001-01-01 is not between 1970 and 2199"),  # was a traceback
        (["--format", "pdf"], "--format: 'pdf' is not one of xlsx, csv, json"),
    ],
)
def test_a_cli_mistake_is_one_line_naming_the_option_and_leaves_no_file(
    with_cases: Tracker, tmp_path: Path, args: list[str], message: str
) -> None:
    options = {"--department": "scjg", "--from": "2026-03-01", "--to": "2026-03-31"}
    for name, value in zip(args[::2], args[1::2], strict=True):
        options[name] = value
    out = tmp_path / "out.xlsx"
    flat = [x for pair in options.items() for x in pair]
    line = one_line_error(with_cases("export", "cases", *flat, "--output", str(out)))
    assert line == f"error: {message}"
    assert not out.exists() and not list(tmp_path.glob(".export-*"))


def test_an_unwritable_output_is_refused_before_anything_is_written(
    with_cases: Tracker, tmp_path: Path
) -> None:
    out = tmp_path / "missing" / "out.xlsx"
    line = one_line_error(
        with_cases(
            "export",
            "cases",
            "--department",
            "scjg",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "--output",
            str(out),
        )
    )
    assert line.startswith("error: --output: cannot write") and str(out) in line
    status = one_line_error(
        with_cases("export", "flags", "--status", "nope", "--output", str(tmp_path / "f.csv"))
    )
    assert status.startswith("error: --status: 'nope' is not one of open,")


# LibreOffice


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_the_same_numbers_from_the_workbook(
    db: Session, listed: Cast, tmp_path: Path
) -> None:
    load_cases(db, listed)
    rows = list(case_export.case_rows(db, dept_a(listed), "dept-a", *MARCH, SHANGHAI, OFFICIAL))
    workbook = tmp_path / "cases.xlsx"
    workbook.write_bytes(export("xlsx", case_export.FIELDS, rows))
    outdir = tmp_path / "converted"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false",
            "--outdir",
            str(outdir),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=170,
    )
    text = (outdir / "cases.csv").read_text(encoding="utf-8-sig")
    converted = list(csv.reader(io.StringIO(text)))[1:]
    names = [f.name for f in case_export.FIELDS]
    assert len(converted) == len(rows)
    for ours, theirs in zip(rows, converted, strict=True):
        mine = dict(zip(names, ours, strict=True))
        got = dict(zip(names, theirs, strict=True))
        assert got["case"] == mine["case"] and got["power_code"] == mine["power_code"]
        assert got["workdays_used"] == ("" if mine["workdays_used"] is None else str(mine["workdays_used"]))
        assert Decimal(got["fee_charged"] or "0") == mine["fee_charged"]
        for name in ("received_at", "decided_at", "promised_due_at", "statutory_due_at"):
            expected = mine[name].strftime("%Y-%m-%d %H:%M:%S") if mine[name] else ""
            assert got[name] == expected, (name, got[name], expected)
        for name in ("on_list", "deadlines_provisional", "promised_on_time", "statutory_on_time"):
            expected = "" if mine[name] is None else str(mine[name]).upper()
            assert got[name].upper() == expected, (name, got[name], expected)


def test_a_month_is_published_for_good_only_thirty_days_after_it_ends() -> None:
    from tracker.web.open_data import settled_before

    # On 27 November, October ended 27 days ago: still provisional; on 1 December it is settled.
    assert settled_before(date(2026, 11, 27)) == "2026-10"
    assert settled_before(date(2026, 12, 1)) == "2026-11"
