"""Bad reviews (差评): opened with the rating, followed up by the department, judged by the citizen.

- A rating of 1 or 2 opens a ``BadReview`` due ``bad_review_workdays`` (15) working days after the
  local day it was given, at the end of that day.
- The department's operator records the follow-up: when the citizen was contacted, what was done
  (kept for the department and supervisors), and a reply that is published next to the comment
  (masked as comments are).
- The citizen may then say, with the same code, whether they are satisfied: a ``follow_up``
  rating that follows the bad one, once.
- The scheduler raises ``bad_review_overdue`` (yellow) when the deadline passed without a
  follow-up, or the follow-up came after it; see ``raise_overdue``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from powerlists.messages import N_
from tracker.accounts.models import Role, User
from tracker.audit.chain import Change, append, utc_text
from tracker.calendar import WorkCalendar
from tracker.cases.models import Case, CaseEvent
from tracker.db import begin_writing
from tracker.flags.models import NO_STEP, Flag, FlagStatus, Level, ScanMark
from tracker.flags.scans import Raised, record_flags
from tracker.notify.inbox import Message, department_operators, notify
from tracker.ratings.codes import holder_of
from tracker.ratings.masking import mask_personal_data
from tracker.ratings.models import BadReview, Channel, Rating, RatingKind, ReviewStatus
from tracker.ratings.record import case_names
from tracker.settings import Settings
from tracker.sla import add_working_days, end_of_day

OVERDUE = "bad_review_overdue"
MAX_TEXT = 2000
MAX_COMMENT = 500


class FollowUpError(ValueError):
    def __init__(self, message: str, **args: object) -> None:
        self.message, self.args_ = message, args
        super().__init__(message % args if args else message)


def due_for(rated_at: datetime, days: int, cal: WorkCalendar, tz: ZoneInfo) -> datetime:
    due, _walk = add_working_days(cal, rated_at.astimezone(tz).date(), days)
    return end_of_day(due, tz)


def open_review(db: Session, rating: Rating, *, due_at: datetime, now: datetime) -> BadReview:
    assert rating.id is not None
    review = BadReview(
        rating_id=rating.id,
        case_id=rating.case_id,
        department_id=rating.department_id,
        opened_at=now,
        due_at=due_at,
    )
    db.add(review)
    return review


def is_overdue(review: BadReview, now: datetime) -> bool:
    """The deadline passed with no follow-up, or the follow-up came after it."""
    done = review.rectified_at
    return (done is None and now > review.due_at) or (done is not None and done > review.due_at)


def follow_up(
    db: Session,
    review: BadReview,
    user: User,
    *,
    contacted_on: date | None,
    action: str,
    reply: str,
    now: datetime,
    tz: ZoneInfo,
) -> None:
    """The department's follow-up, once; the caller commits."""
    if user.role != Role.operator or user.department_id != review.department_id:
        raise FollowUpError(N_("Only the department's operators record its follow-up."))
    if review.status != ReviewStatus.open:
        raise FollowUpError(N_("The follow-up of this bad review is already recorded."))
    action, reply = action.strip(), reply.strip()
    if not action or not reply:
        raise FollowUpError(N_("Write what the department did and its reply to the citizen."))
    if len(action) > MAX_TEXT or len(reply) > MAX_TEXT:
        raise FollowUpError(N_("Write at most %(max)d characters."), max=MAX_TEXT)
    today = now.astimezone(tz).date()
    if contacted_on is not None and contacted_on > today:
        raise FollowUpError(N_("The contact date %(date)s is in the future."), date=contacted_on.isoformat())
    names = case_names(db, review.case_id, review.department_id)
    review.status = ReviewStatus.rectified
    review.contacted_at = end_of_day(contacted_on, tz) if contacted_on else None
    review.action, review.reply = action, mask_personal_data(reply, names).text
    review.rectified_at, review.rectified_by = now, user.id
    db.add(review)
    db.flush()
    record = {
        "bad_review_id": review.id,
        "rating_id": review.rating_id,
        "case_id": review.case_id,
        "by": user.id,
        "contacted_on": contacted_on.isoformat() if contacted_on else None,
        "reply": review.reply,
        "at": utc_text(now),
        "due_at": utc_text(review.due_at),
    }
    append(db, [Change("bad_review_follow_up", str(review.id), record)], at=now)


def verdict_due(db: Session, code: str) -> tuple[BadReview, Rating] | None:
    """What a spent code still opens: its case's followed-up bad review, until the citizen judges it."""
    holder = holder_of(db, code)
    if holder is None or holder.case.id is None:
        return None
    return awaiting_verdict(db, holder.case.id)


def awaiting_verdict(db: Session, case_id: int) -> tuple[BadReview, Rating] | None:
    """The case's followed-up bad review and its rating, while the citizen has not judged it."""
    found = db.execute(
        select(BadReview, Rating)
        .join(Rating, col(Rating.id) == col(BadReview.rating_id))
        .where(
            col(BadReview.case_id) == case_id,
            col(BadReview.status) == ReviewStatus.rectified,
            ~exists().where(col(Rating.case_id) == case_id, col(Rating.kind) == RatingKind.follow_up),
        )
    ).first()
    return (found[0], found[1]) if found else None


def record_verdict(
    db: Session,
    review: BadReview,
    rating: Rating,
    *,
    satisfied: bool,
    comment: str,
    channel: Channel,
    now: datetime,
) -> Rating:
    """The citizen's verdict on the follow-up, once (the unique (case, kind) key decides a race)."""
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise FollowUpError(N_("comment is longer than %(limit)d characters."), limit=MAX_COMMENT)
    names = case_names(db, rating.case_id, rating.department_id)
    masked = mask_personal_data(comment, names)
    verdict = Rating(
        case_id=rating.case_id,
        department_id=rating.department_id,
        power_item_id=rating.power_item_id,
        power_code=rating.power_code,
        kind=RatingKind.follow_up,
        satisfied=satisfied,
        comment=comment,
        comment_public=masked.text,
        masked=list(masked.kinds),
        channel=channel,
        rated_at=now,
        recorded_at=now,
        follows_id=rating.id,
    )
    db.add(verdict)
    db.flush()
    record = {
        "rating_id": verdict.id,
        "follows": rating.id,
        "case_id": rating.case_id,
        "satisfied": satisfied,
        "comment": masked.text,
        "channel": channel.value,
        "at": utc_text(now),
    }
    append(db, [Change("rating_follow_up", str(verdict.id), record)], at=now)
    return verdict


NOTICE_SUBJECT = N_("A bad review of case %(case)s needs your follow-up")
NOTICE_BODY = N_(
    "The applicant of case %(case)s rated it %(rating)s. Contact them, record what you did and "
    "publish your reply by %(due_at)s."
)
NOTICE_MARK = "bad_review_notices"


def announce(db: Session, now: datetime, settings: Settings | None = None) -> int:
    """Tell the department's operators of each bad review opened since the last run, once (the
    inbox keeps one message per user and key), by e-mail too when ``settings`` has SMTP on."""
    begin_writing(db)  # it reads, then writes what it read: SQLite must not let another writer in between
    mark = db.get(ScanMark, NOTICE_MARK)
    since = mark.until if mark else None
    query = (
        select(BadReview, col(Case.ref), col(Rating.level))
        .join(Case, col(Case.id) == col(BadReview.case_id))
        .join(Rating, col(Rating.id) == col(BadReview.rating_id))
        .where(col(BadReview.opened_at) <= now)
        .order_by(col(BadReview.id))
    )
    if since is not None:
        query = query.where(col(BadReview.opened_at) > since)
    sent = 0
    operators: dict[int, list[User]] = {}
    for review, ref, level in db.execute(query).tuples():
        if review.department_id not in operators:
            operators[review.department_id] = department_operators(db, review.department_id)
        message = Message(
            NOTICE_SUBJECT,
            NOTICE_BODY,
            {"case": ref, "rating": level, "due_at": review.due_at.isoformat()},
            f"/ratings/{review.rating_id}",
        )
        sent += notify(
            db,
            operators[review.department_id],
            f"bad_review:{review.id}",
            message,
            now=now,
            settings=settings,
        )
    db.merge(ScanMark(name=NOTICE_MARK, until=now))
    db.flush()
    return sent


_flag = Flag.__table__  # type: ignore[attr-defined]


def raise_overdue(db: Session, now: datetime) -> list[Raised]:
    """``bad_review_overdue`` (yellow) for each bad review whose deadline passed with no follow-up,
    or whose follow-up came after it; once each (unique key, ON CONFLICT DO NOTHING), however
    often and however late the scheduler runs."""
    begin_writing(db)  # it reads, then writes what it read: SQLite must not let another writer in between
    rated_event = (
        select(col(CaseEvent.id))
        .where(col(CaseEvent.case_id) == col(BadReview.case_id), col(CaseEvent.type) == "rated")
        .order_by(col(CaseEvent.id))
        .limit(1)
        .scalar_subquery()
    )
    already = exists().where(
        _flag.c.case_id == col(BadReview.case_id),
        _flag.c.kind == OVERDUE,
        _flag.c.step == NO_STEP,
        _flag.c.origin_id == col(BadReview.id),
    )
    due = db.execute(
        select(BadReview, col(Case.ref), rated_event.label("event_id"))
        .join(Case, col(Case.id) == col(BadReview.case_id))
        .where(
            col(BadReview.due_at) < now,
            or_(col(BadReview.rectified_at).is_(None), col(BadReview.rectified_at) > col(BadReview.due_at)),
            ~already,
        )
        .order_by(col(BadReview.id))
    ).all()
    if not due:
        return []
    rows: list[dict[str, Any]] = [
        {
            "case_id": review.case_id,
            "department_id": review.department_id,
            "kind": OVERDUE,
            "level": Level.yellow.value,
            "step": NO_STEP,
            "since": review.due_at,
            "detected_at": now,
            "params": {"rating": review.rating_id, "due_at": review.due_at.isoformat()},
            "evidence": [event_id] if event_id is not None else [],
            "status": FlagStatus.open.value,
            "origin_id": review.id,
        }
        for review, _ref, event_id in due
    ]
    refs = {review.case_id: ref for review, ref, _e in due}
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_flag).values(rows).on_conflict_do_nothing().returning(_flag)
    stored = [dict(row) for row in db.execute(statement).mappings()]
    record_flags(db, stored, refs, now)
    return [
        Raised(r["case_id"], refs[r["case_id"]], OVERDUE, r["level"], NO_STEP, r["since"]) for r in stored
    ]
