"""The scorecard exports hold the pages' figures, in xlsx (with its chart), CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import delete
from sqlmodel import Session, select

from tests.conftest import Cast, Tracker, one_line_error
from tests.test_scorecards import NOW, SHANGHAI, load
from tracker.audit.models import PublishedExport
from tracker.calendar import OFFICIAL
from tracker.exports.scorecards import RANKING, scorecards_bytes
from tracker.scorecards.models import Scorecard
from tracker.scorecards.periods import parse_period
from tracker.scorecards.refresh import refresh
from tracker.web.open_data import settled_periods


def english(message: str) -> str:
    return message


@pytest.fixture
def exported(db: Session, listed: Cast) -> Scorecard:
    load(db, listed)
    refresh(db, NOW, OFFICIAL, SHANGHAI)
    db.commit()
    row = db.get(Scorecard, (listed.dept_a.id, "", "2026-Q1"))
    assert row is not None
    return row


def test_the_workbook_has_the_ranking_with_formats_and_a_native_chart_and_the_months(
    db: Session, exported: Scorecard, tmp_path: Path
) -> None:
    body = scorecards_bytes(db, parse_period("2026-Q1", NOW.date()), "xlsx", True, english)
    path = tmp_path / "scorecards.xlsx"
    path.write_bytes(body)
    wb = load_workbook(path)
    ranking, months = wb.worksheets
    headers = [c.value for c in ranking[1]]
    assert headers == [f.label for f in RANKING]
    row = {h: c for h, c in zip(headers, ranking[2], strict=True)}
    figures = exported.figures
    assert row["Decided"].value == figures["counts"]["decided"]
    assert row["On time (promised)"].value == pytest.approx(figures["on_time_promised"]["rate"])
    assert row["On time (promised)"].number_format == "0.0%"
    assert row["Rank"].value is None  # 5 decided: too few to rank
    assert ranking.freeze_panes == "A2" and ranking.auto_filter.ref.startswith("A1:")
    assert len(ranking._charts) == 1
    assert [c.value for c in months[1]][:2] == ["Department code", "Month"]
    assert {r[1].value for r in months.iter_rows(min_row=2)} == {"2026-03"}  # the only month with cases


def test_csv_and_json_hold_the_same_ranking(db: Session, listed: Cast, exported: Scorecard) -> None:
    period = parse_period("2026-Q1", NOW.date())
    text = scorecards_bytes(db, period, "csv", True, english).decode("utf-8-sig")
    [header, row] = list(csv.reader(io.StringIO(text)))
    assert row[header.index("Decided")] == str(exported.figures["counts"]["decided"])
    data = json.loads(scorecards_bytes(db, period, "json", True, english))
    assert (
        data["period"] == "2026-Q1"
        and data["rows"][0][data["fields"].index({"name": "decided", "type": "integer"})] == 5
    )
    assert (
        data["monthly"]["rows"][0][:2] == ["dept-a", "2026-03"] or data["monthly"]["rows"][0][1] == "2026-03"
    )


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_the_same_numbers(db: Session, exported: Scorecard, tmp_path: Path) -> None:
    path = tmp_path / "scorecards.xlsx"
    path.write_bytes(scorecards_bytes(db, parse_period("2026-Q1", NOW.date()), "xlsx", True, english))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "csv", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    [header, row] = list(csv.reader((tmp_path / "scorecards.csv").open(encoding="utf-8")))
    assert row[header.index("Decided")] == str(exported.figures["counts"]["decided"])


def test_tracker_export_scorecards_writes_the_workbook_and_names_a_bad_period(
    migrated: Tracker, tmp_path: Path
) -> None:
    migrated.ok("scorecards", "refresh", "--month", "2026-03")
    out = tmp_path / "cards.xlsx"
    result = migrated("export", "scorecards", "--period", "2026-Q1", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert load_workbook(out).sheetnames == ["Ranking", "By month"]
    data = json.loads(
        migrated.ok("export", "scorecards", "--period", "R12", "--output", "-", "--format", "json")
    )
    assert data["period"] == "R12" and data["rows"] == []
    error = one_line_error(
        migrated("export", "scorecards", "--period", "Q5", "--output", str(tmp_path / "x.csv"))
    )
    assert "--period" in error and "Q5" in error and not (tmp_path / "x.csv").exists()


# The same files on /open-data


def test_a_settled_quarters_scorecards_are_published_once_with_their_proof(
    db: Session, exported: Scorecard, anon: TestClient[Litestar]
) -> None:
    first = anon.get("/open-data/scorecards/2026-Q1.csv", headers={"accept-language": "en"})
    assert (
        first.status_code == 200 and first.headers["x-audit-entry"] and "x-provisional" not in first.headers
    )
    assert 'filename="scorecards-2026-Q1.csv"' in first.headers["content-disposition"]
    [header, row] = list(csv.reader(io.StringIO(first.content.decode("utf-8-sig"))))
    assert row[header.index("Decided")] == str(exported.figures["counts"]["decided"])
    db.commit()  # a new snapshot: the request has written since
    db.exec(delete(Scorecard))  # type: ignore[call-overload]  # a later refresh changes nothing published
    db.commit()
    again = anon.get("/open-data/scorecards/2026-Q1.csv", headers={"accept-language": "en"})
    assert again.content == first.content
    db.expire_all()
    assert db.exec(select(PublishedExport.name)).all() == ["open-data/scorecards/2026-Q1/en.csv"]


def test_the_last_twelve_months_and_an_unfinished_year_are_provisional(
    db: Session, exported: Scorecard, anon: TestClient[Litestar]
) -> None:
    this_year = str(date.today().year)
    for period in ("R12", this_year):
        response = anon.get(f"/open-data/scorecards/{period}.json")
        assert response.status_code == 200 and response.headers["x-provisional"], period
        assert response.json()["period"] == period
    db.commit()
    assert db.exec(select(PublishedExport)).all() == []
    page = anon.get("/open-data", headers={"accept-language": "en"}).text
    assert "/open-data/scorecards/R12.xlsx" in page and "/open-data/scorecards/2026-Q1.csv" in page
    assert f"/open-data/scorecards/{this_year}.xlsx" not in page  # not settled: not offered for good
    data = anon.get("/open-data.json").json()
    assert data["scorecard_periods"][0] == "R12" and "2026-Q1" in data["scorecard_periods"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/open-data/scorecards/2026-Q5.xlsx", 400),
        ("/open-data/scorecards/2026-Q1.pdf", 400),
        ("/open-data/scorecards/Q1.csv", 400),
        ("/open-data/scorecards/2099.xlsx", 404),  # the future
        ("/open-data/scorecards/2025-Q4.json", 404),  # before the first case (March 2026)
    ],
)
def test_a_bad_scorecard_period_is_refused_and_one_without_data_is_not_found(
    db: Session, exported: Scorecard, anon: TestClient[Litestar], path: str, status: int
) -> None:
    response = anon.get(path, headers={"accept-language": "en"})
    assert response.status_code == status
    if status == 400:
        assert path.rsplit("/", 1)[1] in response.text
    db.commit()
    assert db.exec(select(PublishedExport)).all() == []


def test_quarters_and_years_are_offered_for_good_once_their_last_month_is_settled() -> None:
    def offered(months: list[str], on: date) -> list[str]:
        return [p.key for p in settled_periods(months, on)]

    assert offered(["2026-05", "2026-04", "2026-03"], date(2026, 5, 6)) == ["2026-Q1"]
    months = ["2027-02", "2027-01", "2026-12", "2026-11", "2026-10", "2026-09"]
    # On 2027-02-15 January is not settled yet (30 days after it ends): 2027-Q1 is not offered.
    assert offered(months, date(2027, 2, 15)) == ["2026", "2026-Q4", "2026-Q3"]
