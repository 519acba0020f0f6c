"""Reviewing flags: every action by every role, the deadlines they start, the recorded history."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlmodel import Session, select

from tests.conftest import Cast
from tests.test_cases_ingest import SHANGHAI, end_of
from tracker.accounts.models import User
from tracker.calendar import OFFICIAL
from tracker.cases.models import Case
from tracker.flags.models import Flag, FlagAction, FlagStatus, Level
from tracker.flags.review import TRANSITIONS, ReviewError, act, available, history
from tracker.thresholds import DEFAULTS, load_thresholds, set_threshold

# Mon 28 Sep 2026, the last working days before National Day (1–7 Oct off; Sat 10 Oct worked).
NOW = datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)


def a_flag(db: Session, cast: Cast, department_id: int | None = None) -> Flag:
    department_id = department_id or cast.dept_a.id
    assert department_id is not None
    case = Case(department_id=department_id, ref="C-1", power_code="XK-1", received_at=NOW)
    db.add(case)
    db.flush()
    flag = Flag(
        case_id=case.id,  # type: ignore[arg-type]
        department_id=department_id,
        kind="promise_overdue",
        level=Level.yellow,
        since=NOW,
        detected_at=NOW,
        params={},
        evidence=[],
    )
    db.add(flag)
    db.commit()
    return flag


def do(
    db: Session, flag: Flag, action: str, user: User, text: str = "理由", when: datetime = NOW
) -> FlagAction:
    record = act(
        db, flag, action, user, text, now=when, cal=OFFICIAL, tz=SHANGHAI, thresholds=load_thresholds(db)
    )
    db.commit()
    return record


def test_requesting_an_explanation_gives_the_department_three_working_days_across_the_holiday(
    db: Session, cast: Cast
) -> None:
    flag = a_flag(db, cast)
    record = do(db, flag, "request_explanation", cast.supervisor, "请说明超期原因")
    # 3 working days after Mon 28 Sep: 29, 30 Sep, then (1–7 Oct off) Thu 8 Oct.
    assert flag.status == FlagStatus.explanation_requested and flag.due_at == end_of(date(2026, 10, 8))
    assert (record.from_status, record.to_status, record.text) == (
        "open",
        "explanation_requested",
        "请说明超期原因",
    )


def test_a_confirmed_violation_must_be_rectified_within_fifteen_working_days(db: Session, cast: Cast) -> None:
    flag = a_flag(db, cast)
    do(db, flag, "confirm", cast.supervisor)
    # 15 working days: 29, 30 Sep, 8, 9, Sat 10 (make-up), 12–16, 19–23 Oct.
    assert flag.status == FlagStatus.confirmed and flag.due_at == end_of(date(2026, 10, 23))


def test_an_admins_threshold_changes_the_explanation_deadline(db: Session, cast: Cast) -> None:
    set_threshold(db, "explanation_workdays", 5)
    flag = a_flag(db, cast)
    do(db, flag, "request_explanation", cast.supervisor)
    assert flag.due_at == end_of(date(2026, 10, 10))  # the make-up Saturday is the 5th working day


def test_the_full_path_explain_confirm_rectify_send_back_accept_is_recorded_in_order(
    db: Session, cast: Cast
) -> None:
    flag = a_flag(db, cast)
    do(db, flag, "request_explanation", cast.supervisor)
    do(db, flag, "reply", cast.op_a, "系统故障导致延迟")
    assert flag.status == FlagStatus.explained and flag.due_at is None
    do(db, flag, "confirm", cast.supervisor, "理由不成立")
    deadline = flag.due_at
    do(db, flag, "report_rectification", cast.op_a, "已完成整改")
    do(db, flag, "send_back", cast.supervisor, "整改不到位")
    assert flag.status == FlagStatus.confirmed and flag.due_at == deadline  # the deadline stands
    do(db, flag, "report_rectification", cast.op_a, "已再次整改")
    do(db, flag, "accept_rectification", cast.supervisor, "通过")
    assert flag.status == FlagStatus.closed
    steps = [(a.action, a.to_status, u.email) for a, u in history(db, flag.id)]  # type: ignore[arg-type]
    assert steps == [
        ("request_explanation", "explanation_requested", cast.supervisor.email),
        ("reply", "explained", cast.op_a.email),
        ("confirm", "confirmed", cast.supervisor.email),
        ("report_rectification", "rectification_submitted", cast.op_a.email),
        ("send_back", "confirmed", cast.supervisor.email),
        ("report_rectification", "rectification_submitted", cast.op_a.email),
        ("accept_rectification", "closed", cast.supervisor.email),
    ]


DECISIONS = {
    "dismissed": [("dismiss", "supervisor")],
    "exempted": [("exempt", "supervisor")],
    "confirmed": [("confirm", "supervisor")],
    "rectification_submitted": [("confirm", "supervisor"), ("report_rectification", "op_a")],
    "closed": [
        ("confirm", "supervisor"),
        ("report_rectification", "op_a"),
        ("accept_rectification", "supervisor"),
    ],
}


@pytest.mark.parametrize("decided", DECISIONS)
def test_any_decided_flag_can_be_reopened_by_a_supervisor_with_a_reason_and_by_no_operator(
    db: Session, cast: Cast, decided: str
) -> None:
    flag = a_flag(db, cast)
    for action, who in DECISIONS[decided]:
        do(db, flag, action, getattr(cast, who))
    assert flag.status == decided
    with pytest.raises(ReviewError, match="role cannot take this action"):
        do(db, flag, "reopen", cast.op_a, "我们已整改")
    db.rollback()
    with pytest.raises(ReviewError, match="Write the reason"):
        do(db, flag, "reopen", cast.supervisor, "   ")
    do(db, flag, "reopen", cast.admin, "发现新证据")
    # Reopened, nothing is awaited from the department: a confirmation's deadline lapses with it.
    assert (flag.status, flag.due_at) == (FlagStatus.open, None)


@pytest.mark.parametrize("undecided", ["open", "explanation_requested", "explained"])
def test_a_flag_not_decided_yet_cannot_be_reopened(db: Session, cast: Cast, undecided: str) -> None:
    flag = a_flag(db, cast)
    steps = {
        "open": [],
        "explanation_requested": ["request_explanation"],
        "explained": ["request_explanation"],
    }
    for action in steps[undecided]:
        do(db, flag, action, cast.supervisor)
    if undecided == "explained":
        do(db, flag, "reply", cast.op_a, "说明")
    with pytest.raises(ReviewError, match="not possible while the flag is"):
        do(db, flag, "reopen", cast.supervisor, "理由")


@pytest.mark.parametrize("action", ["confirm", "dismiss", "exempt", "request_explanation", "reopen"])
def test_an_operator_can_never_decide_a_flag(db: Session, cast: Cast, action: str) -> None:
    flag = a_flag(db, cast)
    with pytest.raises(ReviewError):
        do(db, flag, action, cast.op_a)
    db.rollback()
    assert db.exec(select(FlagAction)).all() == []
    assert db.get(Flag, flag.id).status == FlagStatus.open  # type: ignore[union-attr]


def test_an_operator_of_another_department_can_neither_see_nor_answer_a_flag(db: Session, cast: Cast) -> None:
    flag = a_flag(db, cast)
    do(db, flag, "request_explanation", cast.supervisor)
    assert available(cast.op_b, flag) == []
    with pytest.raises(ReviewError):
        do(db, flag, "reply", cast.op_b)
    assert [t.action for t in available(cast.op_a, flag)] == ["reply"]


def test_a_supervisor_cannot_reply_for_the_department_nor_act_out_of_turn(db: Session, cast: Cast) -> None:
    flag = a_flag(db, cast)
    with pytest.raises(ReviewError):
        do(db, flag, "reply", cast.supervisor)
    with pytest.raises(ReviewError):
        do(db, flag, "accept_rectification", cast.supervisor)  # nothing was reported
    assert {t.action for t in available(cast.supervisor, flag)} == {
        "request_explanation",
        "confirm",
        "dismiss",
        "exempt",
    }


def test_every_transition_is_taken_by_one_side_only() -> None:
    for t in TRANSITIONS:
        assert t.by and (t.by <= {"supervisor", "admin"} or t.by == {"operator"})
    assert DEFAULTS.value("explanation_workdays") == 3 and DEFAULTS.value("rectification_workdays") == 15
