"""/rate: the applicant of a decided case rates it with the code the department gave them.

No account and no JavaScript: two plain forms (the code, then the rating) that work on a phone.
Every answer about a code is the same whether the code is malformed, unknown, replaced or spent,
so that the form never says whether a case exists. Attempts are counted per client address in
the database (so the limit holds across workers), before the code is even looked at.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Template
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from powerlists.columns import utcnow
from powerlists.messages import N_
from powerlists.models import Department, PowerItem
from tracker.calendar_store import load_calendar
from tracker.cases.ingest import ingest
from tracker.db import begin_writing
from tracker.i18n import gettext as _
from tracker.ratings.bad_reviews import FollowUpError, record_verdict, verdict_due
from tracker.ratings.codes import Holder, unspent_holder
from tracker.ratings.models import DIMENSIONS, Channel, Rating, RatingKind
from tracker.web.caching import NO_STORE
from tracker.web.client_limits import limit_attempts
from tracker.web.forms import DB, FormData, text
from tracker.web.runtime import runtime

ATTEMPTS = 10  # code checks per client address per window: plenty for typing mistakes
WINDOW = timedelta(minutes=10)
NOT_VALID = N_(
    "This code is not valid, or it has already been used. Check it against the slip or message you received."
)


def _code_page(error: str = "", status: int = 200) -> Template:
    return Template("ratings/code.html", context={"error": error}, status_code=status, headers=NO_STORE)


def _form_page(
    db: Session, holder: Holder, code: str, form: dict[str, str], error: str, status: int
) -> Template:
    case = holder.case
    department = db.get(Department, case.department_id)
    item = db.get(PowerItem, case.power_item_id) if case.power_item_id else None
    return Template(
        "ratings/form.html",
        context={
            "code": code,
            "department": department,
            "item": item,
            "case": case,
            "form": form,
            "error": error,
            "dimensions": DIMENSIONS,
        },
        status_code=status,
        headers=NO_STORE,
    )


class RateController(Controller):
    path = "/rate"
    include_in_schema = False

    @get("/", name="rate", sync_to_thread=True)
    def start(self) -> Template:
        return _code_page()

    @post("/", name="rate_code", sync_to_thread=True)
    def check_code(self, request: Request[Any, Any, Any], db_session: DB, data: FormData) -> Template:
        limit_attempts(request, "rate", ATTEMPTS, WINDOW)
        code = text(data, "code")
        holder = unspent_holder(db_session, code)
        if holder is None:
            return self._verdict_or_refusal(db_session, code, "")
        return _form_page(db_session, holder, code, {}, "", 200)

    @staticmethod
    def _verdict_or_refusal(db: Session, code: str, error: str) -> Template:
        """A spent code still opens one thing: the verdict on the follow-up of its bad review."""
        waiting = verdict_due(db, code)
        if waiting is None:
            return _code_page(_(NOT_VALID), 400)
        review, rating = waiting
        context = {"code": code, "review": review, "rating": rating, "error": error}
        return Template(
            "ratings/verdict.html", context=context, status_code=400 if error else 200, headers=NO_STORE
        )

    @post("/verdict", name="rate_verdict", sync_to_thread=True)
    def verdict(self, request: Request[Any, Any, Any], db_session: DB, data: FormData) -> Template:
        limit_attempts(request, "rate", ATTEMPTS, WINDOW)
        code = text(data, "code")
        waiting = verdict_due(db_session, code)
        if waiting is None:
            return _code_page(_(NOT_VALID), 400)
        choice = text(data, "satisfied")
        if choice not in ("yes", "no"):
            return self._verdict_or_refusal(db_session, code, _("Say whether you are satisfied."))
        review, rating = waiting
        try:
            verdict = record_verdict(
                db_session,
                review,
                rating,
                satisfied=choice == "yes",
                comment=text(data, "comment"),
                channel=Channel.web,
                now=utcnow(),
            )
            db_session.commit()
        except FollowUpError as exc:
            db_session.rollback()
            return self._verdict_or_refusal(db_session, code, _(exc.message, **exc.args_))
        except IntegrityError:  # the same verdict sent twice at once: the first one counts
            db_session.rollback()
            return _code_page(_(NOT_VALID), 400)
        return Template("ratings/verdict_thanks.html", context={"verdict": verdict}, headers=NO_STORE)

    @post("/rating", name="rate_submit", sync_to_thread=True)
    def submit(self, request: Request[Any, Any, Any], db_session: DB, data: FormData) -> Response[Any]:
        limit_attempts(request, "rate", ATTEMPTS, WINDOW)
        code = text(data, "code")
        holder = unspent_holder(db_session, code)
        if holder is None:
            return _code_page(_(NOT_VALID), 400)
        form = {k: text(data, k) for k in ("level", "comment", *DIMENSIONS)}
        now = utcnow()
        event = {
            "case": holder.case.ref,
            "type": "rated",
            "at": now.isoformat(),
            "channel": Channel.web.value,
            **{k: v for k, v in form.items() if v},
        }
        rt = runtime(request)
        begin_writing(db_session)
        [result] = ingest(
            db_session,
            holder.case.department_id,
            [event],
            now=now,
            channel=Channel.web.value,
            cal=load_calendar(db_session),
            tz=rt.settings.tz,
        )
        if result.status != "stored":
            db_session.rollback()
            message = _(result.reason, **(result.reason_args or {})) if result.reason else _(NOT_VALID)
            return _form_page(db_session, holder, code, form, message, 400)
        rating = db_session.exec(
            select(Rating).where(Rating.case_id == holder.case.id, Rating.kind == RatingKind.rating)
        ).one()
        db_session.commit()
        return Template("ratings/thanks.html", context={"rating": rating}, headers=NO_STORE)
