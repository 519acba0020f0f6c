"""Deadline arithmetic: worked examples across real holidays, and properties that must always hold."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from powerlists.limits import Limit, Unit
from tracker.calendar import OFFICIAL, WorkCalendar
from tracker.sla import add_working_days, due, working_days_between

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def due_date(start: datetime, value: int, unit: Unit, cal: WorkCalendar = OFFICIAL) -> date | None:
    return due(start, Limit(value, unit), cal, SHANGHAI).due_date


# Worked examples (dates from the State Council notices, written out)


@pytest.mark.parametrize(
    ("start", "n", "expected", "why"),
    [
        # 2024 Spring Festival: off 10–17 Feb; Sun 4 Feb and Sun 18 Feb are make-up working days.
        (at(2024, 2, 2), 1, date(2024, 2, 4), "make-up Sunday 4 Feb counts"),
        (at(2024, 2, 8), 2, date(2024, 2, 18), "9 Feb, then 10–17 Feb off, make-up Sunday 18 Feb"),
        (at(2024, 2, 9), 1, date(2024, 2, 18), "the festival is skipped"),
        # 2024 National Day: off 1–7 Oct; Sun 29 Sep and Sat 12 Oct are working days.
        (at(2024, 9, 27), 1, date(2024, 9, 29), "make-up Sunday 29 Sep"),
        (at(2024, 9, 30), 1, date(2024, 10, 8), "1–7 Oct off"),
        (at(2024, 10, 11), 1, date(2024, 10, 12), "make-up Saturday 12 Oct"),
        # 2025 Spring Festival: off 28 Jan–4 Feb; Sun 26 Jan and Sat 8 Feb are working days.
        (at(2025, 1, 24), 1, date(2025, 1, 26), "make-up Sunday 26 Jan"),
        (at(2025, 1, 27), 1, date(2025, 2, 5), "28 Jan–4 Feb off"),
        (at(2025, 2, 7), 1, date(2025, 2, 8), "make-up Saturday 8 Feb"),
        # 2025 National Day and Mid-Autumn: off 1–8 Oct; Sun 28 Sep and Sat 11 Oct are working days.
        (at(2025, 9, 26), 1, date(2025, 9, 28), "make-up Sunday 28 Sep"),
        (at(2025, 9, 30), 1, date(2025, 10, 9), "1–8 Oct off"),
        (at(2025, 10, 10), 1, date(2025, 10, 11), "make-up Saturday 11 Oct"),
        # 2026 Spring Festival: off 15–23 Feb; Sat 14 Feb and Sat 28 Feb are working days.
        (at(2026, 2, 13), 1, date(2026, 2, 14), "make-up Saturday 14 Feb"),
        (at(2026, 2, 14), 1, date(2026, 2, 24), "15–23 Feb off"),
        (at(2026, 2, 14), 20, date(2026, 3, 20), "24–27 Feb, make-up Sat 28 Feb, then 15 days of March"),
        # 2026 National Day: off 1–7 Oct; Sun 20 Sep and Sat 10 Oct are working days.
        (at(2026, 9, 18), 1, date(2026, 9, 20), "make-up Sunday 20 Sep"),
        (at(2026, 9, 30), 1, date(2026, 10, 8), "1–7 Oct off"),
        (at(2026, 10, 9), 1, date(2026, 10, 10), "make-up Saturday 10 Oct"),
    ],
)
def test_working_day_deadlines_follow_the_official_notices(
    start: datetime, n: int, expected: date, why: str
) -> None:
    assert due_date(start, n, Unit.workday) == expected, why


def test_the_start_day_never_counts_even_when_it_is_a_working_day() -> None:
    assert due_date(at(2026, 3, 2), 1, Unit.workday) == date(2026, 3, 3)  # Monday → Tuesday
    assert due_date(at(2026, 3, 7), 1, Unit.workday) == date(2026, 3, 9)  # Saturday → Monday


def test_skipped_days_are_listed_with_why() -> None:
    result = due(at(2026, 9, 30), Limit(1, Unit.workday), OFFICIAL, SHANGHAI)
    assert [(s.date, s.why) for s in result.skipped] == [(date(2026, 10, d), "holiday") for d in range(1, 8)]
    weekend = due(at(2026, 3, 6), Limit(1, Unit.workday), OFFICIAL, SHANGHAI)
    assert [(s.date, s.why) for s in weekend.skipped] == [
        (date(2026, 3, 7), "weekend"),
        (date(2026, 3, 8), "weekend"),
    ]


def test_natural_days_move_to_the_next_working_day() -> None:
    assert due_date(at(2026, 3, 2), 15, Unit.day) == date(2026, 3, 17)
    assert due_date(at(2026, 3, 2), 12, Unit.day) == date(2026, 3, 16)  # Sat 14 → Mon 16
    assert due_date(at(2026, 9, 25), 7, Unit.day) == date(2026, 10, 8)  # 2 Oct is a holiday
    assert due_date(at(2026, 2, 4), 10, Unit.day) == date(2026, 2, 14)  # a make-up Saturday is a working day


def test_months_keep_the_day_number_or_the_months_last_day() -> None:
    assert due_date(at(2026, 3, 10), 3, Unit.month) == date(2026, 6, 10)
    assert due_date(at(2026, 1, 31), 1, Unit.month) == date(
        2026, 2, 28
    )  # last day of Feb, a make-up Saturday
    assert due_date(at(2025, 1, 31), 1, Unit.month) == date(2025, 2, 28)
    assert due_date(at(2026, 8, 31), 1, Unit.month) == date(2026, 9, 30)
    assert due_date(at(2026, 7, 31), 2, Unit.month) == date(2026, 9, 30)
    assert due_date(at(2026, 8, 1), 2, Unit.month) == date(
        2026, 10, 8
    )  # 1 Oct falls in the National Day holiday


def test_hours_end_at_an_instant_and_immediate_at_the_end_of_the_day() -> None:
    result = due(at(2026, 3, 6, 16, 30), Limit(24, Unit.hour), OFFICIAL, SHANGHAI)
    assert result.due_at == at(2026, 3, 7, 16, 30) and result.due_date is None
    now = due(at(2026, 3, 6, 16, 30), Limit(0, Unit.immediate), OFFICIAL, SHANGHAI)
    assert now.due_at == datetime(2026, 3, 6, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def test_a_deadline_ends_at_the_last_microsecond_of_its_day_in_the_sites_zone() -> None:
    utc_start = datetime(2026, 3, 1, 17, 0, tzinfo=ZoneInfo("UTC"))  # 2 Mar 01:00 in Shanghai
    result = due(utc_start, Limit(1, Unit.workday), OFFICIAL, SHANGHAI)
    assert result.due_date == date(2026, 3, 3)
    assert result.due_at == datetime(2026, 3, 3, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def test_a_year_no_source_covers_falls_back_to_weekdays_and_is_provisional() -> None:
    result = due(at(2026, 12, 30), Limit(5, Unit.workday), OFFICIAL, SHANGHAI)
    assert result.provisional
    assert result.due_date == date(2027, 1, 6)  # Mon–Fri assumed for 2027
    assert not due(at(2026, 12, 1), Limit(5, Unit.workday), OFFICIAL, SHANGHAI).provisional


def test_loaded_days_override_the_package_and_cover_their_year() -> None:
    notice_2027 = WorkCalendar(
        overrides={date(2027, 1, 1): False, date(2027, 1, 4): False, date(2027, 1, 9): True},
        loaded_years=frozenset({2027}),
    )
    result = due(at(2026, 12, 31), Limit(2, Unit.workday), notice_2027, SHANGHAI)
    assert not result.provisional
    assert result.due_date == date(2027, 1, 6)  # 1 Jan and 4 Jan off, 5 and 6 Jan count
    local = WorkCalendar(overrides={date(2026, 3, 3): False})  # a local day off
    assert due_date(at(2026, 3, 2), 1, Unit.workday, local) == date(2026, 3, 4)


def test_working_days_between_counts_the_half_open_interval() -> None:
    assert working_days_between(OFFICIAL, date(2026, 3, 2), date(2026, 3, 6)) == 4  # 3, 4, 5, 6 Mar
    assert working_days_between(OFFICIAL, date(2026, 9, 30), date(2026, 10, 8)) == 1
    assert working_days_between(OFFICIAL, date(2026, 3, 2), date(2026, 3, 2)) == 0


# Properties

dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 10, 31))
counts = st.integers(min_value=0, max_value=45)


def _start(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 9, 0, tzinfo=SHANGHAI)


@settings(max_examples=200, deadline=None)
@given(dates, st.integers(min_value=0, max_value=45))
def test_one_more_working_day_always_ends_later(d: date, n: int) -> None:
    first, _ = add_working_days(OFFICIAL, d, n)
    second, _ = add_working_days(OFFICIAL, d, n + 1)
    assert second > first


@settings(max_examples=200, deadline=None)
@given(dates, counts, counts)
def test_adding_n_then_m_working_days_equals_adding_n_plus_m(d: date, n: int, m: int) -> None:
    middle, _ = add_working_days(OFFICIAL, d, n)
    assert add_working_days(OFFICIAL, middle, m)[0] == add_working_days(OFFICIAL, d, n + m)[0]


@settings(max_examples=200, deadline=None)
@given(dates, st.integers(min_value=1, max_value=60), st.sampled_from([Unit.workday, Unit.day, Unit.month]))
def test_a_day_based_deadline_never_falls_on_a_day_off(d: date, n: int, unit: Unit) -> None:
    n = min(n, 6) if unit == Unit.month else n
    end = due_date(_start(d), n, unit)
    assert end is not None and OFFICIAL.is_working_day(end)
    assert end > d


@settings(max_examples=100, deadline=None)
@given(dates, st.integers(min_value=1, max_value=30))
def test_a_deadline_is_never_before_the_same_number_of_natural_days(d: date, n: int) -> None:
    workday_end = due_date(_start(d), n, Unit.workday)
    assert workday_end is not None and workday_end >= d + timedelta(days=n)
