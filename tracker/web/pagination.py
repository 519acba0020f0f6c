"""Pages of long lists: one count query and one slice query."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Select, func, select
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

T = TypeVar("T")
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def as_dict(self) -> dict[str, Any]:
        return {"page": self.number, "per_page": self.per_page, "total": self.total, "pages": self.pages}


def clamp(page: int, per_page: int) -> tuple[int, int]:
    # A page past MAX_PAGE is as empty as any page past the last, and its offset still fits the
    # database's integers (PostgreSQL refuses an OFFSET beyond 64 bits).
    return min(max(1, page), MAX_PAGE), min(max(1, per_page), MAX_PER_PAGE)


def _bounds(db: Session, stmt: Any, page: int, per_page: int) -> tuple[int, int, int]:
    page, per_page = clamp(page, per_page)
    total = db.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    return page, per_page, total


def paginate(
    db: Session, stmt: SelectOfScalar[T], page: int = 1, per_page: int = DEFAULT_PER_PAGE
) -> Page[T]:
    page, per_page, total = _bounds(db, stmt, page, per_page)
    items = list(db.exec(stmt.offset((page - 1) * per_page).limit(per_page)))
    return Page(items=items, number=page, per_page=per_page, total=total)


def paginate_rows(
    db: Session,
    stmt: Select[Any],
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    *,
    total: int | None = None,
) -> Page[Row[Any]]:
    """A page of a select of several entities (rows of tuples); ``total`` when the caller has
    counted the rows already (no second count)."""
    if total is None:
        page, per_page, total = _bounds(db, stmt, page, per_page)
    else:
        page, per_page = clamp(page, per_page)
    rows = list(db.execute(stmt.offset((page - 1) * per_page).limit(per_page)).all())
    return Page(items=rows, number=page, per_page=per_page, total=total)
