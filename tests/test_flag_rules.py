"""The supervision rules, one worked example at a time: a case as stored in, findings out.

The example case (unless a test says otherwise): received Mon 2 Mar 2026 09:30 and accepted at
10:00 (Shanghai time), promised within 10 working days (due Mon 16 Mar, stored as the instant
23:59:59.999999 that day), statutory limit 20 working days (due Mon 30 Mar). March 2026 has no
public holiday, so the "due soon" warning (1 working day by default) starts at the start of
Fri 13 Mar, and with no event after the acceptance the case counts as stalled after the end of
Mon 16 Mar (10 working days after Mon 2 Mar). Event ids: 1 received, 2 accepted, then as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tracker.flags.models import NO_STEP, Level
from tracker.flags.rules import BY_KIND, LEVELS, RULES, evaluate
from tracker.flags.view import CaseView, EventView, Finding, StepView
from tracker.thresholds import DEFAULTS

SHANGHAI = ZoneInfo("Asia/Shanghai")
MICROSECOND = timedelta(microseconds=1)

RECEIVED = datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)
ACCEPTED = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
WARN_AT = datetime(2026, 3, 13, 0, 0, tzinfo=SHANGHAI)
PROMISED_DUE = datetime(2026, 3, 16, 23, 59, 59, 999999, tzinfo=SHANGHAI)
STALL_AT = datetime(2026, 3, 16, 23, 59, 59, 999999, tzinfo=SHANGHAI)
STATUTORY_DUE = datetime(2026, 3, 30, 23, 59, 59, 999999, tzinfo=SHANGHAI)
EARLY = datetime(2026, 3, 5, 11, 0, tzinfo=SHANGHAI)  # a moment when nothing is due yet
LATER = datetime(2026, 4, 30, 12, 0, tzinfo=SHANGHAI)  # long after every deadline

# The defaults, as the rules receive them: {"warning_workdays": 1, "stall_workdays": 10, ...: 24}.
THRESHOLDS: dict[str, int] = DEFAULTS.for_item(None)

SPECIFIED_LEVELS: dict[str, Level] = {
    "due_soon": Level.warning,
    "step_overdue": Level.yellow,
    "promise_overdue": Level.yellow,
    "statutory_overdue": Level.red,
    "off_list_power": Level.red,
    "out_of_order": Level.yellow,
    "skipped_step": Level.yellow,
    "backdated": Level.yellow,
    "fee_violation": Level.yellow,
    "unlawful_suspension": Level.yellow,
    "stalled": Level.warning,
    "refused_without_reason": Level.yellow,
}

Summary = tuple[str, Level, datetime, int, tuple[int, ...]]


def event(id_: int, type_: str, at: datetime, recorded_at: datetime | None = None, **data: Any) -> EventView:
    """An event, recorded the moment it happened unless ``recorded_at`` says otherwise."""
    return EventView(id_, type_, at, recorded_at if recorded_at is not None else at, dict(data))


RECEIVED_EVENT = event(1, "received", RECEIVED)
ACCEPTED_EVENT = event(2, "accepted", ACCEPTED)


def step(
    seq: int,
    *,
    mandatory: bool = True,
    started_at: datetime | None = None,
    completed_at: datetime | None = None,
    due_at: datetime | None = None,
) -> StepView:
    return StepView(seq, f"step {seq}", mandatory, started_at, completed_at, due_at)


def view(**overrides: Any) -> CaseView:
    """The example case, open and on time, with whatever a test changes."""
    fields: dict[str, Any] = {
        "id": 1,
        "department_id": 1,
        "ref": "2026-0001",
        "power_code": "330217001000",
        "on_list": True,
        "status": "open",
        "outcome": None,
        "decision_reason": "",
        "received_at": RECEIVED,
        "accepted_at": ACCEPTED,
        "decided_at": None,
        "withdrawn_at": None,
        "promised_due_at": PROMISED_DUE,
        "statutory_due_at": STATUTORY_DUE,
        "warn_at": WARN_AT,
        "stall_at": STALL_AT,
        "frozen": False,
        "suspended_since": None,
        "fee_charged": Decimal("0"),
        "no_fee": True,
        "fee_amount": None,
        "steps": (),
        "events": (RECEIVED_EVENT, ACCEPTED_EVENT),
    }
    fields.update(overrides)
    return CaseView(**fields)


def decided(at: datetime, *, event_id: int = 9, outcome: str = "approved", **overrides: Any) -> CaseView:
    """The example case decided at ``at`` (its ``decided`` event has id ``event_id``)."""
    events = overrides.pop("events", (RECEIVED_EVENT, ACCEPTED_EVENT))
    return view(
        status="decided",
        outcome=outcome,
        decided_at=at,
        warn_at=None,
        stall_at=None,
        events=(*events, event(event_id, "decided", at)),
        **overrides,
    )


def summary(findings: Iterable[Finding]) -> list[Summary]:
    return [(f.kind, f.level, f.since, f.step, f.evidence) for f in findings]


def findings_of(
    kind: str, case: CaseView, now: datetime, thresholds: Mapping[str, int] = THRESHOLDS
) -> list[Finding]:
    return list(BY_KIND[kind].check(case, thresholds, now))


def kinds(findings: Iterable[Finding]) -> set[str]:
    return {f.kind for f in findings}


# The rule set ----------------------------------------------------------------------------------


def test_every_rule_has_a_distinct_kind() -> None:
    names = [rule.kind for rule in RULES]
    assert len(names) == len(set(names))
    assert set(names) == set(SPECIFIED_LEVELS)


def test_every_rule_raises_the_level_the_specification_gives() -> None:
    assert {rule.kind: rule.level for rule in RULES} == SPECIFIED_LEVELS
    assert SPECIFIED_LEVELS == LEVELS


def test_a_clean_case_decided_on_time_has_no_findings_at_all() -> None:
    s1 = datetime(2026, 3, 3, 17, 0, tzinfo=SHANGHAI)
    s2 = datetime(2026, 3, 6, 17, 0, tzinfo=SHANGHAI)
    s3 = datetime(2026, 3, 12, 15, 0, tzinfo=SHANGHAI)
    case = decided(
        s3,
        steps=(
            step(
                1,
                started_at=ACCEPTED,
                completed_at=s1,
                due_at=datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=SHANGHAI),
            ),
            step(
                2,
                started_at=s1,
                completed_at=s2,
                due_at=datetime(2026, 3, 11, 23, 59, 59, 999999, tzinfo=SHANGHAI),
            ),
            step(3, started_at=s2, completed_at=s3, due_at=PROMISED_DUE),
        ),
        events=(
            RECEIVED_EVENT,
            ACCEPTED_EVENT,
            event(3, "step_started", ACCEPTED, step=1),
            event(4, "step_completed", s1, step=1),
            event(5, "step_started", s1, step=2),
            event(6, "step_completed", s2, step=2),
            event(7, "step_started", s2, step=3),
            event(8, "step_completed", s3, step=3),
        ),
        no_fee=False,
        fee_amount=Decimal("50.00"),
        fee_charged=Decimal("50.00"),
    )
    assert evaluate(case, THRESHOLDS, LATER) == []


def test_an_open_case_well_before_its_deadlines_has_no_findings() -> None:
    assert evaluate(view(), THRESHOLDS, EARLY) == []


def test_a_case_with_everything_wrong_finds_every_kind_each_at_its_specified_level() -> None:
    fee_at = datetime(2026, 3, 3, 11, 0, tzinfo=SHANGHAI)
    step2_done = datetime(2026, 3, 4, 11, 0, tzinfo=SHANGHAI)
    suspended_at = datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI)
    open_case = view(
        on_list=False,
        steps=(
            step(1, due_at=datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=SHANGHAI)),
            step(2, completed_at=step2_done),
        ),
        events=(
            RECEIVED_EVENT,
            ACCEPTED_EVENT,
            event(3, "fee_charged", fee_at, amount="10.00"),
            event(4, "step_completed", step2_done, step=2),
            event(5, "suspended", suspended_at, suspended_at + timedelta(days=3), reason="other"),
            event(6, "resumed", datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI)),
        ),
    )
    open_findings = evaluate(open_case, THRESHOLDS, datetime(2026, 4, 1, 9, 0, tzinfo=SHANGHAI))
    refused = decided(
        datetime(2026, 3, 12, 15, 0, tzinfo=SHANGHAI), outcome="rejected", steps=(step(1), step(2))
    )

    found = [*open_findings, *evaluate(refused, THRESHOLDS, LATER)]
    assert kinds(found) == set(SPECIFIED_LEVELS)
    assert all(f.level == SPECIFIED_LEVELS[f.kind] for f in found)


# due_soon (warning) ----------------------------------------------------------------------------


def test_an_open_case_is_due_soon_from_the_start_of_the_working_day_before_its_promised_deadline() -> None:
    found = findings_of("due_soon", view(), datetime(2026, 3, 13, 0, 0, tzinfo=SHANGHAI))
    assert summary(found) == [
        ("due_soon", Level.warning, datetime(2026, 3, 13, 0, 0, tzinfo=SHANGHAI), NO_STEP, (2,))
    ]
    assert found[0].params == {"warning_workdays": 1}


def test_an_open_case_is_not_due_soon_one_microsecond_before_its_warning_starts() -> None:
    now = datetime(2026, 3, 12, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert findings_of("due_soon", view(), now) == []


def test_an_open_case_is_still_due_soon_on_its_due_date_itself() -> None:
    found = findings_of("due_soon", view(), datetime(2026, 3, 16, 18, 0, tzinfo=SHANGHAI))
    assert summary(found) == [("due_soon", Level.warning, WARN_AT, NO_STEP, (2,))]


def test_a_case_with_no_promise_is_due_soon_before_its_statutory_deadline() -> None:
    warn_at = datetime(2026, 3, 27, 0, 0, tzinfo=SHANGHAI)  # Fri, the working day before Mon 30 Mar
    case = view(promised_due_at=None, warn_at=warn_at)
    found = findings_of("due_soon", case, datetime(2026, 3, 27, 9, 0, tzinfo=SHANGHAI))
    assert summary(found) == [("due_soon", Level.warning, warn_at, NO_STEP, (2,))]
    assert found[0].params == {"warning_workdays": 1}


def test_a_case_decided_before_its_due_date_is_not_due_soon() -> None:
    case = view(
        status="decided", outcome="approved", decided_at=datetime(2026, 3, 12, 15, 0, tzinfo=SHANGHAI)
    )
    assert findings_of("due_soon", case, datetime(2026, 3, 13, 9, 0, tzinfo=SHANGHAI)) == []


def test_a_withdrawn_case_is_not_due_soon() -> None:
    case = view(status="withdrawn", withdrawn_at=datetime(2026, 3, 12, 15, 0, tzinfo=SHANGHAI))
    assert findings_of("due_soon", case, datetime(2026, 3, 13, 9, 0, tzinfo=SHANGHAI)) == []


def test_a_frozen_case_is_not_due_soon_while_its_lawful_suspension_is_open() -> None:
    case = view(status="suspended", frozen=True, suspended_since=datetime(2026, 3, 12, 9, 0, tzinfo=SHANGHAI))
    assert findings_of("due_soon", case, datetime(2026, 3, 13, 9, 0, tzinfo=SHANGHAI)) == []


def test_a_due_soon_warning_records_the_warning_workdays_it_was_raised_with() -> None:
    # An item warned 3 working days ahead: ingestion stored the start of Wed 11 Mar as warn_at.
    warn_at = datetime(2026, 3, 11, 0, 0, tzinfo=SHANGHAI)
    thresholds = {**THRESHOLDS, "warning_workdays": 3}
    now = datetime(2026, 3, 11, 8, 0, tzinfo=SHANGHAI)
    found = findings_of("due_soon", view(warn_at=warn_at), now, thresholds)
    assert summary(found) == [("due_soon", Level.warning, warn_at, NO_STEP, (2,))]
    assert found[0].params["warning_workdays"] == 3


# step_overdue (yellow) -------------------------------------------------------------------------

STEP1_DUE = datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=SHANGHAI)
STEP2_DUE = datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=SHANGHAI)
DONE_LATE = datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI)  # step 1, after its deadline
STARTED = datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI)  # step 1 done, step 2 started


@pytest.mark.parametrize(
    ("steps", "events", "now", "since", "seq", "evidence"),
    [
        pytest.param(
            (
                step(1, started_at=ACCEPTED, completed_at=DONE_LATE, due_at=STEP1_DUE),
                step(2, due_at=STEP2_DUE),
            ),
            (event(3, "step_started", ACCEPTED, step=1), event(4, "step_completed", DONE_LATE, step=1)),
            datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI),
            datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=SHANGHAI),
            1,
            (3,),
            id="completed after it",
        ),
        pytest.param(
            (step(1, completed_at=STARTED, due_at=STEP1_DUE), step(2, started_at=STARTED, due_at=STEP2_DUE)),
            (event(3, "step_completed", STARTED, step=1), event(4, "step_started", STARTED, step=2)),
            datetime(2026, 3, 10, 0, 0, tzinfo=SHANGHAI),
            datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=SHANGHAI),
            2,
            (4,),
            id="still open after it",
        ),
    ],
)
def test_a_step_past_its_deadline_is_overdue_even_while_the_case_is_on_time(
    steps: tuple[StepView, ...],
    events: tuple[EventView, ...],
    now: datetime,
    since: datetime,
    seq: int,
    evidence: tuple[int, ...],
) -> None:
    case = view(steps=steps, events=(RECEIVED_EVENT, ACCEPTED_EVENT, *events))
    assert summary(findings_of("step_overdue", case, now)) == [
        ("step_overdue", Level.yellow, since, seq, evidence)
    ]
    assert evaluate(case, THRESHOLDS, now) == findings_of("step_overdue", case, now)


def test_each_late_step_is_a_finding_of_its_own() -> None:
    case = view(steps=(step(1, due_at=STEP1_DUE), step(2, due_at=STEP2_DUE), step(3, due_at=PROMISED_DUE)))
    found = findings_of("step_overdue", case, datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI))
    # No step_started event: the evidence is the acceptance, which started the clock.
    assert summary(found) == [
        ("step_overdue", Level.yellow, STEP1_DUE, 1, (2,)),
        ("step_overdue", Level.yellow, STEP2_DUE, 2, (2,)),
    ]


def test_a_step_completed_exactly_at_its_deadline_is_on_time() -> None:
    case = view(steps=(step(1, completed_at=STEP1_DUE, due_at=STEP1_DUE),))
    assert findings_of("step_overdue", case, LATER) == []


def test_an_open_step_is_not_overdue_at_the_instant_its_deadline_ends() -> None:
    case = view(steps=(step(1, due_at=STEP1_DUE),))
    assert findings_of("step_overdue", case, STEP1_DUE) == []
    assert len(findings_of("step_overdue", case, STEP1_DUE + MICROSECOND)) == 1


def test_a_step_without_a_deadline_is_never_overdue() -> None:
    case = view(steps=(step(1, due_at=None),))
    assert findings_of("step_overdue", case, LATER) == []


# promise_overdue (yellow) and statutory_overdue (red) -------------------------------------------
#
# The two case deadlines follow the same rules; each scenario runs once for the promise and once
# for the law's limit, with the kind, level, deadline and dates spelt out per case.


@pytest.mark.parametrize(
    ("kind", "decided_at", "also_found"),
    [
        ("promise_overdue", datetime(2026, 3, 16, 23, 59, 59, 999999, tzinfo=SHANGHAI), None),
        (
            "statutory_overdue",
            datetime(2026, 3, 30, 23, 59, 59, 999999, tzinfo=SHANGHAI),
            {"promise_overdue"},
        ),
    ],
    ids=["keeps the promise", "stays within the law"],
)
def test_a_case_decided_exactly_at_its_deadline_is_on_time(
    kind: str, decided_at: datetime, also_found: set[str] | None
) -> None:
    case = decided(decided_at)
    assert findings_of(kind, case, LATER) == []
    if also_found is not None:
        assert kinds(evaluate(case, THRESHOLDS, LATER)) == also_found


@pytest.mark.parametrize(
    ("kind", "level", "decided_at", "since", "due"),
    [
        (
            "promise_overdue",
            Level.yellow,
            datetime(2026, 3, 17, 0, 0, tzinfo=SHANGHAI),
            datetime(2026, 3, 16, 23, 59, 59, 999999, tzinfo=SHANGHAI),
            PROMISED_DUE,
        ),
        (
            "statutory_overdue",
            Level.red,
            datetime(2026, 3, 31, 0, 0, tzinfo=SHANGHAI),
            datetime(2026, 3, 30, 23, 59, 59, 999999, tzinfo=SHANGHAI),
            STATUTORY_DUE,
        ),
    ],
    ids=["breaks the promise", "breaks the law"],
)
def test_a_case_decided_one_microsecond_after_its_deadline_is_late_since_the_deadline(
    kind: str, level: Level, decided_at: datetime, since: datetime, due: datetime
) -> None:
    found = findings_of(kind, decided(decided_at), LATER)
    assert summary(found) == [(kind, level, since, NO_STEP, (2,))]
    assert found[0].params == {}  # the deadline itself is the flag's `since`
    assert found[0].since == due


@pytest.mark.parametrize(
    ("kind", "due"),
    [("promise_overdue", PROMISED_DUE), ("statutory_overdue", STATUTORY_DUE)],
    ids=["the promise", "the statutory limit"],
)
def test_an_open_case_is_not_late_at_its_due_instant_itself(kind: str, due: datetime) -> None:
    assert findings_of(kind, view(), due) == []


@pytest.mark.parametrize(
    ("kind", "level", "due", "just_after"),
    [
        ("promise_overdue", Level.yellow, PROMISED_DUE, datetime(2026, 3, 17, 0, 0, tzinfo=SHANGHAI)),
        ("statutory_overdue", Level.red, STATUTORY_DUE, STATUTORY_DUE + MICROSECOND),
    ],
    ids=["breaks the promise (a yellow card)", "breaks the law (a red card)"],
)
def test_an_open_case_is_late_one_microsecond_after_its_due_instant(
    kind: str, level: Level, due: datetime, just_after: datetime
) -> None:
    found = findings_of(kind, view(), just_after)
    assert summary(found) == [(kind, level, due, NO_STEP, (2,))]


def test_a_case_never_accepted_cites_its_receipt_as_the_start_of_the_clock() -> None:
    case = view(accepted_at=None, events=(RECEIVED_EVENT,))
    found = findings_of("promise_overdue", case, datetime(2026, 3, 18, 9, 0, tzinfo=SHANGHAI))
    assert summary(found) == [("promise_overdue", Level.yellow, PROMISED_DUE, NO_STEP, (1,))]


@pytest.mark.parametrize(
    ("kind", "now", "nothing_else_found"),
    [
        ("promise_overdue", datetime(2026, 3, 20, 9, 0, tzinfo=SHANGHAI), False),
        ("statutory_overdue", datetime(2026, 4, 8, 9, 0, tzinfo=SHANGHAI), True),
    ],
    ids=["the promise", "the statutory limit"],
)
def test_a_frozen_case_past_its_due_date_is_not_late_while_the_lawful_suspension_lasts(
    kind: str, now: datetime, nothing_else_found: bool
) -> None:
    case = view(status="suspended", frozen=True, suspended_since=datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI))
    assert findings_of(kind, case, now) == []
    if nothing_else_found:
        assert evaluate(case, THRESHOLDS, now) == []


def test_a_suspension_that_began_at_the_due_instant_itself_still_stops_the_clock_in_time() -> None:
    case = view(status="suspended", frozen=True, suspended_since=PROMISED_DUE)
    assert findings_of("promise_overdue", case, datetime(2026, 3, 20, 9, 0, tzinfo=SHANGHAI)) == []


@pytest.mark.parametrize(
    ("kind", "level", "suspended_since", "now", "due"),
    [
        (
            "promise_overdue",
            Level.yellow,
            datetime(2026, 3, 17, 9, 0, tzinfo=SHANGHAI),
            datetime(2026, 3, 20, 9, 0, tzinfo=SHANGHAI),
            PROMISED_DUE,
        ),
        (
            "statutory_overdue",
            Level.red,
            datetime(2026, 4, 1, 9, 0, tzinfo=SHANGHAI),
            datetime(2026, 4, 8, 9, 0, tzinfo=SHANGHAI),
            STATUTORY_DUE,
        ),
    ],
    ids=["the promise", "the statutory limit"],
)
def test_a_suspension_that_began_after_the_deadline_had_passed_does_not_excuse_the_delay(
    kind: str, level: Level, suspended_since: datetime, now: datetime, due: datetime
) -> None:
    case = view(status="suspended", frozen=True, suspended_since=suspended_since)
    assert summary(findings_of(kind, case, now)) == [(kind, level, due, NO_STEP, (2,))]


def test_a_case_without_a_promise_cannot_break_one() -> None:
    assert findings_of("promise_overdue", view(promised_due_at=None), LATER) == []


# off_list_power (red) --------------------------------------------------------------------------


def test_a_case_filed_under_a_power_off_the_published_list_is_a_red_card() -> None:
    found = findings_of("off_list_power", view(on_list=False), EARLY)
    assert summary(found) == [
        ("off_list_power", Level.red, datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI), NO_STEP, (1,))
    ]
    assert found[0].params == {"power_code": "330217001000"}


def test_a_case_filed_under_a_listed_power_is_not_flagged() -> None:
    assert findings_of("off_list_power", view(on_list=True), LATER) == []


# out_of_order (yellow) -------------------------------------------------------------------------

THREE_STEPS = (step(1), step(2), step(3))


def completions(*step_on_day: tuple[int, int]) -> tuple[EventView, ...]:
    """The example case's events, then one step_completed event (ids 3, 4, …) per (step, day of
    March) pair, each at 11:00."""
    completed = tuple(
        event(3 + i, "step_completed", datetime(2026, 3, day, 11, 0, tzinfo=SHANGHAI), step=seq)
        for i, (seq, day) in enumerate(step_on_day)
    )
    return (RECEIVED_EVENT, ACCEPTED_EVENT, *completed)


def test_a_step_completed_before_a_lower_mandatory_step_is_out_of_order() -> None:
    case = view(steps=THREE_STEPS, events=completions((2, 4), (1, 5), (3, 6)))
    found = findings_of("out_of_order", case, LATER)
    assert summary(found) == [
        ("out_of_order", Level.yellow, datetime(2026, 3, 4, 11, 0, tzinfo=SHANGHAI), 2, (3,))
    ]


def test_each_step_completed_early_is_named() -> None:
    case = view(steps=THREE_STEPS, events=completions((3, 3), (2, 4)))
    assert summary(findings_of("out_of_order", case, LATER)) == [
        ("out_of_order", Level.yellow, datetime(2026, 3, 4, 11, 0, tzinfo=SHANGHAI), 2, (4,)),
        ("out_of_order", Level.yellow, datetime(2026, 3, 3, 11, 0, tzinfo=SHANGHAI), 3, (3,)),
    ]


def test_steps_completed_in_order_are_not_out_of_order() -> None:
    case = view(steps=THREE_STEPS, events=completions((1, 3), (2, 4), (3, 5)))
    assert findings_of("out_of_order", case, LATER) == []


def test_completing_a_step_ahead_of_an_optional_lower_step_is_in_order() -> None:
    case = view(steps=(step(1, mandatory=False), step(2)), events=completions((2, 4)))
    assert findings_of("out_of_order", case, LATER) == []


# skipped_step (yellow) -------------------------------------------------------------------------

DECIDED_AT = datetime(2026, 3, 12, 15, 0, tzinfo=SHANGHAI)


def test_a_case_decided_while_a_mandatory_step_was_never_completed_skipped_it() -> None:
    case = decided(DECIDED_AT, steps=THREE_STEPS, events=completions((1, 4)))
    found = findings_of("skipped_step", case, LATER)
    assert summary(found) == [
        ("skipped_step", Level.yellow, datetime(2026, 3, 12, 15, 0, tzinfo=SHANGHAI), 2, (9,))
    ]


def test_each_skipped_step_is_a_finding_of_its_own() -> None:
    case = decided(DECIDED_AT, steps=(step(1), step(2), step(3), step(4)))
    assert summary(findings_of("skipped_step", case, LATER)) == [
        ("skipped_step", Level.yellow, DECIDED_AT, 1, (9,)),
        ("skipped_step", Level.yellow, DECIDED_AT, 2, (9,)),
        ("skipped_step", Level.yellow, DECIDED_AT, 3, (9,)),
    ]


def test_a_decision_without_a_completion_event_for_the_last_step_skips_nothing() -> None:
    case = decided(DECIDED_AT, steps=THREE_STEPS, events=completions((1, 4), (2, 5)))
    assert findings_of("skipped_step", case, LATER) == []


def test_an_optional_step_never_completed_is_not_skipped() -> None:
    case = decided(DECIDED_AT, steps=(step(1, mandatory=False), step(2)))
    assert findings_of("skipped_step", case, LATER) == []


def test_an_undecided_case_with_pending_steps_has_skipped_nothing_yet() -> None:
    assert findings_of("skipped_step", view(steps=THREE_STEPS), LATER) == []


# backdated (yellow) ----------------------------------------------------------------------------

HAPPENED = datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI)


def backdated_case(*lags: timedelta) -> CaseView:
    """The example case plus one step_completed event per lag, each recorded that long after it happened."""
    extra = tuple(
        event(
            3 + i,
            "step_completed",
            HAPPENED + timedelta(hours=i),
            HAPPENED + timedelta(hours=i) + lag,
            step=1,
        )
        for i, lag in enumerate(lags)
    )
    return view(steps=(step(1),), events=(RECEIVED_EVENT, ACCEPTED_EVENT, *extra))


def test_an_event_recorded_more_than_24_hours_after_it_happened_is_backdated() -> None:
    case = backdated_case(timedelta(hours=24) + MICROSECOND)
    found = findings_of("backdated", case, LATER)
    assert summary(found) == [
        ("backdated", Level.yellow, datetime(2026, 3, 4, 9, 0, 0, 1, tzinfo=SHANGHAI), NO_STEP, (3,))
    ]
    assert found[0].params == {"backdate_tolerance_hours": 24}


def test_an_event_recorded_exactly_24_hours_after_it_happened_is_not_backdated() -> None:
    assert findings_of("backdated", backdated_case(timedelta(hours=24)), LATER) == []


def test_all_backdated_events_of_a_case_make_one_finding_since_the_first_was_recorded() -> None:
    case = backdated_case(timedelta(hours=30), timedelta(hours=1), timedelta(hours=72))
    found = findings_of("backdated", case, LATER)
    # Event 3 happened 3 Mar 09:00 and was recorded 4 Mar 15:00; event 5 was recorded 6 Mar 11:00.
    assert summary(found) == [
        ("backdated", Level.yellow, datetime(2026, 3, 4, 15, 0, tzinfo=SHANGHAI), NO_STEP, (3, 5))
    ]


def test_since_is_the_earliest_recording_even_when_events_were_entered_out_of_order() -> None:
    # Event 3 claims 3 Mar 09:00 but was recorded 7 Mar 09:00; event 4 claims 3 Mar 10:00 and
    # was recorded 5 Mar 10:00: the case first held a backdated record on 5 Mar.
    case = backdated_case(timedelta(hours=96), timedelta(hours=48))
    found = findings_of("backdated", case, LATER)
    assert summary(found) == [
        ("backdated", Level.yellow, datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI), NO_STEP, (3, 4))
    ]


def test_a_48_hour_tolerance_clears_an_entry_30_hours_late_and_is_recorded_when_exceeded() -> None:
    lenient = {"warning_workdays": 1, "stall_workdays": 10, "backdate_tolerance_hours": 48}
    thirty = backdated_case(timedelta(hours=30))
    assert len(findings_of("backdated", thirty, LATER, THRESHOLDS)) == 1
    assert findings_of("backdated", thirty, LATER, lenient) == []

    fifty = backdated_case(timedelta(hours=50))
    found = findings_of("backdated", fifty, LATER, lenient)
    assert summary(found) == [
        ("backdated", Level.yellow, datetime(2026, 3, 5, 11, 0, tzinfo=SHANGHAI), NO_STEP, (3,))
    ]
    assert found[0].params == {"backdate_tolerance_hours": 48}


# fee_violation (yellow) ------------------------------------------------------------------------

FEE1_AT = datetime(2026, 3, 3, 11, 0, tzinfo=SHANGHAI)
FEE2_AT = datetime(2026, 3, 4, 11, 0, tzinfo=SHANGHAI)
FEE3_AT = datetime(2026, 3, 5, 11, 0, tzinfo=SHANGHAI)


def fees(*amounts: str, **overrides: Any) -> CaseView:
    """The example case charged these amounts on 3, 4, 5 … Mar at 11:00 (events 3, 4, 5 …)."""
    charged = tuple(
        event(3 + i, "fee_charged", FEE1_AT + timedelta(days=i), amount=amount)
        for i, amount in enumerate(amounts)
    )
    return view(
        events=(RECEIVED_EVENT, ACCEPTED_EVENT, *charged),
        fee_charged=sum((Decimal(a) for a in amounts), Decimal("0")),
        **overrides,
    )


def test_any_fee_charged_on_a_no_fee_item_is_a_violation() -> None:
    found = findings_of("fee_violation", fees("20.00", no_fee=True), LATER)
    assert summary(found) == [
        ("fee_violation", Level.yellow, datetime(2026, 3, 3, 11, 0, tzinfo=SHANGHAI), NO_STEP, (3,))
    ]
    assert found[0].params["charged"] == "20.00"
    assert found[0].params["no_fee"] is True


def test_fees_adding_up_above_the_standard_amount_are_a_violation_from_the_fee_that_crossed_it() -> None:
    case = fees("30.00", "30.00", "5.00", no_fee=False, fee_amount=Decimal("50.00"))
    found = findings_of("fee_violation", case, LATER)
    assert summary(found) == [
        ("fee_violation", Level.yellow, datetime(2026, 3, 4, 11, 0, tzinfo=SHANGHAI), NO_STEP, (3, 4))
    ]
    assert found[0].params["charged"] == "60.00"
    assert found[0].params["allowed"] == "50.00"


def test_a_fee_equal_to_the_standard_amount_is_lawful() -> None:
    assert findings_of("fee_violation", fees("50.00", no_fee=False, fee_amount=Decimal("50.00")), LATER) == []


def test_fees_adding_up_exactly_to_the_standard_amount_are_lawful() -> None:
    case = fees("20.00", "30.00", no_fee=False, fee_amount=Decimal("50.00"))
    assert findings_of("fee_violation", case, LATER) == []


def test_a_no_fee_item_with_no_fee_charged_is_not_flagged() -> None:
    assert findings_of("fee_violation", fees(no_fee=True), LATER) == []


# unlawful_suspension (yellow) ------------------------------------------------------------------


def suspended_for(reason: str) -> CaseView:
    at = datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI)
    return view(
        status="suspended",
        frozen=reason != "other",
        suspended_since=at,
        events=(RECEIVED_EVENT, ACCEPTED_EVENT, event(3, "suspended", at, reason=reason)),
    )


def test_a_suspension_for_another_reason_than_the_law_lists_is_unlawful() -> None:
    found = findings_of("unlawful_suspension", suspended_for("other"), LATER)
    assert summary(found) == [
        ("unlawful_suspension", Level.yellow, datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI), NO_STEP, (3,))
    ]


def test_a_suspension_for_testing_is_lawful() -> None:
    assert findings_of("unlawful_suspension", suspended_for("testing"), LATER) == []


# stalled (warning) -----------------------------------------------------------------------------


def test_an_open_case_with_no_event_past_its_stall_moment_is_stalled() -> None:
    now = datetime(2026, 3, 17, 0, 0, tzinfo=SHANGHAI)
    found = findings_of("stalled", view(), now)
    assert summary(found) == [
        ("stalled", Level.warning, datetime(2026, 3, 16, 23, 59, 59, 999999, tzinfo=SHANGHAI), NO_STEP, (2,))
    ]
    assert found[0].params == {"stall_workdays": 10}


def test_an_open_case_is_not_stalled_at_the_stall_moment_itself() -> None:
    assert findings_of("stalled", view(), STALL_AT) == []


def test_a_suspended_case_is_not_stalled() -> None:
    case = view(status="suspended", frozen=True, suspended_since=datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI))
    assert findings_of("stalled", case, datetime(2026, 3, 20, 9, 0, tzinfo=SHANGHAI)) == []


def test_a_decided_case_is_not_stalled() -> None:
    assert findings_of("stalled", decided(DECIDED_AT), LATER) == []


def test_a_stalled_flag_records_the_stall_workdays_it_was_raised_with() -> None:
    # An item stalled after 5 working days: ingestion stored the end of Mon 9 Mar as stall_at.
    stall_at = datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    thresholds = {**THRESHOLDS, "stall_workdays": 5}
    found = findings_of(
        "stalled", view(stall_at=stall_at), datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI), thresholds
    )
    assert summary(found) == [("stalled", Level.warning, stall_at, NO_STEP, (2,))]
    assert found[0].params == {"stall_workdays": 5}


# refused_without_reason (yellow) ---------------------------------------------------------------


def test_a_rejection_without_a_reason_is_a_yellow_card() -> None:
    case = decided(DECIDED_AT, outcome="rejected", decision_reason="")
    found = findings_of("refused_without_reason", case, LATER)
    assert summary(found) == [
        ("refused_without_reason", Level.yellow, datetime(2026, 3, 12, 15, 0, tzinfo=SHANGHAI), NO_STEP, (9,))
    ]


def test_a_rejection_with_a_reason_is_not_flagged() -> None:
    case = decided(DECIDED_AT, outcome="rejected", decision_reason="申请材料不符合法定形式")
    assert findings_of("refused_without_reason", case, LATER) == []


def test_an_approval_needs_no_reason() -> None:
    assert findings_of("refused_without_reason", decided(DECIDED_AT, outcome="approved"), LATER) == []


@pytest.mark.parametrize("kind", sorted(SPECIFIED_LEVELS))
def test_each_rule_finds_nothing_on_a_clean_open_case(kind: str) -> None:
    assert findings_of(kind, view(), EARLY) == []
