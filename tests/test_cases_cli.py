"""`tracker cases import`: back-filling case events from JSON Lines, CSV and xlsx files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.builders import build, item_row
from tests.conftest import Tracker, one_line_error
from tracker.cases.models import Case, CaseEvent, CaseStep


@pytest.fixture
def listed(migrated: Tracker, tmp_path: Path) -> Tracker:
    """Department scjg with a list in force since 2026-01-01: XK-1 with three steps."""
    migrated.ok("departments", "add", "scjg", "--name", "市场监管局")
    power_list = build(
        tmp_path / "list.xlsx",
        rows=[item_row("XK-1", "食品经营许可")],
        steps=[
            ["XK-1", 1, "受理", "1个工作日", "窗口"],
            ["XK-1", 2, "审查", "3个工作日", "科室"],
            ["XK-1", 3, "决定", "2个工作日", "科长"],
        ],
    )
    migrated.ok("powerlist", "import", str(power_list), "--department", "scjg", "--effective", "2026-01-01")
    return migrated


def cases_in(engine: Engine) -> dict[str, Case]:
    with Session(engine) as db:
        return {case.ref: case for case in db.exec(select(Case))}


def write_jsonl(path: Path, *lines: dict[str, Any] | str) -> Path:
    texts = [line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines]
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    return path


def import_json(tracker: Tracker, path: Path, department: str = "scjg") -> tuple[int, dict[str, Any]]:
    result = tracker("cases", "import", str(path), "--department", department, "--format", "json")
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


RECEIVED_1 = {
    "case": "C-1",
    "type": "received",
    "at": "2026-03-02T09:00:00",
    "power": "XK-1",
    "id": "r-1",
    "applicant": {"name": "张三"},
}
STARTED_1 = {"case": "C-1", "type": "step_started", "step": 1, "at": "2026-03-02T09:10:00", "id": "s-1"}
COMPLETED_1 = {
    "case": "C-1",
    "type": "step_completed",
    "step": 1,
    "at": "2026-03-02T10:00:00+08:00",  # an offset of its own
    "id": "s-2",
}
RECEIVED_2 = {"case": "C-2", "type": "received", "at": "2026-03-03T09:00:00", "power": "XK-1", "id": "r-2"}


def test_events_from_a_json_lines_file_are_stored_and_counted(
    listed: Tracker, cli_db: Engine, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", RECEIVED_1, STARTED_1, "", COMPLETED_1, RECEIVED_2)
    code, report = import_json(listed, path)
    assert code == 0
    assert report == {
        "ok": True,
        "department": "scjg",
        "rows": 4,  # the blank line is no row
        "stored": 4,
        "duplicates": 0,
        "rejected": 0,
        "errors": [],
    }
    cases = cases_in(cli_db)
    assert sorted(cases) == ["C-1", "C-2"]
    assert cases["C-1"].received_at == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert cases["C-1"].applicant == {"name": "张三"}
    with Session(cli_db) as db:
        channels = set(db.exec(select(CaseEvent.channel)))
        step = db.exec(select(CaseStep).where(CaseStep.case_id == cases["C-1"].id, CaseStep.seq == 1)).one()
    assert channels == {"file"}
    assert step.completed_at == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_events_from_a_csv_file_with_a_bom_and_applicant_columns_are_stored(
    listed: Tracker, cli_db: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "\ufeffcase,type,at,id,power,step,applicant.name,applicant.phone,note\n"
        'C-1,received,2026-03-02 09:00,r-1,XK-1,,张三,13800000000,"窗口收件, 材料齐全"\n'
        "C-1,step_started,2026-03-02 09:10,s-1,,1,,,\n"
        "C-1,step_completed,2026-03-02 10:00,s-2,, 1 ,,,\n",
        encoding="utf-8",
    )
    code, report = import_json(listed, path)
    assert code == 0
    assert (report["rows"], report["stored"], report["duplicates"], report["rejected"]) == (3, 3, 0, 0)
    case = cases_in(cli_db)["C-1"]
    assert case.applicant == {"name": "张三", "phone": "13800000000"}
    assert case.received_at == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_events_from_the_first_sheet_of_a_workbook_are_stored_with_date_cells_in_local_time(
    listed: Tracker, cli_db: Engine, tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "事件"
    sheet.append(["case", "type", "at", "id", "power", "step", "applicant.name"])
    sheet.append(["C-1", "received", datetime(2026, 3, 2, 9, 0), "r-1", "XK-1", None, "张三"])
    sheet.append(["C-1", "step_started", datetime(2026, 3, 2, 9, 10), "s-1", None, 1, None])
    sheet.append([None] * 7)  # a blank row is skipped
    sheet.append(["C-1", "step_completed", "2026-03-02T10:00:00", "s-2", None, 1, None])
    path = tmp_path / "events.xlsx"
    workbook.save(path)

    code, report = import_json(listed, path)
    assert code == 0
    assert (report["rows"], report["stored"], report["rejected"]) == (3, 3, 0)
    case = cases_in(cli_db)["C-1"]
    assert case.received_at == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert case.applicant == {"name": "张三"}


def test_importing_the_same_file_again_reports_duplicates_and_exits_zero(
    listed: Tracker, cli_db: Engine, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", RECEIVED_1, STARTED_1, COMPLETED_1)
    assert import_json(listed, path)[0] == 0
    code, again = import_json(listed, path)
    assert code == 0
    assert again["ok"] is True
    assert (again["rows"], again["stored"], again["duplicates"], again["rejected"]) == (3, 0, 3, 0)
    with Session(cli_db) as db:
        assert len(db.exec(select(CaseEvent)).all()) == 3


def rejected_file(path: Path) -> Path:
    return write_jsonl(
        path,
        RECEIVED_1,
        {"case": "C-9", "type": "step_started", "step": 1, "at": "2026-03-02T09:10:00", "id": "x-1"},
        {"case": "C-1", "type": "step_started", "step": 1, "at": "2026-13-40T09:00", "id": "x-2"},
        {"case": "C-1", "type": "step_started", "step": 7, "at": "2026-03-02T09:10:00", "id": "x-3"},
        '{"case": "C-1", "type": ',
        RECEIVED_2,
    )


def test_rejected_rows_are_reported_by_line_while_the_valid_rows_are_stored(
    listed: Tracker, cli_db: Engine, tmp_path: Path
) -> None:
    code, report = import_json(listed, rejected_file(tmp_path / "events.jsonl"))
    assert code == 1
    assert report["ok"] is False
    assert (report["rows"], report["stored"], report["duplicates"], report["rejected"]) == (6, 2, 0, 4)
    assert report["errors"] == [
        {
            "sheet": "events.jsonl",
            "row": 2,
            "column": "",
            "message": "No case 'C-9' was received in this department.",
        },
        {
            "sheet": "events.jsonl",
            "row": 3,
            "column": "at",
            "message": "at: '2026-13-40T09:00' is not an ISO 8601 timestamp.",
        },
        {"sheet": "events.jsonl", "row": 4, "column": "step", "message": "Case 'C-1' has no step 7."},
        {
            "sheet": "events.jsonl",
            "row": 5,
            "column": "",
            "message": "This line is not valid JSON: Expecting value at character 24.",
        },
    ]
    assert sorted(cases_in(cli_db)) == ["C-1", "C-2"]
    good = write_jsonl(tmp_path / "good.jsonl", RECEIVED_1, RECEIVED_2)
    code, again = import_json(listed, good)
    assert (code, again["stored"], again["duplicates"]) == (0, 0, 2)


def test_the_text_report_has_a_summary_line_and_one_line_per_error(listed: Tracker, tmp_path: Path) -> None:
    result = listed("cases", "import", str(rejected_file(tmp_path / "events.jsonl")), "--department", "scjg")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "6 rows: 2 stored, 0 duplicates, 4 rejected."
    assert lines[1] == "Errors:"
    assert lines[2] == "  events.jsonl row 2: No case 'C-9' was received in this department."
    assert lines[4] == "  events.jsonl row 4 step: Case 'C-1' has no step 7."
    assert len(lines) == 6


def test_a_csv_row_whose_step_is_not_a_whole_number_is_rejected_and_the_rest_stored(
    listed: Tracker, cli_db: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "case,type,at,step,power,id\n"
        "C-1,received,2026-03-02T09:00:00,,XK-1,r-1\n"
        "C-1,step_started,2026-03-02T09:10:00,first,,s-1\n"
        "C-1,step_started,2026-03-02T09:20:00,2,,s-2\n"
        "C-1,step_started,2026-03-02T09:20:00,9,,s-3\n",
        encoding="utf-8",
    )
    code, report = import_json(listed, path)
    assert code == 1
    assert (report["rows"], report["stored"], report["rejected"]) == (4, 2, 2)
    assert report["errors"] == [
        {
            "sheet": "events.csv",
            "row": 3,
            "column": "step",
            "message": "step: 'first' is not a whole number.",
        },
        {"sheet": "events.csv", "row": 5, "column": "step", "message": "Case 'C-1' has no step 9."},
    ]
    with Session(cli_db) as db:
        assert len(db.exec(select(CaseEvent)).all()) == 2


def test_an_unknown_department_and_a_text_file_are_one_line_errors(listed: Tracker, tmp_path: Path) -> None:
    events = write_jsonl(tmp_path / "events.jsonl", RECEIVED_1)
    assert "'nope'" in one_line_error(listed("cases", "import", str(events), "--department", "nope"))
    text_file = tmp_path / "events.txt"
    text_file.write_text(json.dumps(RECEIVED_1), encoding="utf-8")
    assert "events.txt" in one_line_error(listed("cases", "import", str(text_file), "--department", "scjg"))


def test_a_file_that_cannot_be_read_is_a_one_line_error_and_stores_nothing(
    listed: Tracker, cli_db: Engine, tmp_path: Path
) -> None:
    unknown_column = tmp_path / "events.csv"
    unknown_column.write_text(
        "case,type,at,power,colour\nC-1,received,2026-03-02T09:00:00,XK-1,red\n", encoding="utf-8"
    )
    assert "'colour'" in one_line_error(
        listed("cases", "import", str(unknown_column), "--department", "scjg")
    )
    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes(json.dumps(RECEIVED_1 | {"note": "窗口"}, ensure_ascii=False).encode("gbk"))
    assert "UTF-8" in one_line_error(listed("cases", "import", str(gbk), "--department", "scjg"))
    not_a_workbook = tmp_path / "events.xlsx"
    not_a_workbook.write_text("case,type\n", encoding="utf-8")
    assert "events.xlsx" in one_line_error(
        listed("cases", "import", str(not_a_workbook), "--department", "scjg")
    )
    header_only = tmp_path / "header.csv"
    header_only.write_text("case,type,at\n", encoding="utf-8")
    assert "no events" in one_line_error(listed("cases", "import", str(header_only), "--department", "scjg"))
    assert cases_in(cli_db) == {}
