"""Citizen ratings (好差评): rating codes, /rate, ratings reported by departments, masking."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, select

from tests.conftest import Cast, csrf_from
from tests.test_cases_ingest import SHANGHAI, case, received, send, token_for
from tracker.audit.models import AuditEntry
from tracker.calendar import OFFICIAL
from tracker.cases.models import CaseEvent
from tracker.exports.scorecards import scorecards_bytes
from tracker.flags.models import Flag
from tracker.i18n import speaking
from tracker.notify.models import Notification
from tracker.notify.render import render
from tracker.ratings.bad_reviews import FollowUpError, announce, follow_up, raise_overdue
from tracker.ratings.codes import digest, generate, normalize
from tracker.ratings.invitations import invite_due
from tracker.ratings.models import BadReview, Rating, RatingCode, RatingInvitation
from tracker.scorecards.periods import parse_period
from tracker.scorecards.refresh import refresh

CODE = "7KQ2-M9XD-4HPA"


def decided(ref: str = "C-1") -> list[dict[str, Any]]:
    return [
        received(ref),
        {"case": ref, "type": "decided", "at": "2026-03-05T10:00:00", "outcome": "approved"},
    ]


def code_issued(ref: str = "C-1", code: str = CODE) -> dict[str, Any]:
    return {"case": ref, "type": "rating_code_issued", "at": "2026-03-05T10:01:00", "code": code}


def rated(ref: str = "C-1", level: int = 5, **extra: Any) -> dict[str, Any]:
    return {
        "case": ref,
        "type": "rated",
        "at": "2026-03-06T09:00:00",
        "level": level,
        "channel": "window",
        **extra,
    }


def statuses(results: list[dict[str, Any]]) -> list[str]:
    return [r["status"] for r in results]


def ratings(db: Session) -> list[Rating]:
    db.rollback()  # a fresh snapshot: the web requests commit on their own connections
    return list(db.exec(select(Rating).order_by(Rating.id)))  # type: ignore[arg-type]


# Codes and ratings reported through the case event API


def test_a_code_is_kept_only_as_a_hash_never_in_the_event_or_the_audit_log(db: Session, listed: Cast) -> None:
    assert statuses(send(db, listed.dept_a.id, *decided(), code_issued())) == ["stored"] * 3
    [row] = db.exec(select(RatingCode)).all()
    assert row.code_hash == digest(CODE) and row.issued_via == "api" and row.used_at is None
    stored = "".join(str(e.data) for e in db.exec(select(CaseEvent)))
    logged = "".join(e.body for e in db.exec(select(AuditEntry)))
    for text in (CODE, normalize(CODE)):
        assert text not in stored and text not in logged


def test_a_case_that_is_not_decided_cannot_get_a_code_or_a_rating(db: Session, listed: Cast) -> None:
    results = send(db, listed.dept_a.id, received(), code_issued(), rated())
    assert statuses(results) == ["stored", "rejected", "rejected"]
    assert "is not decided" in results[1]["reason"] and "is not decided" in results[2]["reason"]
    assert db.exec(select(RatingCode)).all() == [] and ratings(db) == []


def test_a_second_rating_is_refused_and_replaces_nothing(db: Session, listed: Cast) -> None:
    send(db, listed.dept_a.id, *decided())
    assert statuses(send(db, listed.dept_a.id, rated(level=2, comment="太慢"))) == ["stored"]
    [again] = send(db, listed.dept_a.id, rated(level=5))
    assert again["status"] == "rejected" and "already been rated" in again["reason"]
    # Within one batch too.
    send(db, listed.dept_a.id, *decided("C-2"))
    assert statuses(send(db, listed.dept_a.id, rated("C-2", 4), rated("C-2", 1))) == ["stored", "rejected"]
    assert [(r.level, r.comment, r.channel) for r in ratings(db)] == [
        (2, "太慢", "window"),
        (4, "", "window"),
    ]


def test_a_reissued_code_replaces_the_unused_one_and_a_code_belongs_to_one_case(
    db: Session, listed: Cast
) -> None:
    send(db, listed.dept_a.id, *decided(), *decided("C-2"), code_issued())
    [taken] = send(db, listed.dept_a.id, code_issued("C-2"))
    assert taken["status"] == "rejected" and "another case" in taken["reason"]
    new = generate()
    assert statuses(send(db, listed.dept_a.id, code_issued(code=new))) == ["stored"]
    [row] = db.exec(select(RatingCode)).all()
    db.refresh(row)
    assert row.code_hash == digest(new)
    send(db, listed.dept_a.id, rated())
    [spent] = send(db, listed.dept_a.id, code_issued(code=generate()))
    assert spent["status"] == "rejected" and "has been rated" in spent["reason"]


def test_a_bad_code_or_rating_is_refused_naming_the_field(db: Session, listed: Cast) -> None:
    send(db, listed.dept_a.id, *decided())
    cases = [
        (code_issued(code="12345"), "code: a rating code has 10 to 32 letters and digits."),
        (rated(level=6), "level: a score from 1 to 5 is required, not 6."),
        (rated(attitude=0), "attitude: a score from 1 to 5 is required, not 0."),
        ({**rated(), "channel": "pigeon"}, "channel: 'pigeon' is not one of"),
        ({**rated(), "channel": None}, "channel is required."),
        ({**rated(), "channel": "web"}, "channel: 'web' is for ratings given on this site"),
        (rated(comment="长" * 501), "comment is longer than 500 characters."),
    ]
    for event, message in cases:
        [result] = send(db, listed.dept_a.id, event)
        assert result["status"] == "rejected" and result["reason"].startswith(message), (event, result)
    assert ratings(db) == []


def test_a_comment_is_masked_for_the_public_and_kept_whole_for_the_department(
    db: Session, listed: Cast
) -> None:
    send(db, listed.dept_a.id, {**decided()[0], "applicant": {"name": "张三丰"}}, decided()[1])
    comment = "张三丰的材料被退回三次，电话13812345678没人接"
    send(db, listed.dept_a.id, rated(level=1, comment=comment, efficiency=1))
    [rating] = ratings(db)
    assert rating.comment == comment and rating.efficiency == 1 and rating.bad
    assert "13812345678" not in rating.comment_public and "张三丰" not in rating.comment_public
    assert set(rating.masked) >= {"phone", "name"}
    [event] = db.exec(select(CaseEvent).where(CaseEvent.type == "rated")).all()
    assert event.data["comment"] == rating.comment_public and event.data["level"] == 1
    logged = "".join(e.body for e in db.exec(select(AuditEntry)))
    assert "13812345678" not in logged and "张三丰" not in logged


# /rate


def rate_code(client: TestClient[Litestar], code: str) -> Any:
    page = client.get("/rate")
    return client.post("/rate", data={"code": code, "csrf_token": csrf_from(page.text)})


def test_the_applicant_rates_on_the_rate_page_with_the_code(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    send(db, listed.dept_a.id, *decided(), code_issued())
    form = rate_code(anon, " 7kq2 m9xd 4hpa ")  # as typed from the slip
    assert (
        form.status_code == 200
        and "食品经营许可" in form.text
        and form.headers["cache-control"] == "no-store"
    )
    thanks = anon.post(
        "/rate/rating",
        data={
            "code": "7kq2m9xd4hpa",
            "level": "4",
            "attitude": "5",
            "comment": "很快",
            "csrf_token": csrf_from(form.text),
        },
    )
    assert thanks.status_code == 200, thanks.text
    [rating] = ratings(db)
    assert (rating.level, rating.attitude, rating.channel, rating.comment) == (4, 5, "web", "很快")
    db.rollback()
    code = db.exec(select(RatingCode)).one()
    db.refresh(code)
    assert code.used_at is not None
    assert case(db, "C-1").status == "decided"
    [event] = db.exec(select(CaseEvent).where(CaseEvent.type == "rated")).all()
    assert event.channel == "web"


def test_a_spent_code_and_a_wrong_one_get_the_same_answer(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    send(db, listed.dept_a.id, *decided(), code_issued())
    send(db, listed.dept_a.id, rated())
    spent, unknown, malformed = rate_code(anon, CODE), rate_code(anon, generate()), rate_code(anon, "x")
    assert spent.status_code == unknown.status_code == malformed.status_code == 400
    message = "This code is not valid, or it has already been used."
    assert all(message in r.text for r in (spent, unknown, malformed))
    # A rating posted straight to the second form with a spent code changes nothing either.
    page = anon.get("/rate")
    direct = anon.post("/rate/rating", data={"code": CODE, "level": "1", "csrf_token": csrf_from(page.text)})
    assert direct.status_code == 400 and [r.level for r in ratings(db)] == [5]


def test_the_rate_form_is_refused_without_its_csrf_token(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    send(db, listed.dept_a.id, *decided(), code_issued())
    anon.get("/rate")
    assert anon.post("/rate", data={"code": CODE}).status_code == 403
    assert anon.post("/rate/rating", data={"code": CODE, "level": "5"}).status_code == 403
    assert ratings(db) == []


def test_guessing_codes_is_stopped_after_ten_attempts_from_one_address(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    send(db, listed.dept_a.id, *decided(), code_issued())
    page = anon.get("/rate")
    token = csrf_from(page.text)
    answers = [
        anon.post("/rate", data={"code": generate(), "csrf_token": token}).status_code for _ in range(10)
    ]
    assert answers == [400] * 10
    blocked = anon.post("/rate", data={"code": CODE, "csrf_token": token})  # even the right one, now
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "600"


# The case page


def test_an_operator_gives_a_code_on_the_case_page_shown_once_and_it_rates_the_case(
    db: Session, listed: Cast, as_op_a: TestClient[Litestar], anon: TestClient[Litestar]
) -> None:
    send(db, listed.dept_a.id, *decided())
    case_id = case(db, "C-1").id
    page = as_op_a.get(f"/cases/{case_id}")
    assert "Not rated yet." in page.text
    answer = as_op_a.post(f"/cases/{case_id}/rating-code", data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    shown = re.search(r'<strong class="code">([0-9A-Z-]+)</strong>', answer.text)
    assert shown is not None
    code = shown.group(1)
    assert code not in as_op_a.get(f"/cases/{case_id}").text  # only once
    db.rollback()
    assert db.exec(select(RatingCode.issued_via)).one() == "form"
    form = rate_code(anon, code)
    anon.post("/rate/rating", data={"code": code, "level": "3", "csrf_token": csrf_from(form.text)})
    assert [r.level for r in ratings(db)] == [3]
    assert "Fairly satisfied" in as_op_a.get(f"/cases/{case_id}").text


def test_only_the_departments_operator_gives_codes(
    db: Session, listed: Cast, as_op_b: TestClient[Litestar], as_supervisor: TestClient[Litestar]
) -> None:
    send(db, listed.dept_a.id, *decided())
    case_id = case(db, "C-1").id
    token = csrf_from(as_supervisor.get(f"/cases/{case_id}").text)
    assert as_supervisor.post(f"/cases/{case_id}/rating-code", data={"csrf_token": token}).status_code == 403
    other = csrf_from(as_op_b.get("/cases/").text)
    assert as_op_b.post(f"/cases/{case_id}/rating-code", data={"csrf_token": other}).status_code == 404
    db.rollback()
    assert db.exec(select(RatingCode)).all() == []


# Moderation and the public page


def test_a_supervisor_hides_a_comment_with_a_reason_kept_in_the_record(
    db: Session, listed: Cast, as_supervisor: TestClient[Litestar], anon: TestClient[Litestar]
) -> None:
    send(db, listed.dept_a.id, *decided())
    send(db, listed.dept_a.id, rated(level=1, comment="办事员态度恶劣，电话13812345678"))
    [rating] = ratings(db)
    public = anon.get(f"/departments/{listed.dept_a.code}")
    assert "办事员态度恶劣" in public.text and "13812345678" not in public.text
    page = as_supervisor.get("/ratings/")
    assert "13812345678" in page.text  # supervisors read it as written
    token = csrf_from(page.text)
    refused = as_supervisor.post(f"/ratings/{rating.id}/hide", data={"reason": " ", "csrf_token": token})
    assert "Write the reason" in refused.text and ratings(db)[0].hidden_at is None
    as_supervisor.post(f"/ratings/{rating.id}/hide", data={"reason": "含辱骂内容", "csrf_token": token})
    [hidden] = ratings(db)
    assert hidden.hidden_at is not None and hidden.hidden_reason == "含辱骂内容" and hidden.level == 1
    assert "办事员态度恶劣" not in anon.get(f"/departments/{listed.dept_a.code}").text
    logged = [e.body for e in db.exec(select(AuditEntry).where(AuditEntry.kind == "rating_moderation"))]
    assert len(logged) == 1 and "含辱骂内容" in logged[0]


def test_operators_read_only_their_departments_ratings_and_cannot_hide_them(
    db: Session, listed: Cast, as_op_a: TestClient[Litestar], as_op_b: TestClient[Litestar]
) -> None:
    send(db, listed.dept_a.id, *decided())
    send(db, listed.dept_a.id, rated(level=2, comment="甲局的评论"))
    [rating] = ratings(db)
    assert "甲局的评论" in as_op_a.get("/ratings/").text
    page_b = as_op_b.get("/ratings/")
    assert "甲局的评论" not in page_b.text
    token = csrf_from(as_op_a.get("/ratings/").text)
    assert (
        as_op_a.post(f"/ratings/{rating.id}/hide", data={"reason": "x", "csrf_token": token}).status_code
        == 403
    )
    other = csrf_from(page_b.text)
    assert (
        as_op_b.post(f"/ratings/{rating.id}/hide", data={"reason": "x", "csrf_token": other}).status_code
        == 404
    )
    assert ratings(db)[0].hidden_at is None


# Invitations


def test_a_case_unrated_three_days_after_its_decision_gets_one_invitation_in_the_feed(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    send(db, listed.dept_a.id, *decided("C-1"), *decided("C-2"), *decided("C-3"), code_issued("C-3"))
    send(db, listed.dept_a.id, rated("C-2"))
    decided_at = datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI)
    assert invite_due(db, decided_at + timedelta(days=3) - timedelta(seconds=1)) == 0
    assert invite_due(db, decided_at + timedelta(days=3)) == 2  # C-1 and C-3; C-2 is rated
    assert invite_due(db, decided_at + timedelta(days=4)) == 0  # once, never twice
    db.commit()
    headers = token_for(db, listed.dept_a.id)
    feed = anon.get("/api/v1/rating-invitations", headers=headers).json()
    assert [(i["case"], i["has_code"]) for i in feed["items"]] == [("C-1", False), ("C-3", True)]
    later = anon.get(f"/api/v1/rating-invitations?after={feed['next_after']}", headers=headers).json()
    assert later == {"items": [], "next_after": feed["next_after"]}
    assert (
        anon.get("/api/v1/rating-invitations", headers=token_for(db, listed.dept_b.id)).json()["items"] == []
    )
    assert anon.get("/api/v1/rating-invitations").status_code == 401


def test_cases_decided_long_before_the_first_run_are_not_invited(db: Session, listed: Cast) -> None:
    send(db, listed.dept_a.id, *decided())
    assert invite_due(db, datetime(2026, 6, 1, tzinfo=SHANGHAI)) == 0
    assert db.exec(select(RatingInvitation)).all() == []


# Bad reviews


def the_review(db: Session) -> BadReview:
    db.rollback()
    return db.exec(select(BadReview)).one()


def test_a_bad_rating_opens_a_follow_up_due_fifteen_working_days_later(db: Session, listed: Cast) -> None:
    send(db, listed.dept_a.id, *decided(), *decided("C-2"), *decided("C-3"))
    # Friday 6 March 2026: 9–13, 16–20, 23–27 March are the 15 working days.
    send(db, listed.dept_a.id, rated("C-1", 2), rated("C-2", 3))
    review = the_review(db)
    assert review.due_at == datetime(2026, 3, 27, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert review.status == "open" and review.case_id == case(db, "C-1").id
    # Wednesday 30 September: 1–7 October are off and Saturday 10 October is worked.
    send(db, listed.dept_a.id, {**rated("C-3", 1), "at": "2026-09-30T16:00:00"})
    db.rollback()
    later = db.exec(select(BadReview).where(BadReview.case_id == case(db, "C-3").id)).one()
    assert later.due_at == datetime(2026, 10, 27, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def test_an_unfollowed_bad_review_raises_one_yellow_flag_once_its_deadline_passes(
    db: Session, listed: Cast
) -> None:
    send(db, listed.dept_a.id, *decided())
    send(db, listed.dept_a.id, rated(level=1))
    review = the_review(db)
    assert raise_overdue(db, review.due_at) == []
    [raised] = raise_overdue(db, review.due_at + timedelta(seconds=1))
    assert (raised.kind, raised.level, raised.since) == ("bad_review_overdue", "yellow", review.due_at)
    assert raise_overdue(db, review.due_at + timedelta(days=3)) == []  # never twice
    db.commit()
    [flag] = db.exec(select(Flag)).all()
    assert flag.origin_id == review.id and flag.params["rating"] == review.rating_id
    [event] = db.exec(select(CaseEvent).where(CaseEvent.type == "rated")).all()
    assert flag.evidence == [event.id]


def test_a_follow_up_in_time_raises_nothing_and_a_late_one_still_counts_as_overdue(
    db: Session, listed: Cast
) -> None:
    send(db, listed.dept_a.id, *decided(), *decided("C-2"))
    send(db, listed.dept_a.id, rated("C-1", 1), rated("C-2", 2))
    db.rollback()
    on_time, late = db.exec(select(BadReview).order_by(BadReview.id)).all()  # type: ignore[arg-type]
    op = listed.op_a
    follow_up(
        db,
        on_time,
        op,
        contacted_on=None,
        action="致电申请人",
        reply="已改进",
        now=on_time.due_at,
        tz=SHANGHAI,
    )
    after = late.due_at + timedelta(hours=1)
    follow_up(db, late, op, contacted_on=None, action="致电申请人", reply="已改进", now=after, tz=SHANGHAI)
    raised = raise_overdue(db, after + timedelta(hours=1))  # the scheduler was down meanwhile
    assert [r.case_id for r in raised] == [late.case_id]


def test_only_the_departments_operator_follows_up_with_both_texts(db: Session, listed: Cast) -> None:
    send(db, listed.dept_a.id, *decided())
    send(db, listed.dept_a.id, rated(level=2))
    review = the_review(db)
    now = review.opened_at
    for user, action, reply, message in [
        (listed.supervisor, "x", "y", "Only the department's operators"),
        (listed.op_b, "x", "y", "Only the department's operators"),
        (listed.op_a, "", "y", "Write what the department did"),
        (listed.op_a, "x", " ", "Write what the department did"),
    ]:
        with pytest.raises(FollowUpError) as refused:
            follow_up(db, review, user, contacted_on=None, action=action, reply=reply, now=now, tz=SHANGHAI)
        assert refused.value.message.startswith(message)
    follow_up(db, review, listed.op_a, contacted_on=None, action="x", reply="y", now=now, tz=SHANGHAI)
    with pytest.raises(FollowUpError):
        follow_up(db, review, listed.op_a, contacted_on=None, action="x", reply="z", now=now, tz=SHANGHAI)


def test_the_department_replies_and_the_citizen_judges_the_follow_up_with_the_same_code(
    db: Session, listed: Cast, as_op_a: TestClient[Litestar], anon: TestClient[Litestar]
) -> None:
    send(db, listed.dept_a.id, *decided(), code_issued())
    send(db, listed.dept_a.id, rated(level=1, comment="等了很久"))
    rating = ratings(db)[0]
    assert rate_code(anon, CODE).status_code == 400  # spent, and nothing to judge yet
    page = as_op_a.get(f"/ratings/{rating.id}")
    assert "Record the follow-up" in page.text
    done = as_op_a.post(
        f"/ratings/{rating.id}/follow-up",
        data={
            "contacted_on": "2026-03-09",
            "action": "致电张先生，补正流程已简化",
            "reply": "已联系申请人，优化了材料清单，电话13812345678",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert done.status_code == 200 and "The follow-up is recorded" in done.text
    public = anon.get(f"/departments/{listed.dept_a.code}").text
    assert "已联系申请人，优化了材料清单" in public and "13812345678" not in public
    assert "致电张先生" not in public  # what the department did stays with it
    form = rate_code(anon, CODE)
    assert form.status_code == 200 and "Are you satisfied with the follow-up?" in form.text
    token = csrf_from(form.text)
    assert anon.post("/rate/verdict", data={"code": CODE, "csrf_token": token}).status_code == 400
    thanks = anon.post("/rate/verdict", data={"code": CODE, "satisfied": "no", "csrf_token": token})
    assert thanks.status_code == 200 and "not satisfied" in thanks.text
    again = anon.post("/rate/verdict", data={"code": CODE, "satisfied": "yes", "csrf_token": token})
    assert again.status_code == 400
    [first, verdict] = ratings(db)
    assert (verdict.kind, verdict.satisfied, verdict.follows_id, verdict.channel) == (
        "follow_up",
        False,
        first.id,
        "web",
    )
    assert "not satisfied" in as_op_a.get(f"/ratings/{rating.id}").text


def test_the_follow_up_form_is_the_departments_alone(
    db: Session, listed: Cast, as_supervisor: TestClient[Litestar], as_op_b: TestClient[Litestar]
) -> None:
    send(db, listed.dept_a.id, *decided())
    send(db, listed.dept_a.id, rated(level=1))
    rating = ratings(db)[0]
    page = as_supervisor.get(f"/ratings/{rating.id}")
    assert "Waiting for the department's follow-up." in page.text
    data = {"action": "x", "reply": "y", "csrf_token": csrf_from(page.text)}
    assert as_supervisor.post(f"/ratings/{rating.id}/follow-up", data=data).status_code == 403
    data["csrf_token"] = csrf_from(as_op_b.get("/ratings/").text)
    assert as_op_b.post(f"/ratings/{rating.id}/follow-up", data=data).status_code == 404
    assert the_review(db).status == "open"


# On the scorecard


def test_satisfaction_and_bad_reviews_on_the_scorecard_match_a_count_of_the_ratings(
    db: Session, listed: Cast, anon: TestClient[Litestar]
) -> None:
    refs = [f"S-{i}" for i in range(7)]
    send(db, listed.dept_a.id, *(e for ref in refs for e in decided(ref)))
    levels = [5, 4, 4, 3, 2, 1, 1]
    send(db, listed.dept_a.id, *(rated(ref, level) for ref, level in zip(refs, levels, strict=True)))
    db.rollback()
    reviews = db.exec(select(BadReview).order_by(BadReview.id)).all()  # type: ignore[arg-type]
    on_time, late, _open = reviews
    follow_up(
        db, on_time, listed.op_a, contacted_on=None, action="a", reply="b", now=on_time.due_at, tz=SHANGHAI
    )
    now = late.due_at + timedelta(days=2)
    follow_up(db, late, listed.op_a, contacted_on=None, action="a", reply="b", now=now, tz=SHANGHAI)
    refresh(db, now, OFFICIAL, SHANGHAI)
    db.commit()
    # Counted here from the ratings themselves: 3 of 7 satisfied or better; 3 bad, all due, 1 in time.
    given = [r.level for r in ratings(db) if r.kind == "rating"]
    assert sorted(given) == sorted(levels)
    satisfied = sum(1 for level in given if level >= 4)
    bad = sum(1 for level in given if level <= 2)
    card = anon.get(f"/departments/{listed.dept_a.code}.json?period=2026-03").json()["scorecard"]["figures"]
    assert (card["satisfaction"]["k"], card["satisfaction"]["n"]) == (satisfied, len(given)) == (3, 7)
    assert card["counts"]["bad_reviews"] == bad == 3
    assert (card["bad_followed_on_time"]["k"], card["bad_followed_on_time"]["n"]) == (1, 3)
    low, high = card["satisfaction"]["low"], card["satisfaction"]["high"]
    assert low < 3 / 7 < high
    assert "Citizens' satisfaction" in anon.get(f"/departments/{listed.dept_a.code}?period=2026-03").text
    exported = scorecards_bytes(db, parse_period("2026-03", date(2026, 11, 27)), "csv", True, lambda m: m)
    [header, row] = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert float(row[header.index("Satisfaction")]) == pytest.approx(3 / 7, abs=0.001)
    assert row[header.index("Bad reviews")] == "3"


def test_a_new_bad_review_is_announced_to_the_departments_operators_once(db: Session, listed: Cast) -> None:
    send(db, listed.dept_a.id, *decided(), *decided("C-2"))
    send(db, listed.dept_a.id, rated("C-1", 2), rated("C-2", 5))
    review = the_review(db)
    now = review.opened_at + timedelta(minutes=1)
    assert announce(db, now) == 1  # one operator of department A; the good rating says nothing
    assert announce(db, now + timedelta(minutes=15)) == 0
    db.commit()
    [message] = db.exec(select(Notification)).all()
    assert message.user_id == listed.op_a.id and message.link == f"/ratings/{review.rating_id}"
    with speaking("en"):
        shown = render(message, SHANGHAI)
    assert shown.subject == "A bad review of case C-1 needs your follow-up"
    assert "rated it Dissatisfied" in shown.body and "2026-03-27 23:59" in shown.body


def test_the_workbench_has_a_json_twin_and_downloads_with_the_same_rows_and_scope(
    db: Session, listed: Cast, as_supervisor: TestClient[Litestar], as_op_b: TestClient[Litestar]
) -> None:
    send(db, listed.dept_a.id, *decided(), *decided("C-2"))
    send(db, listed.dept_a.id, rated("C-1", 1, comment="电话13812345678"), rated("C-2", 5))
    twin = as_supervisor.get("/ratings/?bad=1&format=json").json()
    assert twin["total"] == 1
    [item] = twin["items"]
    assert (item["case"], item["level"], item["comment"]) == ("C-1", 1, "电话13812345678")
    assert "13812345678" not in item["comment_public"] and item["follow_up_due"].startswith("2026-03-2")
    csv_file = as_supervisor.get("/ratings/export?format=csv&bad=1")
    assert csv_file.headers["content-disposition"] == 'attachment; filename="ratings.csv"'
    [header, row] = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert row[header.index("Case reference")] == "C-1" and row[header.index("Rating")] == "1"
    workbook = as_supervisor.get("/ratings/export?format=xlsx")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    assert as_supervisor.get("/ratings/export?format=pdf").status_code == 400
    # Another department's operator finds none of them, in any form.
    assert as_op_b.get("/ratings/?format=json").json()["items"] == []
    assert len(list(csv.reader(io.StringIO(as_op_b.get("/ratings/export?format=csv").text)))) == 1
