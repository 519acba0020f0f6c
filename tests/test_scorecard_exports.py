"""The scorecard exports hold the pages' figures, in xlsx (with its chart), CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from tests.conftest import Cast, Tracker, one_line_error
from tests.test_scorecards import NOW, SHANGHAI, load
from tracker.calendar import OFFICIAL
from tracker.exports.scorecards import RANKING, scorecards_bytes
from tracker.scorecards.models import Scorecard
from tracker.scorecards.periods import parse_period
from tracker.scorecards.refresh import refresh


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
