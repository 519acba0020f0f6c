"""Loading next year's notice and local days off; the calculator page and command."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import Workbook
from sqlmodel import Session

from powerlists.columns import utcnow
from tests.conftest import Cast, Tracker, csrf_from, one_line_error
from tracker.calendar import OFFICIAL
from tracker.calendar_store import CalendarFileError, load_calendar, read_calendar_file, store

ICS = """BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
DTSTART;VALUE=DATE:20270101
DTEND;VALUE=DATE:20270104
SUMMARY:元旦
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20270206
DTEND;VALUE=DATE:20270207
SUMMARY:春节 补班
END:VEVENT
END:VCALENDAR
"""


def test_an_ics_notice_is_read_day_by_day(tmp_path: Path) -> None:
    path = tmp_path / "2027.ics"
    path.write_text(ICS, encoding="utf-8")
    entries = read_calendar_file(path)
    assert [(e.day, e.working) for e in entries] == [
        (date(2027, 1, 1), False),
        (date(2027, 1, 2), False),
        (date(2027, 1, 3), False),
        (date(2027, 2, 6), True),
    ]


def test_two_column_csv_and_xlsx_files_are_read(tmp_path: Path) -> None:
    csv_path = tmp_path / "2027.csv"
    csv_path.write_text("date,kind\n2027-01-01,holiday\n2027/02/06,workday\n", encoding="utf-8")
    assert [(e.day, e.working) for e in read_calendar_file(csv_path)] == [
        (date(2027, 1, 1), False),
        (date(2027, 2, 6), True),
    ]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["日期", "类型"])
    ws.append([date(2027, 10, 1), "休"])
    ws.append(["2027-09-26", "班"])
    wb.save(tmp_path / "2027.xlsx")
    assert [(e.day, e.working) for e in read_calendar_file(tmp_path / "2027.xlsx")] == [
        (date(2027, 10, 1), False),
        (date(2027, 9, 26), True),
    ]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("2027-01-01,maybe\n", "'maybe'"),
        ("1 Jan 2027,holiday\n", "'1 Jan 2027'"),
        ("2027-01-01\n", "two columns"),
        ("0001-01-01,holiday\n", "0001-01-01 is not between 1970 and 2199"),
    ],
)
def test_a_bad_calendar_row_is_named_in_the_error(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("date,kind\n" + content, encoding="utf-8")
    with pytest.raises(CalendarFileError) as raised:
        read_calendar_file(path)
    assert "bad.csv row 2" in str(raised.value) and fragment in str(raised.value)


def test_an_ics_event_spanning_years_is_refused_before_it_is_walked_day_by_day(tmp_path: Path) -> None:
    # Walked, 1970–2199 would have been 84,000 rows from one event.
    path = tmp_path / "huge.ics"
    path.write_text(ICS.replace("DTEND;VALUE=DATE:20270104", "DTEND;VALUE=DATE:21991231"), encoding="utf-8")
    with pytest.raises(CalendarFileError, match="from 2027-01-01 to 2199-12-31 is longer than 31 days"):
        read_calendar_file(path)


def test_a_loaded_notice_covers_its_year_and_overrides_the_weekday_guess(tmp_path: Path, db: Session) -> None:
    assert OFFICIAL.day(date(2027, 1, 1)).covered is False
    path = tmp_path / "2027.ics"
    path.write_text(ICS, encoding="utf-8")
    years = store(
        db, read_calendar_file(path), source="notice", source_name="2027.ics", now=utcnow(), by=None
    )
    db.commit()
    assert years == {2027}
    cal = load_calendar(db)
    assert cal.day(date(2027, 1, 1)).working is False and cal.day(date(2027, 1, 1)).covered
    assert cal.day(date(2027, 2, 6)).working  # a make-up Saturday
    assert cal.day(date(2027, 3, 6)).working is False  # an ordinary Saturday
    assert cal.day(date(2027, 3, 8)).covered


def test_local_days_off_do_not_make_a_year_covered(db: Session) -> None:
    from tracker.calendar_store import Entry

    store(
        db,
        [Entry(date(2028, 5, 5), False, "本地停工")],
        source="local",
        source_name="",
        now=utcnow(),
        by=None,
    )
    cal = load_calendar(db)
    assert cal.day(date(2028, 5, 5)).working is False
    assert not cal.day(date(2028, 5, 8)).covered


def test_the_calculator_page_lists_the_days_it_skipped(anon: TestClient[Litestar], cast: Cast) -> None:
    html = anon.get("/calculator?start=2026-09-30&value=1&unit=workday").text
    assert "Due by the end of 2026-10-08" in html
    assert html.count("<td>holiday</td>") == 7
    assert "Provisional" not in html
    later = anon.get("/calculator?start=2026-12-30&value=5&unit=workday").text
    assert "Provisional" in later
    assert "Write the date as YYYY-MM-DD." in anon.get("/calculator?start=yesterday").text


def test_the_calculators_json_twin_gives_the_same_deadline_and_names_a_bad_date(
    anon: TestClient[Litestar], cast: Cast
) -> None:
    data = anon.get("/calculator?start=2026-09-30&value=1&unit=workday&format=json").json()
    assert (data["due"], data["provisional"], data["value"], data["unit"]) == (
        "2026-10-08",
        False,
        1,
        "workday",
    )
    assert [s["why"] for s in data["skipped"]].count("holiday") == 7
    bad = anon.get("/calculator?start=yesterday&format=json")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["detail"]
    assert anon.get("/calculator?format=json").status_code == 400


def test_an_admin_loads_a_notice_on_the_calendar_page(
    as_admin: TestClient[Litestar], anon: TestClient[Litestar], tmp_path: Path
) -> None:
    page = as_admin.get("/admin/calendar/")
    response = as_admin.post(
        "/admin/calendar/load",
        data={"csrf_token": csrf_from(page.text)},
        files={"file": ("2027.ics", ICS.encode(), "text/calendar")},
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert "2027.ics" in as_admin.get("/admin/calendar/").text
    assert "Provisional" not in anon.get("/calculator?start=2026-12-31&value=1&unit=workday").text
    assert (
        "Due by the end of 2027-01-04" in anon.get("/calculator?start=2026-12-31&value=1&unit=workday").text
    )


def test_only_admins_reach_the_calendar_page(
    as_op_a: TestClient[Litestar], as_supervisor: TestClient[Litestar]
) -> None:
    assert as_op_a.get("/admin/calendar/").status_code == 403
    assert as_supervisor.get("/admin/calendar/").status_code == 403


def test_calendar_due_prints_the_rules_json(migrated: Tracker) -> None:
    out = json.loads(
        migrated.ok("calendar", "due", "2026-09-30", "1", "--unit", "workday", "--format", "json")
    )
    assert out["due"] == "2026-10-08" and out["provisional"] is False
    assert out["start"].startswith("2026-09-30T00:00:00")
    assert out["skipped"] == [{"date": f"2026-10-0{d}", "why": "holiday"} for d in range(1, 8)]
    hours = json.loads(
        migrated.ok("calendar", "due", "2026-03-06T16:30", "24", "--unit", "hour", "--format", "json")
    )
    assert hours["due"].startswith("2026-03-07T16:30:00")


def test_calendar_load_then_due_is_no_longer_provisional(migrated: Tracker, tmp_path: Path) -> None:
    before = json.loads(
        migrated.ok("calendar", "due", "2026-12-31", "1", "--unit", "workday", "--format", "json")
    )
    assert before["provisional"] is True and before["due"] == "2027-01-01"
    path = tmp_path / "2027.ics"
    path.write_text(ICS, encoding="utf-8")
    assert "Loaded 4 days for 2027." in migrated.ok("calendar", "load", str(path))
    after = json.loads(
        migrated.ok("calendar", "due", "2026-12-31", "1", "--unit", "workday", "--format", "json")
    )
    assert after["provisional"] is False and after["due"] == "2027-01-04"
    bad = tmp_path / "bad.txt"
    bad.write_text("x", encoding="utf-8")
    assert "use an .ics, .xlsx or .csv file" in one_line_error(migrated("calendar", "load", str(bad)))


def test_calendar_due_past_the_year_9999_is_a_one_line_error(migrated: Tracker) -> None:
    result = migrated("calendar", "due", "9999-12-31", "9999", "--unit", "workday")
    assert result.returncode == 1
    assert one_line_error(result) == "error: The deadline would fall after the year 9999."
