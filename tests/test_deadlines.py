"""A case's deadlines from its facts: worked examples with the dates written out, and one property.

2026 calendar used below (State Council notice): Spring Festival off Sun 15 – Mon 23 Feb with
make-up working Saturdays 14 and 28 Feb; Qingming off Sat 4 – Mon 6 Apr; Mid-Autumn off
Fri 25 – Sun 27 Sep; National Day off Thu 1 – Wed 7 Oct with make-up working Sun 20 Sep and
Sat 10 Oct. 2027 has no official data yet: Monday to Friday is assumed and deadlines are provisional.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from powerlists.limits import Limit, Unit
from tracker.calendar import OFFICIAL, WorkCalendar
from tracker.deadlines import CaseFacts, Deadlines, StepFacts, Suspension, compute, lawful
from tracker.sla import Due

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def workdays(n: int) -> Limit:
    return Limit(n, Unit.workday)


def lawfully(start: datetime, end: datetime | None) -> Suspension:
    return Suspension(start, end, lawful=True)


def case(
    accepted_at: datetime,
    statutory: Limit | None = None,
    promised: Limit | None = None,
    suspensions: tuple[Suspension, ...] = (),
    steps: tuple[StepFacts, ...] = (),
    cal: WorkCalendar = OFFICIAL,
) -> Deadlines:
    return compute(CaseFacts(accepted_at, statutory, promised, suspensions, steps), cal, SHANGHAI)


def due_dates(result: Deadlines) -> tuple[date | None, date | None]:
    statutory, promised = result.statutory, result.promised
    return (
        statutory.due_date if statutory else None,
        promised.due_date if promised else None,
    )


def step_dates(result: Deadlines) -> dict[int, date | None]:
    return {seq: d.due_date if d else None for seq, d in result.steps.items()}


# Accepted Mon 2 Mar 2026: 20 working days end Mon 30 Mar, 10 working days end Mon 16 Mar.
MON_2_MAR = at(2026, 3, 2)


# The case deadlines


def test_without_suspensions_the_deadlines_run_from_acceptance() -> None:
    result = case(MON_2_MAR, workdays(20), workdays(10))
    assert due_dates(result) == (date(2026, 3, 30), date(2026, 3, 16))
    assert result.statutory is not None and result.statutory.due_at == end_of(2026, 3, 30)
    assert result.statutory.start == MON_2_MAR
    assert not result.frozen and result.shift_workdays == 0 and not result.provisional
    assert result.steps == {}


def test_an_item_without_limits_has_no_case_deadlines() -> None:
    result = case(MON_2_MAR, None, None, (lawfully(at(2026, 3, 3), at(2026, 3, 6)),))
    assert result.statutory is None and result.promised is None
    assert result.shift_workdays == 3 and not result.provisional


def test_a_closed_lawful_suspension_moves_both_deadlines_by_the_working_days_after_it_began() -> None:
    # Suspended Tue 3 Mar, resumed Fri 6 Mar: (3 Mar, 6 Mar] holds Wed 4, Thu 5, Fri 6 Mar.
    result = case(MON_2_MAR, workdays(20), workdays(10), (lawfully(at(2026, 3, 3), at(2026, 3, 6)),))
    assert result.shift_workdays == 3
    # Mon 30 Mar + 3 → Tue 31 Mar, Wed 1 Apr, Thu 2 Apr; Mon 16 Mar + 3 → Thu 19 Mar.
    assert due_dates(result) == (date(2026, 4, 2), date(2026, 3, 19))
    assert result.statutory is not None and result.statutory.due_at == end_of(2026, 4, 2)
    assert result.statutory.start == MON_2_MAR, "a moved deadline keeps the start of its clock"
    assert not result.frozen and not result.provisional


def test_the_moved_deadline_keeps_the_days_skipped_before_the_suspension() -> None:
    plain = case(MON_2_MAR, workdays(10))
    moved = case(MON_2_MAR, workdays(10), suspensions=(lawfully(at(2026, 3, 3), at(2026, 3, 6)),))
    assert plain.statutory is not None and moved.statutory is not None
    assert moved.statutory.skipped == plain.statutory.skipped


def test_a_suspension_over_a_weekend_counts_only_the_working_days() -> None:
    # Suspended Fri 6 Mar, resumed Mon 9 Mar: Sat 7 and Sun 8 Mar do not count, Mon 9 Mar does.
    result = case(MON_2_MAR, workdays(10), suspensions=(lawfully(at(2026, 3, 6), at(2026, 3, 9)),))
    assert result.shift_workdays == 1
    assert due_dates(result) == (date(2026, 3, 17), None)  # Mon 16 Mar + 1 → Tue 17 Mar


def test_a_suspension_over_the_spring_festival_counts_the_make_up_saturday_but_not_the_holiday() -> None:
    # Accepted Mon 9 Feb, 10 working days: 10–13 Feb, Sat 14 Feb, 24–27 Feb, Sat 28 Feb.
    # Suspended Fri 13 Feb, resumed Wed 25 Feb: Sat 14, Tue 24, Wed 25 Feb count; 15–23 Feb are off.
    result = case(
        at(2026, 2, 9), workdays(10), suspensions=(lawfully(at(2026, 2, 13, 15), at(2026, 2, 25, 9)),)
    )
    assert result.shift_workdays == 3
    assert due_dates(result) == (date(2026, 3, 4), None)  # Sat 28 Feb + 3 → Mon 2, Tue 3, Wed 4 Mar


def test_a_suspension_over_national_day_moves_the_deadline_onto_the_make_up_saturday() -> None:
    # Accepted Fri 18 Sep, 10 working days: Sun 20, 21–24 Sep (25 Sep is Mid-Autumn), 28–30 Sep,
    # Thu 8 and Fri 9 Oct. Suspended Wed 30 Sep, resumed Thu 8 Oct: only 8 Oct counts.
    result = case(at(2026, 9, 18), workdays(10), suspensions=(lawfully(at(2026, 9, 30), at(2026, 10, 8)),))
    assert result.shift_workdays == 1
    assert due_dates(result) == (date(2026, 10, 10), None)  # Fri 9 Oct + 1 → make-up Sat 10 Oct


def test_two_suspensions_add_up() -> None:
    # Tue 3 → Fri 6 Mar: 4, 5, 6 Mar. Wed 11 → Mon 16 Mar: 12, 13, 16 Mar. Six working days in all.
    result = case(
        MON_2_MAR,
        workdays(20),
        workdays(10),
        (lawfully(at(2026, 3, 3), at(2026, 3, 6)), lawfully(at(2026, 3, 11), at(2026, 3, 16))),
    )
    assert result.shift_workdays == 6
    # Mon 30 Mar + 6 → 31 Mar, 1–3 Apr, (Qingming 4–6 Apr off) 7, 8 Apr; Mon 16 Mar + 6 → Tue 24 Mar.
    assert due_dates(result) == (date(2026, 4, 8), date(2026, 3, 24))


def test_overlapping_suspensions_never_count_a_day_twice() -> None:
    result = case(
        MON_2_MAR,
        workdays(10),
        suspensions=(lawfully(at(2026, 3, 3), at(2026, 3, 6)), lawfully(at(2026, 3, 4), at(2026, 3, 5))),
    )
    assert result.shift_workdays == 3
    assert due_dates(result) == (date(2026, 3, 19), None)


def test_an_unlawful_suspension_moves_nothing_and_never_freezes() -> None:
    assert not lawful("other") and lawful("hearing") and lawful("supplement")
    closed = Suspension(at(2026, 3, 3), at(2026, 3, 6), lawful=False)
    still_open = Suspension(at(2026, 3, 9), None, lawful=False)
    result = case(MON_2_MAR, workdays(20), workdays(10), (closed, still_open))
    assert due_dates(result) == (date(2026, 3, 30), date(2026, 3, 16))
    assert result.shift_workdays == 0 and not result.frozen


def test_an_open_lawful_suspension_freezes_the_clock_and_moves_nothing_until_it_ends() -> None:
    result = case(MON_2_MAR, workdays(20), workdays(10), (lawfully(at(2026, 3, 3), None),))
    assert result.frozen
    assert due_dates(result) == (date(2026, 3, 30), date(2026, 3, 16))
    assert result.shift_workdays == 0


def test_while_suspended_again_the_deadlines_count_only_the_closed_suspensions() -> None:
    result = case(
        MON_2_MAR,
        workdays(20),
        workdays(10),
        (lawfully(at(2026, 3, 3), at(2026, 3, 6)), lawfully(at(2026, 3, 11), None)),
    )
    assert result.frozen and result.shift_workdays == 3
    assert due_dates(result) == (date(2026, 4, 2), date(2026, 3, 19))


def test_a_suspension_before_acceptance_is_ignored() -> None:
    # Received Mon 2 Mar and asked for missing papers (补正) until Thu 5 Mar, then accepted Thu 5 Mar 15:00.
    # 10 working days from Thu 5 Mar: 6 Mar, 9–13 Mar, 16–19 Mar.
    supplement = lawfully(at(2026, 3, 2, 11), at(2026, 3, 5, 14))
    result = case(at(2026, 3, 5, 15), workdays(10), suspensions=(supplement,))
    assert due_dates(result) == (date(2026, 3, 19), None)
    assert result.shift_workdays == 0
    never_resumed = lawfully(at(2026, 3, 2, 11), None)
    assert not case(at(2026, 3, 5, 15), workdays(10), suspensions=(never_resumed,)).frozen


def test_an_hour_limit_moves_by_the_suspensions_wall_clock_duration() -> None:
    # Accepted Fri 6 Mar 16:30: 24 hours end Sat 7 Mar 16:30. Suspended Fri 6 Mar 17:00 until
    # Mon 9 Mar 09:00 (64 hours): the hour deadline ends Tue 10 Mar 08:30. The promised 5 working
    # days (9–13 Mar) move by the one working day in (6 Mar, 9 Mar], to Mon 16 Mar.
    result = case(
        at(2026, 3, 6, 16, 30),
        Limit(24, Unit.hour),
        workdays(5),
        (lawfully(at(2026, 3, 6, 17), at(2026, 3, 9, 9)),),
    )
    assert result.statutory is not None
    assert result.statutory.due_at == at(2026, 3, 10, 8, 30) and result.statutory.due_date is None
    assert due_dates(result) == (None, date(2026, 3, 16))
    assert result.shift_workdays == 1


def test_an_immediate_limit_moves_like_a_date() -> None:
    # Accepted and suspended Tue 3 Mar, resumed Thu 5 Mar: (3 Mar, 5 Mar] holds Wed 4 and Thu 5 Mar.
    suspension = lawfully(at(2026, 3, 3, 11), at(2026, 3, 5))
    result = case(at(2026, 3, 3, 10), Limit(0, Unit.immediate), suspensions=(suspension,))
    assert result.statutory is not None and result.statutory.due_at == end_of(2026, 3, 5)


# The steps


def test_a_step_runs_from_its_reported_start() -> None:
    # Step 2 started Wed 4 Mar 09:00, 3 working days: Thu 5, Fri 6, Mon 9 Mar.
    steps = (
        StepFacts(1, workdays(2), None, None),
        StepFacts(2, workdays(3), at(2026, 3, 4, 9), None),
    )
    assert step_dates(case(MON_2_MAR, steps=steps)) == {1: date(2026, 3, 4), 2: date(2026, 3, 9)}


def test_the_first_step_runs_from_acceptance() -> None:
    steps = (StepFacts(1, workdays(2), None, None),)  # Mon 2 Mar + 2 → Wed 4 Mar
    result = case(MON_2_MAR, steps=steps)
    assert step_dates(result) == {1: date(2026, 3, 4)}
    assert result.steps[1] is not None and result.steps[1].start == MON_2_MAR


def test_a_step_without_a_reported_start_runs_from_the_previous_steps_completion() -> None:
    # Step 1 completed Tue 3 Mar 16:00; step 2, 5 working days from Tue 3 Mar: 4–6, 9, 10 Mar.
    steps = (
        StepFacts(1, workdays(2), None, at(2026, 3, 3, 16)),
        StepFacts(2, workdays(5), None, None),
    )
    result = case(MON_2_MAR, steps=steps)
    assert step_dates(result) == {1: date(2026, 3, 4), 2: date(2026, 3, 10)}
    assert result.steps[2] is not None and result.steps[2].start == at(2026, 3, 3, 16)


def test_a_step_waiting_for_its_predecessor_has_no_deadline_yet() -> None:
    steps = (
        StepFacts(1, workdays(2), None, None),
        StepFacts(2, workdays(5), None, None),
        StepFacts(3, workdays(5), None, None),
    )
    assert step_dates(case(MON_2_MAR, steps=steps)) == {1: date(2026, 3, 4), 2: None, 3: None}


def test_a_step_without_a_limit_has_no_deadline_but_its_completion_starts_the_next() -> None:
    steps = (
        StepFacts(1, None, None, at(2026, 3, 3, 16)),
        StepFacts(2, workdays(1), None, None),  # Tue 3 Mar + 1 → Wed 4 Mar
    )
    assert step_dates(case(MON_2_MAR, steps=steps)) == {1: None, 2: date(2026, 3, 4)}


def test_a_suspension_during_a_step_moves_that_step_but_not_one_already_completed() -> None:
    # Step 1 (2 working days from Mon 2 Mar: Wed 4 Mar) completed Tue 3 Mar 16:00.
    # Step 2 (5 working days from Tue 3 Mar: Tue 10 Mar) is in progress when the case is suspended
    # Wed 4 Mar and resumed Fri 6 Mar: Thu 5 and Fri 6 Mar move it to Thu 12 Mar.
    steps = (
        StepFacts(1, workdays(2), None, at(2026, 3, 3, 16)),
        StepFacts(2, workdays(5), None, None),
        StepFacts(3, workdays(5), None, None),
    )
    suspension = lawfully(at(2026, 3, 4), at(2026, 3, 6))
    result = case(MON_2_MAR, workdays(10), suspensions=(suspension,), steps=steps)
    assert step_dates(result) == {1: date(2026, 3, 4), 2: date(2026, 3, 12), 3: None}
    assert due_dates(result) == (date(2026, 3, 18), None)  # the case moves too: Mon 16 Mar + 2


def test_a_suspension_before_a_step_started_does_not_move_it() -> None:
    # Suspended Tue 3 → Thu 5 Mar; step 2 started Fri 6 Mar: 2 working days → Tue 10 Mar.
    steps = (
        StepFacts(1, workdays(5), None, at(2026, 3, 6, 9)),
        StepFacts(2, workdays(2), at(2026, 3, 6, 9), None),
    )
    result = case(MON_2_MAR, suspensions=(lawfully(at(2026, 3, 3), at(2026, 3, 5)),), steps=steps)
    # Step 1 was in progress: Mon 9 Mar + 2 (Wed 4, Thu 5 Mar) → Wed 11 Mar.
    assert step_dates(result) == {1: date(2026, 3, 11), 2: date(2026, 3, 10)}


def test_steps_are_taken_in_seq_order() -> None:
    steps = (
        StepFacts(2, workdays(5), None, None),
        StepFacts(1, workdays(2), None, at(2026, 3, 3, 16)),
    )
    assert step_dates(case(MON_2_MAR, steps=steps)) == {1: date(2026, 3, 4), 2: date(2026, 3, 10)}


# Years no calendar source covers


def test_a_deadline_crossing_into_2027_is_provisional() -> None:
    # Accepted Wed 16 Dec 2026, 20 working days: 17–18, 21–25, 28–31 Dec, then Mon–Fri assumed in
    # 2027 (Fri 1 Jan counts), 4–8 and 11–13 Jan. The 10 promised days end Wed 30 Dec 2026.
    result = case(at(2026, 12, 16), workdays(20), workdays(10))
    assert due_dates(result) == (date(2027, 1, 13), date(2026, 12, 30))
    assert result.statutory is not None and result.statutory.provisional
    assert result.promised is not None and not result.promised.provisional
    assert result.provisional


def test_a_suspension_counted_across_2027_is_provisional_until_the_notice_is_loaded() -> None:
    # Accepted Mon 14 Dec 2026, 5 working days end Mon 21 Dec. Suspended Tue 29 Dec 2026, resumed
    # Tue 5 Jan 2027: 30, 31 Dec, then Fri 1 Jan (assumed working), Mon 4 and Tue 5 Jan: five days.
    suspension = lawfully(at(2026, 12, 29), at(2027, 1, 5))
    assumed = case(at(2026, 12, 14), workdays(5), suspensions=(suspension,))
    assert assumed.shift_workdays == 5
    assert due_dates(assumed) == (date(2026, 12, 28), None)  # 22–25, 28 Dec
    assert assumed.provisional and assumed.statutory is not None and assumed.statutory.provisional
    notice_2027 = WorkCalendar(overrides={date(2027, 1, 1): False}, loaded_years=frozenset({2027}))
    loaded = case(at(2026, 12, 14), workdays(5), suspensions=(suspension,), cal=notice_2027)
    assert loaded.shift_workdays == 4
    assert due_dates(loaded) == (date(2026, 12, 25), None)
    assert not loaded.provisional


def test_a_step_deadline_in_2027_makes_the_case_provisional() -> None:
    steps = (StepFacts(1, workdays(15), at(2026, 12, 21), None),)
    result = case(at(2026, 12, 1), workdays(5), steps=steps)
    assert result.statutory is not None and not result.statutory.provisional
    assert result.provisional


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        Suspension(datetime(2026, 3, 3, 10), None, lawful=True)
    with pytest.raises(ValueError, match="aware"):
        CaseFacts(datetime(2026, 3, 2, 10), None, None)


# Property


UNITS = [
    Limit(1, Unit.workday),
    Limit(20, Unit.workday),
    Limit(30, Unit.day),
    Limit(2, Unit.month),
    Limit(48, Unit.hour),
    Limit(0, Unit.immediate),
]

suspension_spans = st.lists(
    st.tuples(st.integers(min_value=0, max_value=60 * 24), st.integers(min_value=0, max_value=20 * 24)),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 10, 31)),
    st.sampled_from(UNITS),
    suspension_spans,
)
def test_lawful_closed_suspensions_never_make_the_statutory_deadline_earlier(
    accepted: datetime, limit: Limit, spans: list[tuple[int, int]]
) -> None:
    accepted = accepted.replace(tzinfo=SHANGHAI)
    suspensions = tuple(
        lawfully(accepted + timedelta(hours=offset), accepted + timedelta(hours=offset + length))
        for offset, length in spans
    )
    plain = case(accepted, limit).statutory
    moved = case(accepted, limit, suspensions=suspensions).statutory
    assert isinstance(plain, Due) and isinstance(moved, Due)
    assert moved.due_at >= plain.due_at
