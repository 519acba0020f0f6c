"""Department scoping: the one place that decides which departments' data a user may read or change.

An operator sees only their own department; admins and supervisors see all.
Another department's object answers 404, not 403, so its existence is not revealed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from litestar.exceptions import NotFoundException
from sqlmodel import Session, SQLModel
from sqlmodel.sql.expression import SelectOfScalar

from tracker.accounts.models import Role, User

M = TypeVar("M", bound=SQLModel)
S = TypeVar("S", bound=SelectOfScalar[Any])


def visible_department(user: User) -> int | None:
    """The only department this user may see, or None for all of them."""
    if user.role == Role.operator:
        if user.department_id is None:  # the account rules forbid it; never fail open
            raise NotFoundException()
        return user.department_id
    return None


def can_see_department(user: User, department_id: int) -> bool:
    only = visible_department(user)
    return only is None or only == department_id


def restrict(stmt: S, department_column: Any, user: User) -> S:
    only = visible_department(user)
    return stmt if only is None else stmt.where(department_column == only)


def get_in_scope(
    db: Session, model: type[M], ident: int, user: User, *, department_attr: str = "department_id"
) -> M:
    obj = db.get(model, ident)
    if obj is None or not can_see_department(user, getattr(obj, department_attr)):
        raise NotFoundException()
    return obj
