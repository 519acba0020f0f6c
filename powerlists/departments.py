"""Adding, editing and listing departments.

Problems are returned as (field, message) pairs with English message ids that
the caller translates, so the CLI, the admin form and tests share one rule set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from powerlists.messages import N_
from powerlists.models import Department

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
PHONE_PATTERN = re.compile(r"^[0-9+()\- ]{3,32}$")


class DepartmentError(ValueError):
    def __init__(self, problems: list[tuple[str, str, dict[str, Any]]]):
        self.problems = problems
        super().__init__("; ".join(f"{field}: {msg % args}" for field, msg, args in problems))


@dataclass
class DepartmentInput:
    code: str
    name: str
    name_en: str = ""
    parent_code: str = ""
    phone: str = ""
    website: str = ""

    def cleaned(self) -> DepartmentInput:
        return DepartmentInput(
            code=self.code.strip(),
            name=self.name.strip(),
            name_en=self.name_en.strip(),
            parent_code=self.parent_code.strip(),
            phone=self.phone.strip(),
            website=self.website.strip(),
        )


def by_code(db: Session, code: str) -> Department | None:
    return db.exec(select(Department).where(Department.code == code)).first()


def _check(db: Session, data: DepartmentInput, existing: Department | None) -> tuple[int | None, list[Any]]:
    problems: list[tuple[str, str, dict[str, Any]]] = []
    if not CODE_PATTERN.match(data.code):
        problems.append(
            ("code", N_("Code %(value)r: use 1–32 letters, digits, '.', '_' or '-'."), {"value": data.code})
        )
    else:
        other = by_code(db, data.code)
        if other is not None and (existing is None or other.id != existing.id):
            problems.append(("code", N_("Code %(value)r is already used."), {"value": data.code}))
    if not data.name:
        problems.append(("name", N_("The Chinese name is required."), {}))
    elif len(data.name) > 200:
        problems.append(("name", N_("The name is longer than 200 characters."), {}))
    if len(data.name_en) > 200:
        problems.append(("name_en", N_("The name is longer than 200 characters."), {}))
    if data.phone and not PHONE_PATTERN.match(data.phone):
        problems.append(
            ("phone", N_("Phone %(value)r: use digits, spaces, +, - and ()."), {"value": data.phone})
        )
    if data.website and not re.match(r"^https?://\S+$", data.website):
        problems.append(
            ("website", N_("Website %(value)r: start with http:// or https://."), {"value": data.website})
        )
    parent_id: int | None = None
    if data.parent_code:
        parent = by_code(db, data.parent_code)
        if parent is None:
            problems.append(
                ("parent", N_("No department has the code %(value)r."), {"value": data.parent_code})
            )
        elif existing is not None and _is_descendant_or_self(db, parent, existing):
            problems.append(
                ("parent", N_("Department %(value)r cannot be its own parent."), {"value": data.parent_code})
            )
        else:
            parent_id = parent.id
    return parent_id, problems


def _is_descendant_or_self(db: Session, candidate: Department, department: Department) -> bool:
    node: Department | None = candidate
    seen: set[int] = set()
    while node is not None and node.id not in seen:
        if node.id == department.id:
            return True
        seen.add(node.id)  # type: ignore[arg-type]
        node = db.get(Department, node.parent_id) if node.parent_id else None
    return False


def add_department(db: Session, data: DepartmentInput) -> Department:
    data = data.cleaned()
    parent_id, problems = _check(db, data, None)
    if problems:
        raise DepartmentError(problems)
    department = Department(
        code=data.code,
        name=data.name,
        name_en=data.name_en,
        parent_id=parent_id,
        phone=data.phone,
        website=data.website,
    )
    db.add(department)
    db.flush()
    return department


def update_department(db: Session, department: Department, data: DepartmentInput) -> Department:
    data = data.cleaned()
    parent_id, problems = _check(db, data, department)
    if problems:
        raise DepartmentError(problems)
    department.code = data.code
    department.name = data.name
    department.name_en = data.name_en
    department.parent_id = parent_id
    department.phone = data.phone
    department.website = data.website
    db.add(department)
    db.flush()
    return department


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern with its own ``%`` and ``_`` matching literally (escape ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_statement(search: str = "") -> SelectOfScalar[Department]:
    """Departments whose code or either name contains ``search``, by code."""
    stmt = select(Department).order_by(Department.code)
    if search.strip():
        pattern = "%" + like_literal(search.strip()) + "%"
        stmt = stmt.where(
            col(Department.code).ilike(pattern, escape="\\")
            | col(Department.name).ilike(pattern, escape="\\")
            | col(Department.name_en).ilike(pattern, escape="\\")
        )
    return stmt


def list_departments(db: Session, search: str = "") -> list[Department]:
    return list(db.exec(search_statement(search)))


def as_public_dict(department: Department, parent_codes: dict[int, str]) -> dict[str, Any]:
    """The public JSON shape of a department (the CLI's `departments list --format json` and the API)."""
    return {
        "code": department.code,
        "name": department.name,
        "name_en": department.name_en,
        "parent": parent_codes.get(department.parent_id) if department.parent_id else None,
        "phone": department.phone,
        "website": department.website,
    }


def parent_code_map(db: Session) -> dict[int, str]:
    return {d_id: code for d_id, code in db.exec(select(Department.id, Department.code)) if d_id is not None}
