"""Reading published lists: what is in force, searching items, one item's history.

One function per question, shared by the HTML pages, their JSON twins and exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlmodel import Session, col

from powerlists.departments import like_literal
from powerlists.importer import diff, load_items
from powerlists.models import Department, ListStatus, PowerItem, PowerList
from powerlists.validate import ItemData

VISIBLE = (ListStatus.published, ListStatus.superseded)


def in_force_ids(on: date) -> Select[tuple[int]]:
    """The id of each department's list in force on ``on`` (latest effective date, then version)."""
    ranked = (
        select(
            col(PowerList.id),
            func.row_number()
            .over(
                partition_by=col(PowerList.department_id),
                order_by=(col(PowerList.effective_from).desc(), col(PowerList.version).desc()),
            )
            .label("rank"),
        )
        .where(col(PowerList.status).in_(VISIBLE), col(PowerList.effective_from) <= on)
        .subquery()
    )
    return select(ranked.c.id).where(ranked.c.rank == 1)


def list_items(list_id: int) -> Select[tuple[PowerItem, Department]]:
    """The items of one version, in list order (for browsing an earlier version)."""
    return (
        select(PowerItem, Department)
        .join(PowerList, col(PowerList.id) == col(PowerItem.list_id))
        .join(Department, col(Department.id) == col(PowerList.department_id))
        .where(col(PowerItem.list_id) == list_id)
        .order_by(col(PowerItem.position))
    )


def search_items(
    on: date, *, q: str = "", department_id: int | None = None, category: str = ""
) -> Select[tuple[PowerItem, Department]]:
    """Items of the lists in force on ``on``, filtered, in department then list order."""
    stmt = (
        select(PowerItem, Department)
        .join(PowerList, col(PowerList.id) == PowerItem.list_id)
        .join(Department, col(Department.id) == PowerList.department_id)
        .where(col(PowerItem.list_id).in_(in_force_ids(on)))
        .order_by(col(Department.code), col(PowerItem.position))
    )
    if q.strip():
        pattern = "%" + like_literal(q.strip()) + "%"
        stmt = stmt.where(
            or_(
                col(PowerItem.code).ilike(pattern, escape="\\"),
                col(PowerItem.name).ilike(pattern, escape="\\"),
            )
        )
    if department_id is not None:
        stmt = stmt.where(col(PowerList.department_id) == department_id)
    if category:
        stmt = stmt.where(col(PowerItem.category) == category)
    return stmt


@dataclass
class VersionEntry:
    power_list: PowerList
    item: ItemData | None  # None: the code is not on this version
    kind: str  # added, changed, unchanged, removed, absent: compared with the previous version
    changes: dict[str, list[Any]] = field(default_factory=dict)  # field → [before, after]


@dataclass
class ItemDetail:
    department: Department
    power_list: PowerList
    item: ItemData
    history: list[VersionEntry]


def item_detail(db: Session, code: str, on: date) -> ItemDetail | None:
    """The item with ``code`` on the list in force, and how it changed across its department's versions."""
    row = db.execute(
        select(PowerList, Department)
        .join(PowerItem, col(PowerItem.list_id) == PowerList.id)
        .join(Department, col(Department.id) == PowerList.department_id)
        .where(col(PowerItem.code) == code, col(PowerList.id).in_(in_force_ids(on)))
    ).first()
    if row is None:
        return None
    power_list, department = row
    lists = list(
        db.exec(
            select(PowerList)  # type: ignore[call-overload]
            .where(PowerList.department_id == department.id, col(PowerList.status).in_(VISIBLE))
            .order_by(col(PowerList.version))
        ).scalars()
    )
    history: list[VersionEntry] = []
    previous: ItemData | None = None
    current: ItemData | None = None
    for version in lists:
        found = _item_on(db, version, code)
        before = [previous] if previous else []
        after = [found] if found else []
        changed = diff(before, after)
        fields = changed.changed[0]["fields"] if changed.changed else {}
        if found is None:
            kind = "removed" if previous else "absent"
        else:
            kind = "added" if previous is None else ("changed" if fields else "unchanged")
        history.append(VersionEntry(version, found, kind, fields))
        previous = found
        if version.id == power_list.id:
            current = found
    assert current is not None
    history.reverse()
    return ItemDetail(department, power_list, current, history)


def _item_on(db: Session, power_list: PowerList, code: str) -> ItemData | None:
    item = db.exec(
        select(PowerItem).where(col(PowerItem.list_id) == power_list.id, col(PowerItem.code) == code)  # type: ignore[call-overload]
    ).scalar_one_or_none()
    if item is None:
        return None
    return next((i for i in load_items(db, power_list.id, only_item_id=item.id) if i.code == code), None)  # type: ignore[arg-type]
