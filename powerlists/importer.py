"""Checked rows → a new version of a department's list, in one transaction; versions and diffs.

A failed or dry-run import writes nothing. Two imports of one department at once
race for the same version number: the unique key lets one win, and the other gets
an ImportConflict. Rows are written with Core executemany (not ORM adds): a
10,000-item list is one statement per table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col

from powerlists.categories import Category
from powerlists.limits import Limit, Unit
from powerlists.messages import N_
from powerlists.models import Department, ListStatus, PowerItem, PowerList, PowerStep
from powerlists.validate import ItemData, Problem, Report, StepData, validate
from powerlists.workbook import read_workbook
from powerlists.zipcheck import ZipLimits

DIFF_FIELDS = (
    "name",
    "category",
    "parent_code",
    "legal_basis",
    "implementing_body",
    "responsible_unit",
    "statutory_limit",
    "promised_limit",
    "fee",
    "no_fee",
    "fee_amount",
    "supervision_phone",
    "responsibilities",
    "accountability",
    "steps",
)


class ImportConflict(Exception):
    """Another import or publication of the same department got there first."""

    message = N_(
        "Another import of this department's list finished first. Review the current list and import again."
    )


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "changed": self.changed, "removed": self.removed}

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


@dataclass
class ImportResult:
    report: Report
    changes: Changes
    power_list: PowerList | None = None
    sha256: str = ""

    def as_dict(self, department_code: str, translate: Callable[..., str]) -> dict[str, Any]:
        return {
            "ok": self.report.ok,
            "department": department_code,
            "version": self.power_list.version if self.power_list else None,
            "items": len(self.report.items),
            "steps": self.report.step_count,
            "errors": [p.as_dict(translate) for p in self.report.errors],
            "warnings": [p.as_dict(translate) for p in self.report.warnings],
            "changes": self.changes.as_dict(),
        }


# Versions


def latest_published(db: Session, department_id: int) -> PowerList | None:
    """The newest published version (the one a new import is compared with and replaces)."""
    newest: PowerList | None = db.exec(
        select(PowerList)  # type: ignore[call-overload]
        .where(col(PowerList.department_id) == department_id, col(PowerList.status) == ListStatus.published)
        .order_by(col(PowerList.version).desc())
        .limit(1)
    ).scalar_one_or_none()
    return newest


def version_in_force(db: Session, department_id: int, on: date) -> PowerList | None:
    """The version in force on day ``on``: the published one with the latest effective date not after it."""
    in_force: PowerList | None = db.exec(
        select(PowerList)  # type: ignore[call-overload]
        .where(
            col(PowerList.department_id) == department_id,
            col(PowerList.status).in_([ListStatus.published, ListStatus.superseded]),
            col(PowerList.effective_from) <= on,
        )
        .order_by(col(PowerList.effective_from).desc(), col(PowerList.version).desc())
        .limit(1)
    ).scalar_one_or_none()
    return in_force


def versions(db: Session, department_id: int) -> list[PowerList]:
    return list(
        db.exec(
            select(PowerList)  # type: ignore[call-overload]
            .where(col(PowerList.department_id) == department_id, col(PowerList.status) != ListStatus.draft)
            .order_by(col(PowerList.version).desc())
        ).scalars()
    )


# Reading a stored version back as data


def _limit(value: int | None, unit: str | None, note: str) -> Limit | None:
    return Limit(value or 0, Unit(unit), note) if unit else None


def load_items(db: Session, list_id: int, *, only_item_id: int | None = None) -> list[ItemData]:
    """A stored version as data, in list order (or just one of its items)."""
    item_stmt = select(PowerItem).where(col(PowerItem.list_id) == list_id).order_by(col(PowerItem.position))
    step_stmt = (
        select(PowerStep)
        .join(PowerItem, col(PowerItem.id) == PowerStep.item_id)
        .where(col(PowerItem.list_id) == list_id)
        .order_by(col(PowerStep.item_id), col(PowerStep.seq))
    )
    if only_item_id is not None:
        item_stmt = item_stmt.where(col(PowerItem.id) == only_item_id)
        step_stmt = step_stmt.where(col(PowerStep.item_id) == only_item_id)
    items = list(db.exec(item_stmt).scalars())  # type: ignore[call-overload]
    steps: dict[int, list[StepData]] = {}
    step_rows = db.exec(step_stmt).scalars()  # type: ignore[call-overload]
    for s in step_rows:
        steps.setdefault(s.item_id, []).append(
            StepData(s.seq, s.name, _limit(s.limit_value, s.limit_unit, s.limit_note), s.role, s.mandatory)
        )
    return [
        ItemData(
            code=i.code,
            name=i.name,
            category=Category(i.category),
            parent_code=i.parent_code,
            legal_basis=i.legal_basis,
            implementing_body=i.implementing_body,
            responsible_unit=i.responsible_unit,
            statutory_limit=_limit(i.statutory_value, i.statutory_unit, i.statutory_note),
            promised_limit=_limit(i.promised_value, i.promised_unit, i.promised_note),
            fee=i.fee_text,
            no_fee=i.no_fee,
            fee_amount=i.fee_amount,
            supervision_phone=i.supervision_phone,
            responsibilities=i.responsibilities,
            accountability=i.accountability,
            steps=steps.get(i.id or 0, []),
        )
        for i in items
    ]


def diff(
    old: list[ItemData], new: list[ItemData], *, still_listed: AbstractSet[str] = frozenset()
) -> Changes:
    """Changes from ``old`` to ``new``; codes in ``still_listed`` (present, unreadable) are not removed."""
    before = {i.code: i.as_dict() for i in old}
    after = {i.code: i.as_dict() for i in new}
    changes = Changes(
        added=[code for code in after if code not in before],
        removed=[code for code in before if code not in after and code not in still_listed],
    )
    for code, now in after.items():
        was = before.get(code)
        if was is None:
            continue
        fields = {f: [was[f], now[f]] for f in DIFF_FIELDS if was[f] != now[f]}
        if fields:
            changes.changed.append({"code": code, "fields": fields})
    return changes


# Region-wide rules


def codes_of_other_departments(db: Session, department_id: int, codes: list[str]) -> dict[str, str]:
    """Codes already on another department's newest published list: code → that department's code."""
    if not codes:
        return {}
    newest = (
        select(col(PowerList.department_id), func.max(col(PowerList.version)).label("version"))
        .where(col(PowerList.status) == ListStatus.published, col(PowerList.department_id) != department_id)
        .group_by(col(PowerList.department_id))
        .subquery()
    )
    rows = db.execute(
        select(col(PowerItem.code), col(Department.code))
        .join(PowerList, col(PowerList.id) == PowerItem.list_id)
        .join(
            newest,
            (newest.c.department_id == PowerList.department_id) & (newest.c.version == PowerList.version),
        )
        .join(Department, col(Department.id) == PowerList.department_id)
        .where(col(PowerItem.code).in_(codes))
    )
    return {item_code: dept_code for item_code, dept_code in rows}


def _check_region(db: Session, department_id: int, report: Report, sheet: str) -> None:
    taken = codes_of_other_departments(db, department_id, [i.code for i in report.items])
    for code, other in taken.items():
        report.errors.append(
            Problem(
                sheet,
                None,
                "",
                N_("The code %(code)r is already on the list of department %(department)s."),
                {"code": code, "department": other},
            )
        )


# Writing


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _limit_columns(prefix: str, limit: Limit | None) -> dict[str, Any]:
    return {
        f"{prefix}_value": limit.value if limit else None,
        f"{prefix}_unit": limit.unit.value if limit else None,
        f"{prefix}_note": limit.note if limit else "",
    }


def write_version(
    db: Session,
    department_id: int,
    items: list[ItemData],
    *,
    status: ListStatus,
    effective: date,
    source_name: str,
    sha256: str,
    imported_by_id: int | None,
    now: datetime,
) -> PowerList:
    next_version = (
        db.execute(
            select(func.max(col(PowerList.version))).where(col(PowerList.department_id) == department_id)
        ).scalar()
        or 0
    ) + 1
    power_list = PowerList(
        department_id=department_id,
        version=next_version,
        status=status,
        effective_from=effective,
        source_name=source_name[:255],
        source_sha256=sha256,
        imported_by_id=imported_by_id,
        imported_at=now,
        published_at=now if status == ListStatus.published else None,
        item_count=len(items),
        step_count=sum(len(i.steps) for i in items),
    )
    db.add(power_list)
    db.flush()
    item_table = PowerItem.__table__  # type: ignore[attr-defined]
    rows = [
        {
            "list_id": power_list.id,
            "position": position,
            "code": item.code,
            "name": item.name,
            "category": item.category.value,
            "parent_code": item.parent_code,
            "legal_basis": item.legal_basis,
            "implementing_body": item.implementing_body,
            "responsible_unit": item.responsible_unit,
            **_limit_columns("statutory", item.statutory_limit),
            **_limit_columns("promised", item.promised_limit),
            "fee_text": item.fee,
            "no_fee": item.no_fee,
            "fee_amount": item.fee_amount,
            "supervision_phone": item.supervision_phone,
            "responsibilities": item.responsibilities,
            "accountability": item.accountability,
        }
        for position, item in enumerate(items, start=1)
    ]
    if rows:
        db.execute(insert(item_table), rows)
        id_rows = db.execute(
            select(item_table.c.code, item_table.c.id).where(item_table.c.list_id == power_list.id)
        )
        ids = {code: item_id for code, item_id in id_rows}
        step_rows = [
            {
                "item_id": ids[item.code],
                "seq": step.seq,
                "name": step.name,
                **_limit_columns("limit", step.limit),
                "role": step.role,
                "mandatory": step.mandatory,
            }
            for item in items
            for step in item.steps
        ]
        if step_rows:
            db.execute(insert(PowerStep.__table__), step_rows)  # type: ignore[attr-defined]
    if status == ListStatus.published:
        _supersede_older(db, power_list)
    return power_list


def _supersede_older(db: Session, power_list: PowerList) -> None:
    db.execute(
        update(PowerList)
        .where(
            col(PowerList.department_id) == power_list.department_id,
            col(PowerList.status) == ListStatus.published,
            col(PowerList.version) < power_list.version,
        )
        .values(status=ListStatus.superseded)
    )


def publish(db: Session, power_list: PowerList, now: datetime) -> None:
    """Publish a draft. Refused when a newer version was published since the draft was made."""
    if power_list.status != ListStatus.draft:
        raise ImportConflict()
    newer = db.execute(
        select(func.count())
        .select_from(PowerList)
        .where(
            col(PowerList.department_id) == power_list.department_id,
            col(PowerList.status) != ListStatus.draft,
            col(PowerList.version) > power_list.version,
        )
    ).scalar_one()
    # A conditional UPDATE: of two clicks on "publish", only one changes the row.
    claimed = db.execute(
        update(PowerList)
        .where(col(PowerList.id) == power_list.id, col(PowerList.status) == ListStatus.draft)
        .values(status=ListStatus.published, published_at=now)
    ).rowcount  # type: ignore[attr-defined]
    if newer or not claimed:
        raise ImportConflict()
    db.refresh(power_list)
    _supersede_older(db, power_list)


def discard_drafts(db: Session, department_id: int) -> None:
    """Remove earlier unpublished drafts: one open draft per department."""
    for draft in db.exec(
        select(PowerList).where(
            col(PowerList.department_id) == department_id, col(PowerList.status) == ListStatus.draft
        )  # type: ignore[call-overload]
    ).scalars():
        db.delete(draft)
    db.flush()


def check_file(
    db: Session,
    department_id: int,
    path: Path,
    *,
    limits: ZipLimits = ZipLimits(),
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Read and validate a workbook and compare it with the current list; writes nothing.

    Raises WorkbookRefused for a file that is not a readable, safe workbook.
    """
    raw = read_workbook(path, limits=limits, progress=progress)
    report = validate(raw)
    if report.items:
        _check_region(db, department_id, report, raw.items.name)
    current = latest_published(db, department_id)
    old = load_items(db, current.id) if current and current.id else []
    return ImportResult(
        report=report, changes=diff(old, report.items, still_listed=report.codes), sha256=file_sha256(path)
    )


def import_file(
    db: Session,
    department_id: int,
    path: Path,
    *,
    source_name: str,
    effective: date,
    imported_by_id: int | None,
    now: datetime,
    status: ListStatus = ListStatus.published,
    dry_run: bool = False,
    limits: ZipLimits = ZipLimits(),
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Check a workbook and, unless it has errors or this is a dry run, write it as a new version.

    The caller owns the transaction: commit on success, roll back otherwise.
    """
    result = check_file(db, department_id, path, limits=limits, progress=progress)
    if dry_run or not result.report.ok:
        return result
    try:
        if status == ListStatus.draft:
            discard_drafts(db, department_id)
        result.power_list = write_version(
            db,
            department_id,
            result.report.items,
            status=status,
            effective=effective,
            source_name=source_name,
            sha256=result.sha256,
            imported_by_id=imported_by_id,
            now=now,
        )
    except (IntegrityError, OperationalError) as exc:
        # PostgreSQL: the loser hits the unique version key. SQLite: its snapshot is stale and
        # it cannot take the write lock ("database is locked").
        if isinstance(exc, OperationalError) and "locked" not in str(exc):
            raise
        db.rollback()
        raise ImportConflict() from None
    return result
