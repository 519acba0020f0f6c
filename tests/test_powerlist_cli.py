"""`tracker powerlist import / export / template`, run as the installed command."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook

from tests.builders import build, item_row
from tests.conftest import Tracker, one_line_error


def with_department(tracker: Tracker) -> Tracker:
    tracker.ok("departments", "add", "scjg", "--name", "市场监管局")
    return tracker


def test_import_reports_in_json_and_exits_zero_only_when_ok(migrated: Tracker, tmp_path: Path) -> None:
    with_department(migrated)
    good = build(
        tmp_path / "good.xlsx",
        rows=[item_row("XK-1", "食品经营许可"), item_row("XK-2", "药品经营许可")],
        steps=[["XK-1", 1, "受理", "1个工作日", "窗口"]],
    )
    report = json.loads(
        migrated.ok("powerlist", "import", str(good), "--department", "scjg", "--format", "json")
    )
    assert report["ok"] is True and report["department"] == "scjg" and report["version"] == 1
    assert (report["items"], report["steps"]) == (2, 1)
    assert report["errors"] == [] and report["changes"]["added"] == ["XK-1", "XK-2"]

    bad = build(tmp_path / "bad.xlsx", rows=[item_row("XK-1", "食品经营许可", "许可证")])
    result = migrated("powerlist", "import", str(bad), "--department", "scjg", "--format", "json")
    assert result.returncode == 1
    failed = json.loads(result.stdout)
    assert failed["ok"] is False
    assert failed["errors"] == [
        {"sheet": "权力清单", "row": 2, "column": "权力类型", "message": "Unknown category '许可证'."}
    ]
    assert failed["changes"]["removed"] == ["XK-2"]  # compared with version 1, which stays current


def test_a_dry_run_writes_nothing(migrated: Tracker, tmp_path: Path) -> None:
    with_department(migrated)
    path = build(tmp_path / "list.xlsx", rows=[item_row("XK-1", "食品经营许可")])
    out = migrated.ok("powerlist", "import", str(path), "--department", "scjg", "--dry-run")
    assert "Dry run: nothing was written." in out
    again = json.loads(
        migrated.ok("powerlist", "import", str(path), "--department", "scjg", "--format", "json")
    )
    assert again["version"] == 1  # the dry run took no version number


def test_refused_files_and_unknown_departments_are_one_line_errors(migrated: Tracker, tmp_path: Path) -> None:
    with_department(migrated)
    text_file = tmp_path / "list.xlsx"
    text_file.write_text("not a workbook", encoding="utf-8")
    assert "list.xlsx" in one_line_error(
        migrated("powerlist", "import", str(text_file), "--department", "scjg")
    )
    good = build(tmp_path / "good.xlsx", rows=[item_row("XK-1", "食品经营许可")])
    assert "'nope'" in one_line_error(migrated("powerlist", "import", str(good), "--department", "nope"))


def test_an_exported_workbook_imports_back_to_the_same_list(migrated: Tracker, tmp_path: Path) -> None:
    with_department(migrated)
    source = build(
        tmp_path / "list.xlsx",
        rows=[
            item_row("XK-1", "食品经营许可", basis="《食品安全法》\n《条例》"),
            item_row("CF-1", "处罚", "行政处罚", statutory="90日", promised=""),
        ],
        steps=[["XK-1", 1, "受理", "即办", "窗口"], ["XK-1", 2, "决定", "3个工作日", "科长"]],
    )
    migrated.ok("powerlist", "import", str(source), "--department", "scjg", "--effective", "2026-01-01")
    exported = tmp_path / "export.xlsx"
    migrated.ok("powerlist", "export", "--department", "scjg", "--output", str(exported))
    assert load_workbook(exported).worksheets[0]["A2"].value == "XK-1"
    again = json.loads(
        migrated.ok(
            "powerlist", "import", str(exported), "--department", "scjg", "--dry-run", "--format", "json"
        )
    )
    assert again["ok"] and again["changes"] == {"added": [], "changed": [], "removed": []}
    as_json = json.loads(
        migrated.ok("powerlist", "export", "--department", "scjg", "--output", "-", "--format", "json")
    )
    assert as_json["version"] == 1 and as_json["effective"] == "2026-01-01"
    assert as_json["items"][0]["steps"][0]["limit"] == {"value": 0, "unit": "immediate"}
    assert as_json["items"][1]["statutory_limit"] == {"value": 90, "unit": "day"}
    csv_text = migrated.ok("powerlist", "export", "--department", "scjg", "--output", "-", "--format", "csv")
    assert "XK-1" in csv_text and "CF-1" in csv_text


def test_the_template_command_writes_an_importable_blank_template(migrated: Tracker, tmp_path: Path) -> None:
    with_department(migrated)
    template = tmp_path / "template.xlsx"
    migrated.ok("powerlist", "template", "--output", str(template), "--language", "zh-CN")
    report = json.loads(
        migrated.ok(
            "powerlist", "import", str(template), "--department", "scjg", "--dry-run", "--format", "json"
        )
    )
    assert report["ok"] and report["items"] == 1
