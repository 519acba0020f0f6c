"""Audit entries for records written outside the hot paths: a published power list."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from powerlists.importer import load_items
from powerlists.models import Department, ListStatus, PowerList
from tracker.audit.chain import Change, append


def record_publication(db: Session, power_list: PowerList, now: datetime) -> None:
    """The list as published, every item in its export shape; the caller commits."""
    if power_list.status != ListStatus.published:
        return
    department = db.get(Department, power_list.department_id)
    assert department is not None and power_list.id is not None
    record = {
        "department": department.code,
        "version": power_list.version,
        "effective_from": power_list.effective_from,
        "published_at": power_list.published_at or now,
        "source_name": power_list.source_name,
        "source_sha256": power_list.source_sha256,
        "items": [item.as_dict() for item in load_items(db, power_list.id)],
    }
    append(db, [Change("power_list", f"{department.code}/{power_list.version}", record)], at=now)
