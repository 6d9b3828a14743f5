"""The case clock: promised dates, working days left and the warning light."""
import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.calendar import Deadline, WorkCalendar, load_calendar
from sync.deadlines import GREEN, LEVELS, RED, YELLOW, promised_date, remaining_workdays, warning_level

D = datetime.date


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return load_calendar()


def test_promised_date_across_spring_festival(cal):
    # Accepted Friday 2025-01-24: Sun 1/26 and Mon 1/27 count, 1/28-2/4 do not.
    assert promised_date(D(2025, 1, 24), 5, cal) == Deadline(D(2025, 2, 7), provisional=False)


def test_immediate_case_is_due_the_same_working_day(cal):
    assert promised_date(D(2025, 3, 5), 0, cal).day == D(2025, 3, 5)
    assert promised_date(D(2025, 10, 3), 0, cal).day == D(2025, 10, 9)


def test_promised_date_with_supplement_pause(cal):
    accepted = D(2025, 9, 22)
    assert promised_date(accepted, 5, cal).day == D(2025, 9, 28)
    pauses = [(D(2025, 9, 24), D(2025, 9, 25))]
    assert promised_date(accepted, 5, cal, pauses).day == D(2025, 9, 30)
    # A 3-day pause pushes the 5th counted day past National Day.
    assert promised_date(accepted, 5, cal, [(D(2025, 9, 24), D(2025, 9, 26))]).day == D(2025, 10, 9)


def test_promised_date_past_the_table_is_provisional(cal):
    due = promised_date(D(cal.last_year, 12, 15), 20, cal)
    assert due.provisional and due.day.year == cal.last_year + 1
    with pytest.raises(ValueError):
        promised_date(D(2025, 1, 2), -1, cal)


@pytest.mark.parametrize("today, left", [
    (D(2025, 1, 24), 5),
    (D(2025, 1, 27), 3),
    (D(2025, 1, 30), 3),    # mid-holiday: 2/5, 2/6, 2/7 remain
    (D(2025, 2, 6), 1),
    (D(2025, 2, 7), 0),     # the last day
    (D(2025, 2, 8), -1),    # a make-up Saturday, the first overdue working day
    (D(2025, 2, 9), -1),
    (D(2025, 2, 10), -2),
])
def test_remaining_workdays(cal, today, left):
    deadline = Deadline(D(2025, 2, 7), provisional=False)
    assert remaining_workdays(today, deadline, cal) == left
    assert remaining_workdays(today, deadline.day, cal) == left


def test_weekend_after_friday_deadline_is_already_overdue(cal):
    friday = D(2025, 3, 7)
    assert remaining_workdays(D(2025, 3, 8), friday, cal) == -1
    assert remaining_workdays(D(2025, 3, 10), friday, cal) == -1
    assert remaining_workdays(D(2025, 3, 11), friday, cal) == -2
    assert warning_level(D(2025, 3, 8), friday, cal) == RED


@pytest.mark.parametrize("today, yellow_within, level", [
    (D(2025, 1, 24), 2, GREEN),
    (D(2025, 1, 27), 2, GREEN),   # 3 left
    (D(2025, 2, 5), 2, YELLOW),   # 2 left
    (D(2025, 2, 7), 2, YELLOW),   # last day
    (D(2025, 2, 8), 2, RED),
    (D(2025, 2, 6), 0, GREEN),
    (D(2025, 2, 7), 0, YELLOW),
    (D(2025, 1, 27), 3, YELLOW),
])
def test_warning_level(cal, today, yellow_within, level):
    assert warning_level(today, Deadline(D(2025, 2, 7)), cal, yellow_within=yellow_within) == level


def test_warning_level_rejects_negative_threshold(cal):
    with pytest.raises(ValueError):
        warning_level(D(2025, 2, 7), D(2025, 2, 7), cal, yellow_within=-1)


def test_provisional_deadline_still_gets_a_light(cal):
    due = promised_date(D(cal.last_year, 12, 28), 10, cal)
    assert due.provisional
    assert warning_level(D(cal.last_year, 12, 28), due, cal) == GREEN
    assert warning_level(due.day + datetime.timedelta(days=1), due, cal) == RED


dates = st.dates(min_value=D(2003, 6, 1), max_value=D(2028, 6, 30))


@given(accepted=dates, n=st.integers(min_value=0, max_value=45),
       t1=st.integers(min_value=-10, max_value=120), t2=st.integers(min_value=-10, max_value=120))
def test_the_clock_only_moves_forward(cal, accepted, n, t1, t2):
    due = promised_date(accepted, n, cal)
    early, late = (accepted + datetime.timedelta(days=min(t1, t2)),
                   accepted + datetime.timedelta(days=max(t1, t2)))
    assert remaining_workdays(early, due, cal) >= remaining_workdays(late, due, cal)
    assert LEVELS.index(warning_level(early, due, cal)) <= LEVELS.index(warning_level(late, due, cal))
    assert (remaining_workdays(late, due, cal) < 0) == (late > due.day)


@given(accepted=dates, n=st.integers(min_value=1, max_value=45))
def test_a_fresh_case_has_its_promise_left(cal, accepted, n):
    assert remaining_workdays(accepted, promised_date(accepted, n, cal), cal) == n
