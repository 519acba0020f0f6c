"""The demo region's power lists: realistic, valid as an import, published once by `build_demo`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from powerlists.categories import Category
from powerlists.importer import latest_published, load_items
from powerlists.limits import Unit, promise_exceeds_statute
from powerlists.models import Department, ListStatus, PowerList
from powerlists.template import write_workbook
from powerlists.validate import ItemData, validate
from powerlists.workbook import read_workbook
from tracker.demo import CITY_DEPARTMENTS, build_demo
from tracker.demo_powers import CATEGORY_CODES, STEPPED, demo_items

CODES = [code for code, _name, _name_en in CITY_DEPARTMENTS]
ALL_ITEMS = {code: demo_items(code) for code in CODES}


def every_item() -> list[ItemData]:
    return [item for items in ALL_ITEMS.values() for item in items]


def test_every_department_has_six_to_fifteen_items() -> None:
    assert len(ALL_ITEMS) == 30
    counts = {code: len(items) for code, items in ALL_ITEMS.items()}
    assert all(6 <= n <= 15 for n in counts.values()), counts


def test_codes_are_unique_across_the_region() -> None:
    codes = Counter(item.code for item in every_item())
    assert [code for code, n in codes.items() if n > 1] == []


def test_codes_name_the_department_and_the_category() -> None:
    by_category = {category: segment for segment, category in CATEGORY_CODES.items()}
    for department, items in ALL_ITEMS.items():
        for item in items:
            main = item.parent_code or item.code
            assert main.startswith(f"{department.upper()}-{by_category[item.category]}-")


def test_the_catalogue_uses_every_category() -> None:
    assert {item.category for item in every_item()} == set(Category)


def test_sub_items_point_at_a_main_item_of_their_own_department() -> None:
    subs = 0
    for items in ALL_ITEMS.values():
        mains = {item.code for item in items if item.parent_code is None}
        for item in items:
            if item.parent_code is not None:
                subs += 1
                assert item.parent_code in mains
    assert subs >= 2


def test_items_carry_the_department_name_and_phone() -> None:
    for i, (code, name, _name_en) in enumerate(CITY_DEPARTMENTS, start=1):
        for item in ALL_ITEMS[code]:
            assert item.implementing_body == name
            assert item.supervision_phone == f"0571-8800{i:04d}"
            assert item.legal_basis.startswith("《")
            assert item.responsible_unit and item.responsibilities and item.accountability


def test_the_named_powers_are_held_by_the_departments_that_really_hold_them() -> None:
    names = {code: {item.name for item in items} for code, items in ALL_ITEMS.items()}
    scjgj = {"食品经营许可", "特种设备使用登记", "食品安全监督检查"}
    assert scjgj | {"对生产经营不符合食品安全标准食品的处罚"} <= names["scjgj"]
    assert {"道路运输经营许可", "出租汽车驾驶员从业资格证核发"} <= names["jtj"]
    assert "医疗机构执业登记" in names["wjw"]
    assert {"户口迁移审批", "居民身份证核发"} <= names["gaj"]
    assert "失业保险金申领" in names["rsj"]
    assert {"社会团体成立登记", "最低生活保障审批"} <= names["mzj"]
    assert "建筑工程施工许可证核发" in names["zjj"]
    assert "建设用地规划许可证核发" in names["zrzyj"]
    assert "建设项目环境影响评价文件审批" in names["sthjj"]


def test_promises_are_not_longer_than_the_statute() -> None:
    for item in every_item():
        assert not promise_exceeds_statute(item.statutory_limit, item.promised_limit), item.code
        if item.category in (Category.penalty, Category.inspection):
            assert item.promised_limit is None, item.code


def test_some_items_charge_a_fee_and_most_do_not() -> None:
    items = every_item()
    charged = [item for item in items if not item.no_fee]
    assert 3 <= len(charged) < len(items) // 10
    assert any(item.fee_amount is not None for item in charged)


def test_licensing_confirmation_and_payment_items_have_steps_that_fit_within_the_promise() -> None:
    optional = 0
    for item in every_item():
        if item.category not in STEPPED:
            assert item.steps == [], item.code
            continue
        assert 3 <= len(item.steps) <= 5, item.code
        assert [s.seq for s in item.steps] == list(range(1, len(item.steps) + 1))
        assert item.steps[0].name == "受理"
        optional += sum(not s.mandatory for s in item.steps)
        budget = item.promised_limit or item.statutory_limit
        limits = [s.limit for s in item.steps if s.limit is not None]
        if budget is not None and budget.unit not in (Unit.month, Unit.hour):
            total = sum(limit.value for limit in limits if limit.unit is not Unit.immediate)
            units = {limit.unit for limit in limits} - {Unit.immediate}
            assert units <= {budget.unit}, item.code
            assert total <= budget.value, item.code
    assert optional >= 2


def test_the_catalogue_is_deterministic() -> None:
    assert [i.as_dict() for i in demo_items("scjgj")] == [i.as_dict() for i in ALL_ITEMS["scjgj"]]


@pytest.mark.parametrize("department", CODES)
def test_every_demo_list_passes_the_import_checks_and_reads_back_unchanged(
    tmp_path: Path, department: str
) -> None:
    items = ALL_ITEMS[department]
    path = tmp_path / f"{department}.xlsx"
    write_workbook(items, path)
    report = validate(read_workbook(path))
    assert report.errors == []
    assert report.warnings == []
    assert report.items == items


def _published(engine: Engine) -> int:
    with Session(engine) as db:
        count: int = db.execute(
            select(func.count()).select_from(PowerList).where(col(PowerList.status) == ListStatus.published)
        ).scalar_one()
    return count


def test_build_demo_publishes_every_list_once_and_the_public_sees_them(
    engine: Engine, anon: TestClient[Litestar]
) -> None:
    lines: list[str] = []
    build_demo(engine, progress=lines.append, cases=False)
    assert "power lists: 30 published, 0 already there" in lines
    assert _published(engine) == 30
    lines.clear()
    build_demo(engine, progress=lines.append, cases=False)
    assert "power lists: 0 published, 30 already there" in lines
    assert _published(engine) == 30
    with Session(engine) as db:
        scjgj = db.execute(select(Department).where(col(Department.code) == "scjgj")).scalar_one()
        power_list = latest_published(db, scjgj.id or 0)
        assert power_list is not None
        assert (power_list.version, power_list.source_name) == (1, "demo")
        assert power_list.item_count == len(ALL_ITEMS["scjgj"])
        assert load_items(db, power_list.id or 0) == ALL_ITEMS["scjgj"]
    page = anon.get("/powers", params={"department": "scjgj"})
    assert page.status_code == 200
    assert "食品经营许可" in page.text
    assert "SCJGJ-XK-001" in page.text
