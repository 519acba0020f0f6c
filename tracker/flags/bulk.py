"""One supervising action on many flags at once: all of them, or none.

Each flag goes through ``review.act`` like a single one, so it gets its own FlagAction with the
same reason. If any selected flag cannot take the action, nothing is recorded and every refusal
is reported with the flag it concerns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from powerlists.messages import N_
from tracker.accounts.models import User
from tracker.calendar import WorkCalendar
from tracker.flags.models import Flag, FlagAction
from tracker.flags.review import MAX_TEXT, ReviewError, act
from tracker.flags.subjects import subject_ref, with_subject
from tracker.thresholds import Thresholds

# The supervisors' decisions that need nothing but a reason. Accepting a rectification or
# sending it back needs reading each report, so those stay on the flag's own page.
BULK_ACTIONS = ("confirm", "dismiss", "exempt", "request_explanation", "reopen")
MAX_SELECTED = 500  # one page of decisions a person can stand behind, and one short transaction


@dataclass(frozen=True)
class Problem:
    """Why one selected flag cannot take the action (``case`` is empty for an unknown id)."""

    flag_id: int
    case: str
    message: str
    args: dict[str, object] = field(default_factory=dict)


class BulkRefused(Exception):
    """Nothing was recorded: a general ``message``, or the ``problems`` of some selected flags."""

    def __init__(self, message: str = "", problems: Sequence[Problem] = (), **args: object) -> None:
        self.message, self.args_, self.problems = message, args, list(problems)
        super().__init__(message % args if args else message or f"{len(self.problems)} flag(s) refused")


def parse_ids(values: Sequence[str]) -> list[int]:
    """The selected flag ids from a form (each once, in the order given)."""
    ids: list[int] = []
    for value in values:
        if not value.isascii() or not value.isdigit():
            raise BulkRefused(N_("“%(value)s” is not a flag number."), value=value)
        if int(value) not in ids:
            ids.append(int(value))
    return ids


def act_on_many(
    db: Session,
    ids: Sequence[int],
    action: str,
    user: User,
    text: str,
    *,
    now: datetime,
    cal: WorkCalendar,
    tz: ZoneInfo,
    thresholds: Thresholds,
) -> list[FlagAction]:
    """Take ``action`` on every flag of ``ids`` as ``user``, or raise ``BulkRefused`` having
    recorded nothing; the caller commits."""
    if action not in BULK_ACTIONS:
        raise BulkRefused(N_("“%(action)s” cannot be taken on several flags at once."), action=action)
    if not ids:
        raise BulkRefused(N_("Select at least one flag."))
    if len(ids) > MAX_SELECTED:
        raise BulkRefused(
            N_("Select at most %(max)d flags at once (%(count)d were selected)."),
            max=MAX_SELECTED,
            count=len(ids),
        )
    # Said once here rather than once per flag by ``act``.
    if not text.strip():
        raise BulkRefused(N_("Write the reason: it is recorded with every selected flag."))
    if len(text.strip()) > MAX_TEXT:
        raise BulkRefused(N_("Write at most %(max)d characters."), max=MAX_TEXT)
    # Locked in id order (PostgreSQL; SQLite's writer holds the database): two supervisors acting
    # on overlapping selections queue up, and the second sees the first one's statuses.
    found = {
        flag.id: (flag, ref)
        for flag, ref in db.execute(
            with_subject(select(Flag, subject_ref()))
            .where(col(Flag.id).in_(ids))
            .order_by(col(Flag.id))
            .with_for_update(of=Flag)
            .execution_options(populate_existing=True)
        ).tuples()
    }
    problems = [Problem(i, "", N_("There is no such flag.")) for i in ids if i not in found]
    records: list[FlagAction] = []
    # A savepoint, so that a refusal undoes the flags already acted on and nothing else.
    with db.begin_nested():
        for flag_id in ids:
            if flag_id not in found:
                continue
            flag, ref = found[flag_id]
            try:
                records.append(
                    act(db, flag, action, user, text, now=now, cal=cal, tz=tz, thresholds=thresholds)
                )
            except ReviewError as exc:
                problems.append(Problem(flag_id, ref, exc.message, exc.args_))
        if problems:
            order = {flag_id: n for n, flag_id in enumerate(ids)}
            raise BulkRefused(problems=sorted(problems, key=lambda p: order[p.flag_id]))
    return records
