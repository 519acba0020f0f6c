"""Supervisors follow the new flags of a department (or all) and a kind (or all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from powerlists.messages import N_
from powerlists.models import Department
from tracker.accounts.models import Role, User
from tracker.flags.queries import KINDS  # every kind a flag can have, as the queue lists them
from tracker.notify.inbox import supervisors
from tracker.notify.models import Subscription

ALL_DEPARTMENTS = 0
ALL_KINDS = ""
SUBSCRIBERS = frozenset({Role.supervisor, Role.admin})


class SubscriptionError(Exception):
    """A subscription that cannot be made; the message is translatable, with arguments."""

    def __init__(self, message: str, **args: object) -> None:
        self.message, self.args_ = message, args
        super().__init__(message % args if args else message)


def subscribe(db: Session, user: User, department_id: int, kind: str, now: datetime) -> Subscription:
    """Follow ``department_id`` (0: all) and ``kind`` ('': all); subscribing twice keeps one. The
    caller commits."""
    if user.role not in SUBSCRIBERS:
        raise SubscriptionError(N_("Only supervisors follow flags."))
    if department_id != ALL_DEPARTMENTS and db.get(Department, department_id) is None:
        raise SubscriptionError(N_("Choose a department."))
    if kind != ALL_KINDS and kind not in KINDS:
        raise SubscriptionError(N_("There is no kind of flag %(kind)r."), kind=kind)
    existing = db.exec(
        select(Subscription).where(
            Subscription.user_id == user.id,
            Subscription.department_id == department_id,
            Subscription.kind == kind,
        )
    ).first()
    if existing is not None:
        return existing
    row = Subscription(user_id=user.id, department_id=department_id, kind=kind, created_at=now)  # type: ignore[arg-type]
    db.add(row)
    db.flush()
    return row


def unsubscribe(db: Session, user: User, subscription_id: int) -> bool:
    """Stop following; False when ``user`` has no such subscription (someone else's counts as none)."""
    row = db.get(Subscription, subscription_id)
    if row is None or row.user_id != user.id:
        return False
    db.delete(row)
    db.flush()
    return True


def subscriptions_of(db: Session, user: User) -> list[Subscription]:
    stmt = select(Subscription).where(Subscription.user_id == user.id)
    return list(db.exec(stmt.order_by(col(Subscription.department_id), col(Subscription.kind))))


@dataclass(frozen=True)
class Followers:
    """Every active supervisor and what each follows, read once per run of the notifier."""

    by_id: dict[int, User]
    follows: tuple[tuple[int, int, str], ...]  # (user_id, department_id, kind)

    def of(self, department_id: int, kind: str) -> list[User]:
        """The supervisors following flags of this department and kind."""
        ids = {
            user_id
            for user_id, dept, k in self.follows
            if dept in (ALL_DEPARTMENTS, department_id) and k in (ALL_KINDS, kind)
        }
        return [self.by_id[i] for i in sorted(ids) if i in self.by_id]

    def of_or_all(self, department_id: int, kind: str) -> list[User]:
        """The followers, or every supervisor when nobody follows: a department's answer is never lost."""
        return self.of(department_id, kind) or list(self.by_id.values())


def followers(db: Session) -> Followers:
    by_id = {u.id: u for u in supervisors(db) if u.id is not None}
    rows = db.exec(select(Subscription.user_id, Subscription.department_id, Subscription.kind))
    return Followers(by_id, tuple((u, d, k) for u, d, k in rows))
