"""Creating users, changing their role or department, disabling them, signing them in.

Any change to what a user may do ends their sessions at once: a disabled user or
one whose role changed must sign in again under the new rights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from powerlists.messages import N_
from powerlists.models import Department
from tracker.accounts.models import Role, User
from tracker.accounts.passwords import hash_password, password_problem, verify_password
from tracker.accounts.sessions import end_user_sessions

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    def __init__(self, field: str, message: str, **args: Any):
        self.field, self.message, self.args_ = field, message, args
        super().__init__(f"{field}: {message % args if args else message}")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def by_email(db: Session, email: str) -> User | None:
    return db.exec(select(User).where(User.email == normalize_email(email))).first()


@dataclass
class Rights:
    role: Role
    department_id: int | None


def _check_rights(db: Session, role: str, department_id: int | None) -> Rights:
    try:
        parsed = Role(role)
    except ValueError:
        raise AccountError("role", N_("Unknown role %(value)r."), value=role) from None
    if parsed is Role.operator:
        if department_id is None:
            raise AccountError("department", N_("An operator must belong to a department."))
        if db.get(Department, department_id) is None:
            raise AccountError("department", N_("No such department."))
        return Rights(parsed, department_id)
    if department_id is not None:
        # Admins and supervisors see every department; binding them to one would mislead.
        raise AccountError("department", N_("Only operators belong to a department."))
    return Rights(parsed, None)


def create_user(
    db: Session,
    *,
    email: str,
    password: str,
    role: str,
    department_id: int | None = None,
    display_name: str = "",
    now: datetime,
) -> User:
    email = normalize_email(email)
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise AccountError("email", N_("%(value)r is not an email address."), value=email)
    if by_email(db, email) is not None:
        raise AccountError("email", N_("A user with the email %(value)r already exists."), value=email)
    problem = password_problem(password)
    if problem:
        raise AccountError("password", problem)
    rights = _check_rights(db, role, department_id)
    user = User(
        email=email,
        display_name=display_name.strip()[:100],
        password_hash=hash_password(password),
        role=rights.role,
        department_id=rights.department_id,
        created_at=now,
    )
    db.add(user)
    db.flush()
    return user


def change_rights(
    db: Session,
    user: User,
    *,
    role: str,
    department_id: int | None,
    is_active: bool,
    display_name: str,
    actor_id: int | None = None,
) -> bool:
    """Apply an admin's edit; returns True when the user's sessions were ended."""
    rights = _check_rights(db, role, department_id)
    if actor_id is not None and actor_id == user.id and (rights.role is not Role.admin or not is_active):
        # Locking oneself out can leave a region with no administrator.
        raise AccountError("role", N_("You cannot remove your own administrator rights or disable yourself."))
    changed = (
        rights.role != user.role or rights.department_id != user.department_id or is_active != user.is_active
    )
    user.role = rights.role
    user.department_id = rights.department_id
    user.is_active = is_active
    user.display_name = display_name.strip()[:100]
    db.add(user)
    if changed:
        end_user_sessions(db, user.id)  # type: ignore[arg-type]
    db.flush()
    return changed


def change_password(db: Session, user: User, new_password: str, *, keep_token: str | None) -> None:
    """Set a new password and end every other session of the user."""
    problem = password_problem(new_password)
    if problem:
        raise AccountError("new_password", problem)
    user.password_hash = hash_password(new_password)
    db.add(user)
    end_user_sessions(db, user.id, keep_token=keep_token)  # type: ignore[arg-type]
    db.flush()


def check_credentials(db: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None; rehashes outdated hashes."""
    user = by_email(db, email)
    ok, new_hash = verify_password(password, user.password_hash if user else None)
    if not ok or user is None or not user.is_active:
        return None
    if new_hash:
        user.password_hash = new_hash
        db.add(user)
    return user
