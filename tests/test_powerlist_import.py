"""Importing power lists: messy real files read field by field, every error reported, versions written."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from powerlists.categories import Category
from powerlists.importer import ImportConflict, import_file, load_items, version_in_force, versions
from powerlists.limits import Limit, Unit
from powerlists.models import ListStatus, PowerList
from powerlists.validate import validate
from powerlists.workbook import RawRow, RawSheet, RawWorkbook, read_workbook
from tests.builders import build, item_row
from tests.conftest import Cast

NOW = __import__("powerlists.columns", fromlist=["utcnow"]).utcnow()


def check(path: Path):  # type: ignore[no-untyped-def]
    return validate(read_workbook(path))


def messages(report) -> list[tuple[int | None, str, str]]:  # type: ignore[no-untyped-def]
    return [(p.row, p.column, p.message % p.args if p.args else p.message) for p in report.errors]


def test_a_messy_real_world_file_is_read_field_by_field(tmp_path: Path) -> None:
    path = build(
        tmp_path / "messy.xlsx",
        notes_sheet=True,
        above=[
            ["示范市市场监督管理局权力清单"],
            ["填报单位：示范市市场监督管理局", None, None, "填报日期：2026年3月"],
        ],
        headers=[
            "序号",
            "职权编码",
            "事项名称\n（必填）",
            "权力类别",
            "设定依据",
            "实施机关",
            "办理时限",
            "收费依据及标准",
            "咨询/监督电话",
        ],
        rows=[
            [
                1,
                " ＸＫ-001 ",
                "食品经营许可",
                "行政许可",
                "《食品安全法》第三十五条\n《食品经营许可管理办法》",
                "市场监管局",
                "法定：二十个工作日；承诺：１０个工作日",
                "不收费",
                "0571-12345",
            ],
            [
                2,
                10002,
                "特种设备使用登记",
                None,
                "《特种设备安全法》",
                "市场监管局",
                "法定20个工作日，承诺7个工作日",
                "按每台50元收取",
                "0571-12345",
            ],
            [
                3,
                "CF-001",
                "对无证经营的处罚",
                "行政处罚",
                "《无证无照经营查处办法》",
                "市场监管局",
                "自立案之日起90日",
                "否",
                None,
            ],
            [],
            [4, "JC-001", "食品安全监督检查", "行政检查", "《食品安全法》", "市场监管局", "即办", "无", None],
            ["注：本清单自发布之日起施行。"],
        ],
        merge=["D4:D5"],  # 行政许可 written once, merged over two rows
        steps=[
            ["XK-001", 1, "受理", "1个工作日", "窗口"],
            ["XK-001", 2, "审查", "5个工作日", "科室"],
            ["10002", 1, "受理", "即办", "窗口"],
        ],
    )
    report = check(path)
    assert report.errors == []
    assert [w.row for w in report.warnings] == [9]  # the footnote, as Excel numbers it (blank row 7 counts)
    items = {i.code: i for i in report.items}
    assert list(items) == ["XK-001", "10002", "CF-001", "JC-001"]
    xk = items["XK-001"]
    assert xk.name == "食品经营许可" and xk.category is Category.licensing
    assert xk.legal_basis == "《食品安全法》第三十五条\n《食品经营许可管理办法》"
    assert xk.statutory_limit == Limit(20, Unit.workday) and xk.promised_limit == Limit(10, Unit.workday)
    assert xk.no_fee and xk.fee_amount is None and xk.supervision_phone == "0571-12345"
    assert [(s.seq, s.name, s.limit, s.role, s.mandatory) for s in xk.steps] == [
        (1, "受理", Limit(1, Unit.workday), "窗口", True),
        (2, "审查", Limit(5, Unit.workday), "科室", True),
    ]
    registration = items["10002"]
    assert registration.category is Category.licensing  # from the merged cell
    assert registration.promised_limit == Limit(7, Unit.workday)
    assert not registration.no_fee and registration.fee_amount == Decimal("50")
    assert registration.steps[0].limit == Limit(0, Unit.immediate)
    penalty = items["CF-001"]
    assert (
        penalty.statutory_limit == Limit(90, Unit.day) and penalty.promised_limit is None and penalty.no_fee
    )
    assert items["JC-001"].statutory_limit == Limit(0, Unit.immediate)


def test_every_error_is_reported_with_its_row_column_and_text(tmp_path: Path) -> None:
    path = build(
        tmp_path / "bad.xlsx",
        rows=[
            item_row("A-1", "甲", "行政许可证"),
            item_row("", "无编码事项"),
            item_row("A-2", ""),
            item_row("A-3", "丙", statutory="二十来天"),
            item_row("A-4", "丁", statutory="10个工作日", promised="15个工作日"),
            item_row("A-5", "戊"),
            item_row("A-5", "戊二"),
        ],
        steps=[["A-9", 1, "受理", "1个工作日", "窗口"]],
    )
    found = messages(check(path))
    assert (2, "权力类型", "Unknown category '行政许可证'.") in found
    assert (3, "权力编码", "The code is missing (name '无编码事项').") in found
    assert (4, "权力名称", "The name is missing (code 'A-2').") in found
    assert any(row == 5 and column == "法定期限" and "二十来天" in text for row, column, text in found)
    assert any(
        row == 6 and column == "承诺期限" and "longer than the statutory limit" in text
        for row, column, text in found
    )
    assert (7, "权力编码", "The code 'A-5' appears more than once (rows 7, 8).") in found
    assert (8, "权力编码", "The code 'A-5' appears more than once (rows 7, 8).") in found
    assert (2, "权力编码", "No item on the list has the code 'A-9'.") in found


def test_a_formula_without_a_saved_value_is_an_error_naming_the_cell() -> None:
    sheet = RawSheet(
        name="权力清单",
        header_row=1,
        headers={"code": "权力编码", "name": "权力名称", "category": "权力类型"},
        rows=[RawRow("权力清单", 2, {"code": "A-1", "name": None, "category": "行政许可"}, ["name"])],
    )
    report = validate(RawWorkbook(items=sheet, steps=None, warnings=[]))
    assert any(p.row == 2 and p.column == "权力名称" and "formula" in p.message for p in report.errors)


def _import(db: Session, department_id: int, path: Path, **kw):  # type: ignore[no-untyped-def]
    defaults = {"source_name": path.name, "effective": date(2026, 1, 1), "imported_by_id": None, "now": NOW}
    return import_file(db, department_id, path, **{**defaults, **kw})


def test_an_import_writes_a_published_version_and_a_revision_supersedes_it(
    tmp_path: Path, db: Session, cast: Cast
) -> None:
    first = build(
        tmp_path / "v1.xlsx", rows=[item_row("A-1", "甲"), item_row("A-2", "乙"), item_row("A-3", "丙")]
    )
    result = _import(db, cast.dept_a.id, first)
    db.commit()
    assert result.report.ok and result.power_list is not None and result.power_list.version == 1
    assert result.changes.added == ["A-1", "A-2", "A-3"]

    second = build(
        tmp_path / "v2.xlsx",
        rows=[
            item_row("A-1", "甲"),
            item_row("A-2", "乙（修订）", promised="5个工作日"),
            item_row("A-4", "丁"),
        ],
    )
    result = _import(db, cast.dept_a.id, second, effective=date(2026, 7, 1))
    db.commit()
    assert result.power_list is not None and result.power_list.version == 2
    assert result.changes.added == ["A-4"] and result.changes.removed == ["A-3"]
    assert result.changes.changed == [
        {
            "code": "A-2",
            "fields": {
                "name": ["乙", "乙（修订）"],
                "promised_limit": [{"value": 10, "unit": "workday"}, {"value": 5, "unit": "workday"}],
            },
        }
    ]
    statuses = {v.version: v.status for v in versions(db, cast.dept_a.id)}  # type: ignore[arg-type]
    assert statuses == {1: ListStatus.superseded, 2: ListStatus.published}
    # Which version is in force depends on the day: cases pin the one of the day they were received.
    assert version_in_force(db, cast.dept_a.id, date(2026, 3, 1)).version == 1  # type: ignore[arg-type,union-attr]
    assert version_in_force(db, cast.dept_a.id, date(2026, 7, 1)).version == 2  # type: ignore[arg-type,union-attr]
    assert version_in_force(db, cast.dept_a.id, date(2025, 12, 31)) is None  # type: ignore[arg-type]
    stored = {i.code: i for i in load_items(db, result.power_list.id)}  # type: ignore[arg-type]
    assert stored["A-2"].promised_limit == Limit(5, Unit.workday) and stored["A-2"].name == "乙（修订）"


def test_a_dry_run_and_a_failed_import_write_nothing(tmp_path: Path, db: Session, cast: Cast) -> None:
    good = build(tmp_path / "good.xlsx", rows=[item_row("A-1", "甲")])
    assert _import(db, cast.dept_a.id, good, dry_run=True).report.ok
    bad = build(tmp_path / "bad.xlsx", rows=[item_row("A-1", "甲"), item_row("A-2", "乙", "不存在的类型")])
    assert not _import(db, cast.dept_a.id, bad).report.ok
    db.commit()
    assert db.exec(select(PowerList)).all() == []


def test_a_code_on_another_departments_list_is_refused(tmp_path: Path, db: Session, cast: Cast) -> None:
    _import(db, cast.dept_a.id, build(tmp_path / "a.xlsx", rows=[item_row("X-1", "甲")]))
    db.commit()
    result = _import(db, cast.dept_b.id, build(tmp_path / "b.xlsx", rows=[item_row("X-1", "乙")]))
    assert not result.report.ok
    assert (
        "already on the list of department dept-a"
        in result.report.errors[0].message % result.report.errors[0].args
    )


def test_two_imports_of_one_department_at_once_one_wins_and_one_gets_a_conflict(
    tmp_path: Path, engine: Engine, cast: Cast
) -> None:
    path_a = build(tmp_path / "a.xlsx", rows=[item_row("A-1", "甲")])
    path_b = build(tmp_path / "b.xlsx", rows=[item_row("B-1", "乙")])
    outcome: dict[str, object] = {}

    def second_import() -> None:
        with Session(engine) as other:
            try:
                _import(other, cast.dept_a.id, path_b)
                other.commit()
                outcome["b"] = "stored"
            except ImportConflict:
                outcome["b"] = "conflict"

    with Session(engine) as first:
        _import(first, cast.dept_a.id, path_a)  # written, not yet committed
        thread = threading.Thread(target=second_import)
        thread.start()
        time.sleep(1.0)  # let the second import read the same "current version" and block on writing
        first.commit()
    thread.join(timeout=30)
    assert outcome == {"b": "conflict"}
    with Session(engine) as db:
        lists = db.exec(select(PowerList)).all()
        assert [(pl.version, pl.item_count) for pl in lists] == [(1, 1)]


@pytest.mark.parametrize("effective", [date(2026, 1, 1)])
def test_a_draft_is_published_by_a_separate_step(
    tmp_path: Path, db: Session, cast: Cast, effective: date
) -> None:
    from powerlists.importer import publish

    result = _import(
        db, cast.dept_a.id, build(tmp_path / "a.xlsx", rows=[item_row("A-1", "甲")]), status=ListStatus.draft
    )
    assert result.power_list is not None and result.power_list.status == ListStatus.draft
    assert version_in_force(db, cast.dept_a.id, effective) is None  # type: ignore[arg-type]
    publish(db, result.power_list, NOW)
    assert version_in_force(db, cast.dept_a.id, effective).version == 1  # type: ignore[arg-type,union-attr]
    with pytest.raises(ImportConflict):
        publish(db, result.power_list, NOW)  # a second click changes nothing
