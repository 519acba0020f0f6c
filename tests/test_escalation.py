"""The review's deadlines: overdue explanations, escalation of unrectified yellow cards, daily reminders.

Worked dates on the real calendar (Asia/Shanghai): every state is set up with the review's own
transitions, and every step is run as the scheduler runs it, at a chosen moment.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.jobs import JOBS, run_job
from tests.conftest import Cast, Tracker, one_line_error
from tests.test_cases_ingest import SHANGHAI, end_of
from tests.test_flag_review import a_flag
from tests.test_scheduler import held_elsewhere
from tracker.accounts.models import User
from tracker.audit.models import AuditEntry
from tracker.calendar_store import load_calendar
from tracker.flags.escalation import ESCALATED, EXPLANATION_OVERDUE, JOB, Outcome, check_deadlines
from tracker.flags.models import Flag, FlagStatus, Level
from tracker.flags.review import act
from tracker.notify.models import Notification, OutboxMessage
from tracker.settings import Settings
from tracker.thresholds import load_thresholds


def local(day: date, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)


def do(db: Session, flag: Flag, action: str, user: User, when: datetime) -> None:
    """A real transition, on the calendar the site uses."""
    act(
        db,
        flag,
        action,
        user,
        "说明",
        now=when,
        cal=load_calendar(db),
        tz=SHANGHAI,
        thresholds=load_thresholds(db),
    )
    db.commit()


def run(db: Session, when: datetime) -> Outcome:
    outcome = check_deadlines(db, when, SHANGHAI)
    db.commit()
    return outcome


def derived(db: Session) -> list[Flag]:
    db.commit()  # end the read transaction: SQLite keeps one snapshot per transaction
    db.expire_all()
    return list(db.exec(select(Flag).where(col(Flag.origin_id) != 0).order_by(col(Flag.id))))


def reminders(db: Session) -> list[tuple[int, str]]:
    return [(n.user_id, n.key) for n in db.exec(select(Notification).order_by(col(Notification.id)))]


# Explanations


def explanation_requested(db: Session, cast: Cast) -> Flag:
    flag = a_flag(db, cast)
    # Fri 20 Nov 2026; 3 working days: Mon 23, Tue 24, Wed 25 Nov.
    do(db, flag, "request_explanation", cast.supervisor, local(date(2026, 11, 20)))
    assert flag.due_at == end_of(date(2026, 11, 25))
    return flag


def test_an_unanswered_explanation_is_flagged_once_after_its_deadline_and_reminded_daily(
    db: Session, cast: Cast
) -> None:
    flag = explanation_requested(db, cast)
    assert run(db, local(date(2026, 11, 25), 23)) == Outcome([], 0)  # due by the end of the day
    first = run(db, local(date(2026, 11, 26), 0, 1))
    assert [(r.ref, r.kind, r.level, r.since) for r in first.raised] == [
        ("C-1", EXPLANATION_OVERDUE, "yellow", end_of(date(2026, 11, 25)))
    ]
    [overdue] = derived(db)
    assert (overdue.kind, overdue.level, overdue.status, overdue.origin_id) == (
        EXPLANATION_OVERDUE,
        Level.yellow,
        FlagStatus.open,
        flag.id,
    )
    assert (overdue.case_id, overdue.department_id, overdue.step) == (flag.case_id, flag.department_id, 0)
    assert overdue.since == end_of(date(2026, 11, 25))
    assert overdue.detected_at == local(date(2026, 11, 26), 0, 1)
    assert overdue.params == {"origin": flag.id, "due_at": "2026-11-25T15:59:59.999999+00:00"}
    assert overdue.evidence == []
    # Only the department's operator is reminded: not the other department, not the supervisors.
    assert reminders(db) == [(cast.op_a.id, f"reminder:flag:{flag.id}:explanation:2026-11-26")]
    [note] = db.exec(select(Notification)).all()
    assert note.args == {"flag": flag.id, "case": "C-1", "due": "2026-11-25"}
    assert note.link == f"/flags/{flag.id}"

    assert run(db, local(date(2026, 11, 26), 23, 59)) == Outcome([], 0)  # later the same day
    next_day = run(db, local(date(2026, 11, 27), 0, 5))
    assert next_day == Outcome([], 1)
    assert [key for _user, key in reminders(db)] == [
        f"reminder:flag:{flag.id}:explanation:2026-11-26",
        f"reminder:flag:{flag.id}:explanation:2026-11-27",
    ]
    assert len(derived(db)) == 1

    do(db, flag, "reply", cast.op_a, local(date(2026, 11, 27), 15))
    assert run(db, local(date(2026, 11, 30))) == Outcome([], 0)  # answered: no more reminders
    assert len(reminders(db)) == 2 and len(derived(db)) == 1


def test_a_reply_within_the_deadline_raises_nothing(db: Session, cast: Cast) -> None:
    flag = explanation_requested(db, cast)
    do(db, flag, "reply", cast.op_a, local(date(2026, 11, 25), 23, 30))
    assert run(db, local(date(2026, 11, 26), 9)) == Outcome([], 0)
    assert derived(db) == [] and reminders(db) == []


def test_a_late_reply_is_flagged_even_when_no_run_saw_it_overdue(db: Session, cast: Cast) -> None:
    flag = explanation_requested(db, cast)
    # The scheduler was down from the deadline until after the department's late reply.
    do(db, flag, "reply", cast.op_a, local(date(2026, 11, 26), 9))
    outcome = run(db, local(date(2026, 11, 26), 12))
    assert [(r.kind, r.since) for r in outcome.raised] == [(EXPLANATION_OVERDUE, end_of(date(2026, 11, 25)))]
    assert outcome.reminders == 0  # nothing is owed any more
    assert [f.origin_id for f in derived(db)] == [flag.id]
    assert run(db, local(date(2026, 11, 27), 12)) == Outcome([], 0)


# Rectification and escalation


def confirmed_before_national_day(db: Session, cast: Cast, level: Level = Level.yellow) -> Flag:
    flag = a_flag(db, cast)
    flag.level = level
    # Wed 23 Sep 2026; 15 working days skip Mid-Autumn (Fri 25 Sep) and National Day (1–7 Oct) and
    # count the make-up Saturday 10 Oct: 24, 28, 29, 30 Sep, 8, 9, 10, 12–16, 19, 20, 21 Oct.
    do(db, flag, "confirm", cast.supervisor, local(date(2026, 9, 23)))
    assert flag.due_at == end_of(date(2026, 10, 21))
    return flag


def test_an_unrectified_yellow_card_escalates_to_red_once_after_its_deadline(db: Session, cast: Cast) -> None:
    flag = confirmed_before_national_day(db, cast)
    assert run(db, end_of(date(2026, 10, 21))) == Outcome([], 0)
    first = run(db, local(date(2026, 10, 22), 0, 0, 1))
    assert [(r.kind, r.level, r.since) for r in first.raised] == [
        (ESCALATED, "red", end_of(date(2026, 10, 21)))
    ]
    assert first.reminders == 1
    [red] = derived(db)
    assert (red.kind, red.level, red.origin_id, red.case_id, red.status) == (
        ESCALATED,
        Level.red,
        flag.id,
        flag.case_id,
        FlagStatus.open,
    )
    assert red.params == {"origin": flag.id, "due_at": "2026-10-21T15:59:59.999999+00:00"}
    assert run(db, local(date(2026, 10, 22), 18)) == Outcome([], 0)
    assert run(db, local(date(2026, 10, 23), 8)) == Outcome([], 1)
    assert reminders(db) == [
        (cast.op_a.id, f"reminder:flag:{flag.id}:rectification:2026-10-22"),
        (cast.op_a.id, f"reminder:flag:{flag.id}:rectification:2026-10-23"),
    ]
    assert len(derived(db)) == 1
    # The escalated flag is not itself a yellow card awaiting rectification: nothing more comes of it.
    assert run(db, local(date(2026, 12, 31))) == Outcome([], 1)
    assert len(derived(db)) == 1


def test_a_confirmation_taken_back_after_its_deadline_escalates_nothing(db: Session, cast: Cast) -> None:
    flag = confirmed_before_national_day(db, cast)
    do(db, flag, "reopen", cast.supervisor, local(date(2026, 10, 26)))  # the scheduler was down
    assert run(db, local(date(2026, 10, 27))) == Outcome([], 0)
    assert derived(db) == []


def test_a_red_card_never_escalates_but_its_department_is_reminded(db: Session, cast: Cast) -> None:
    flag = confirmed_before_national_day(db, cast, Level.red)
    assert run(db, local(date(2026, 10, 22))) == Outcome([], 1)
    assert derived(db) == []
    assert reminders(db) == [(cast.op_a.id, f"reminder:flag:{flag.id}:rectification:2026-10-22")]


def test_a_rectification_reported_in_time_does_not_escalate_while_the_supervisors_check_it(
    db: Session, cast: Cast
) -> None:
    flag = confirmed_before_national_day(db, cast)
    do(db, flag, "report_rectification", cast.op_a, local(date(2026, 10, 21), 17))
    assert run(db, local(date(2026, 10, 22))) == Outcome([], 0)
    do(db, flag, "accept_rectification", cast.supervisor, local(date(2026, 10, 26)))
    assert run(db, local(date(2026, 10, 27))) == Outcome([], 0)
    assert derived(db) == [] and reminders(db) == []


def test_a_rectification_sent_back_after_the_deadline_escalates(db: Session, cast: Cast) -> None:
    flag = confirmed_before_national_day(db, cast)
    do(db, flag, "report_rectification", cast.op_a, local(date(2026, 10, 20)))
    assert run(db, local(date(2026, 10, 23))) == Outcome([], 0)
    do(db, flag, "send_back", cast.supervisor, local(date(2026, 10, 26)))
    assert flag.status == FlagStatus.confirmed and flag.due_at == end_of(date(2026, 10, 21))
    outcome = run(db, local(date(2026, 10, 26), 11))
    assert [(r.kind, r.since) for r in outcome.raised] == [(ESCALATED, end_of(date(2026, 10, 21)))]
    assert reminders(db) == [(cast.op_a.id, f"reminder:flag:{flag.id}:rectification:2026-10-26")]


def test_a_late_report_escalates_even_when_accepted_before_any_run(db: Session, cast: Cast) -> None:
    flag = confirmed_before_national_day(db, cast)
    do(db, flag, "report_rectification", cast.op_a, local(date(2026, 10, 23)))
    do(db, flag, "accept_rectification", cast.supervisor, local(date(2026, 10, 24)))
    outcome = run(db, local(date(2026, 10, 26)))
    assert [(r.kind, r.since) for r in outcome.raised] == [(ESCALATED, end_of(date(2026, 10, 21)))]
    assert outcome.reminders == 0
    assert [f.origin_id for f in derived(db)] == [flag.id]


def test_a_request_decided_without_its_overdue_reply_is_flagged_and_later_escalated_once_each(
    db: Session, cast: Cast
) -> None:
    flag = explanation_requested(db, cast)
    # No run since the deadline; the supervisor confirms without the reply.
    do(db, flag, "confirm", cast.supervisor, local(date(2026, 11, 30)))
    first = run(db, local(date(2026, 11, 30), 11))
    assert [(r.kind, r.since) for r in first.raised] == [(EXPLANATION_OVERDUE, end_of(date(2026, 11, 25)))]
    assert first.reminders == 0  # the reply is no longer awaited; the rectification not overdue yet
    outcome = run(db, local(date(2027, 1, 30)))  # and never rectified
    assert [r.kind for r in outcome.raised] == [ESCALATED]
    assert sorted((f.kind, f.origin_id) for f in derived(db)) == [
        (ESCALATED, flag.id),
        (EXPLANATION_OVERDUE, flag.id),
    ]


# The job, the command and the pages


def test_the_job_runs_the_step_under_its_lock(
    engine: Engine, settings: Settings, db: Session, cast: Cast
) -> None:
    explanation_requested(db, cast)
    job = next(j for j in JOBS if j.name == JOB)
    with held_elsewhere(engine, job):
        assert run_job(engine, settings, job, local(date(2026, 11, 26))) is None
    assert derived(db) == []
    assert run_job(engine, settings, job, local(date(2026, 11, 26))) == 2  # a flag and a reminder
    assert run_job(engine, settings, job, local(date(2026, 11, 26), 11)) == 0  # once
    assert len(derived(db)) == 1


def test_scheduler_once_prints_escalations_and_waits_for_a_running_job(
    engine: Engine, db: Session, cast: Cast, tracker: Tracker, migrated_template: Path
) -> None:
    flag = confirmed_before_national_day(db, cast)
    url = engine.url.render_as_string(hide_password=False)
    env = {"TRACKER_DATABASE_URL": url}  # TRACKER_TIMEZONE: Asia/Shanghai by default
    job = next(j for j in JOBS if j.name == JOB)
    with held_elsewhere(engine, job):
        busy = tracker("scheduler", "once", "--now", "2026-10-22T09:00:00", **env)
    assert f"running its {JOB}" in one_line_error(busy)
    result = tracker("scheduler", "once", "--now", "2026-10-22T09:00:00", **env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {
            "case": "C-1",
            "kind": ESCALATED,
            "level": "red",
            "step": None,
            "since": "2026-10-21T15:59:59.999999+00:00",
        }
    ]
    assert [f.origin_id for f in derived(db)] == [flag.id]


def test_a_flag_page_links_the_flag_it_was_raised_about(
    db: Session, cast: Cast, as_supervisor: TestClient[Litestar]
) -> None:
    flag = confirmed_before_national_day(db, cast)
    run(db, local(date(2026, 10, 22)))
    [red] = derived(db)
    page = as_supervisor.get(f"/flags/{red.id}")
    assert page.status_code == 200
    assert f'<a href="/flags/{flag.id}">flag #{flag.id}</a>' in page.text
    assert "escalated to red card" in page.text
    assert as_supervisor.get(f"/flags/{red.id}?format=json").json()["origin"] == flag.id
    assert as_supervisor.get(f"/flags/{flag.id}?format=json").json()["origin"] is None
    assert "Raised about" not in as_supervisor.get(f"/flags/{flag.id}").text


def test_the_queue_can_be_filtered_by_the_new_kinds(
    db: Session, cast: Cast, as_supervisor: TestClient[Litestar]
) -> None:
    confirmed_before_national_day(db, cast)
    run(db, local(date(2026, 10, 22)))
    page = as_supervisor.get("/flags/")
    assert '<option value="escalated">escalated to red card</option>' in page.text
    assert '<option value="explanation_overdue">explanation overdue</option>' in page.text
    data = as_supervisor.get("/flags/?kind=escalated&format=json").json()
    assert [(f["kind"], f["level"]) for f in data["flags"]] == [(ESCALATED, "red")]


def test_overdue_reminders_are_e_mailed_too_when_the_site_sends_e_mail(
    db: Session, cast: Cast, settings: Settings
) -> None:
    flag = explanation_requested(db, cast)
    mailing = settings.with_(smtp_url="smtp://127.0.0.1:2525")
    check_deadlines(db, local(date(2026, 11, 26), 0, 1), SHANGHAI, mailing)
    db.commit()
    mails = list(db.exec(select(OutboxMessage)))
    assert [m.to_address for m in mails] == [cast.op_a.email]
    assert f"/flags/{flag.id}" in mails[0].body and "2026-11-25" in mails[0].body
    # Without SMTP only the inbox.
    check_deadlines(db, local(date(2026, 11, 27), 0, 1), SHANGHAI, settings)
    db.commit()
    assert len(list(db.exec(select(OutboxMessage)))) == 1 and len(reminders(db)) == 2


def test_raised_flags_are_recorded_in_the_audit_log(db: Session, cast: Cast) -> None:
    flag = explanation_requested(db, cast)
    run(db, local(date(2026, 11, 26), 0, 1))
    entry = db.exec(select(AuditEntry).order_by(col(AuditEntry.seq).desc())).first()
    assert entry is not None and entry.kind == "flags"
    record = json.loads(entry.body)["record"]
    [recorded] = [dict(zip(record["columns"], row, strict=True)) for row in record["rows"]]
    assert (recorded["kind"], recorded["origin_id"]) == (EXPLANATION_OVERDUE, flag.id)
