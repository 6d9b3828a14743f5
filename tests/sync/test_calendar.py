"""The working-day calendar: real 2025/2026 schedules, the uncovered-year fallback,
agreement with ``chinese_calendar``, properties, and config validation."""
import datetime
import os
import tomllib

import chinese_calendar
import pytest
from chinese_calendar import constants
from hypothesis import given
from hypothesis import strategies as st

from sync.calendar import Deadline, WorkCalendar, load_calendar, parse_calendar
from sync.errors import ConfigError
from tools import make_calendar

D = datetime.date
PACKAGE_YEARS = range(min(constants.holidays).year, max(constants.holidays).year + 1)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return load_calendar()


# -- real schedules -----------------------------------------------------------

@pytest.mark.parametrize("start, n, due", [
    # 2025 Spring Festival: 1/28-2/4 off, Sun 1/26 and Sat 2/8 are make-up workdays.
    (D(2025, 1, 24), 1, D(2025, 1, 26)),
    (D(2025, 1, 24), 2, D(2025, 1, 27)),
    (D(2025, 1, 24), 3, D(2025, 2, 5)),
    (D(2025, 1, 27), 1, D(2025, 2, 5)),
    (D(2025, 1, 30), 1, D(2025, 2, 5)),   # accepted during the break
    (D(2025, 2, 5), 3, D(2025, 2, 8)),
    # 2025 National Day + Mid-autumn: 10/1-10/8 off, Sun 9/28 and Sat 10/11 work.
    (D(2025, 9, 26), 1, D(2025, 9, 28)),
    (D(2025, 9, 28), 3, D(2025, 10, 9)),
    (D(2025, 9, 30), 3, D(2025, 10, 11)),
    (D(2025, 9, 30), 4, D(2025, 10, 13)),
    # 2026 National Day: the example checked against find_workday in domain.md.
    (D(2026, 9, 30), 5, D(2026, 10, 13)),
    # Saturday acceptance: the day of acceptance is not counted, so Monday.
    (D(2026, 3, 7), 1, D(2026, 3, 9)),
    (D(2026, 3, 6), 1, D(2026, 3, 9)),
])
def test_add_workdays_across_holidays(cal, start, n, due):
    assert cal.add_workdays(start, n) == Deadline(due, provisional=False)


@pytest.mark.parametrize("start, due", [
    (D(2025, 1, 27), D(2025, 1, 27)),   # a workday is its own day
    (D(2025, 1, 26), D(2025, 1, 26)),   # a make-up Sunday too
    (D(2025, 10, 1), D(2025, 10, 9)),   # a holiday rolls to the next workday
    (D(2025, 3, 8), D(2025, 3, 10)),    # a plain Saturday rolls to Monday
])
def test_zero_workdays_is_same_or_next_workday(cal, start, due):
    assert cal.add_workdays(start, 0).day == due


def test_is_workday_and_between(cal):
    assert cal.is_workday(D(2025, 1, 26)) and cal.is_workday(D(2025, 10, 11))
    assert not cal.is_workday(D(2025, 1, 28)) and not cal.is_workday(D(2025, 10, 8))
    assert cal.workdays_between(D(2025, 1, 24), D(2025, 2, 8)) == 6
    assert cal.workdays_between(D(2025, 2, 8), D(2025, 1, 24)) == -6
    assert cal.workdays_between(D(2025, 10, 1), D(2025, 10, 8)) == 0


def test_pauses_do_not_count(cal):
    start = D(2025, 9, 22)  # Monday
    assert cal.add_workdays(start, 5).day == D(2025, 9, 28)
    paused = cal.add_workdays_with_pauses(start, 5, [(D(2025, 9, 24), D(2025, 9, 25))])
    assert paused == Deadline(D(2025, 9, 30), provisional=False)
    with pytest.raises(ValueError):
        cal.add_workdays_with_pauses(start, 5, [(D(2025, 9, 25), D(2025, 9, 24))])


def test_bad_arguments(cal):
    with pytest.raises(ValueError):
        cal.add_workdays(D(2025, 1, 1), -1)
    with pytest.raises(TypeError):
        cal.is_workday(datetime.datetime(2025, 1, 28, 9, 0))


# -- beyond the table ---------------------------------------------------------

def test_years_covered_match_the_package(cal):
    assert cal.first_year == PACKAGE_YEARS.start
    assert cal.last_year >= PACKAGE_YEARS.stop - 1
    assert cal.covers(D(cal.last_year, 12, 31))
    assert not cal.covers(D(cal.last_year + 1, 1, 1))
    assert not cal.covers(D(cal.first_year - 1, 12, 31))


def test_past_the_table_is_provisional_weekdays(cal):
    after = cal.last_year + 1
    new_year = D(after, 1, 1)
    assert cal.is_workday(new_year) == (new_year.weekday() < 5)
    start = D(cal.last_year, 12, 20)
    due = cal.add_workdays(start, 30)
    assert due.provisional and due.day.year == after and due.day.weekday() < 5
    assert not cal.add_workdays(start, 1).provisional
    assert cal.add_workdays(D(after + 3, 6, 1), 0).provisional


def test_provisional_where_chinese_calendar_raises(cal):
    if cal.last_year != 2026:
        pytest.skip("the table has been extended past 2026")
    with pytest.raises(NotImplementedError):
        chinese_calendar.find_workday(10, D(2026, 12, 25))
    # 12/28-12/31 (4), then Mon-Fri of 2027: Fri 1/1 and 1/4-1/8.
    assert cal.add_workdays(D(2026, 12, 25), 10) == Deadline(D(2027, 1, 8), provisional=True)


def test_table_agrees_with_chinese_calendar_every_day(cal):
    for year in PACKAGE_YEARS:
        day = D(year, 1, 1)
        while day.year == year:
            assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
            day += datetime.timedelta(days=1)


def test_generator_renders_the_package_table(cal):
    rendered = parse_calendar(tomllib.loads(make_calendar.render()))
    assert (rendered.first_year, rendered.last_year) == (PACKAGE_YEARS.start, PACKAGE_YEARS.stop - 1)
    if cal.last_year == rendered.last_year:
        assert rendered.fingerprint == cal.fingerprint


# -- properties ---------------------------------------------------------------

dates = st.dates(min_value=D(2002, 1, 1), max_value=D(2029, 12, 31))
counts = st.integers(min_value=0, max_value=60)
pauses = st.lists(st.tuples(dates, st.integers(min_value=0, max_value=40)).map(
    lambda p: (p[0], p[0] + datetime.timedelta(days=p[1]))), max_size=4)


@given(a=dates, n=counts)
def test_monotone_in_n(cal, a, n):
    assert cal.add_workdays(a, n).day <= cal.add_workdays(a, n + 1).day
    if n >= 1:
        assert cal.add_workdays(a, n).day < cal.add_workdays(a, n + 1).day


@given(a=dates, b=dates, n=counts)
def test_monotone_in_start(cal, a, b, n):
    a, b = min(a, b), max(a, b)
    assert cal.add_workdays(a, n).day <= cal.add_workdays(b, n).day


@given(a=dates, n=st.integers(min_value=1, max_value=60))
def test_between_inverts_add(cal, a, n):
    # The issue asks this for a workday start; our convention makes it hold for any start.
    due = cal.add_workdays(a, n)
    assert cal.is_workday(due.day)
    assert cal.workdays_between(a, due.day) == n


@given(a=dates, span=st.integers(min_value=0, max_value=400))
def test_between_matches_day_by_day_count(cal, a, span):
    b = a + datetime.timedelta(days=span)
    walked = sum(cal.is_workday(a + datetime.timedelta(days=i)) for i in range(1, span + 1))
    assert cal.workdays_between(a, b) == walked == -cal.workdays_between(b, a)


@given(a=dates, n=counts, spans=pauses)
def test_pauses_never_move_a_deadline_earlier(cal, a, n, spans):
    plain = cal.add_workdays(a, n)
    paused = cal.add_workdays_with_pauses(a, n, spans)
    assert paused.day >= plain.day
    assert cal.add_workdays_with_pauses(a, n, []) == plain


@given(a=dates, n=counts)
def test_provisional_iff_walk_leaves_the_table(cal, a, n):
    due = cal.add_workdays(a, n)
    first = a if n == 0 else a + datetime.timedelta(days=1)
    assert due.provisional == (not cal.covers(first) or not cal.covers(due.day))


@given(a=st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 11, 30)),
       n=st.integers(min_value=0, max_value=20))
def test_agrees_with_find_workday_from_a_workday(cal, a, n):
    if chinese_calendar.is_workday(a):
        assert cal.add_workdays(a, n).day == chinese_calendar.find_workday(n, a)


# -- loading and validation ---------------------------------------------------

GOOD_2026 = '[years.2026]\nholidays = ["2026-01-01", "2026-01-02"]\nworkdays = ["2026-01-04"]\n'


def write(tmp_path, text):
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_small_table_and_cache(tmp_path):
    path = write(tmp_path, GOOD_2026 + '[years.2027]\nholidays = [2027-01-01]\nworkdays = []\n')
    cal = load_calendar(path)
    assert (cal.first_year, cal.last_year) == (2026, 2027)
    assert cal.is_workday(D(2026, 1, 4)) and not cal.is_workday(D(2027, 1, 1))
    assert load_calendar(path) is cal
    path.write_text(GOOD_2026, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_calendar(path).last_year == 2026


def test_needless_weekend_holiday_is_fine(tmp_path):
    cal = load_calendar(write(tmp_path, GOOD_2026.replace('"2026-01-02"]', '"2026-01-02", "2026-01-03"]')))
    assert not cal.is_workday(D(2026, 1, 3))


@pytest.mark.parametrize("text, field", [
    (GOOD_2026.replace('"2026-01-02"', '"2026-13-02"'), "years.2026.holidays[1]"),
    (GOOD_2026.replace('"2026-01-02"', '"2026-1-2"'), "years.2026.holidays[1]"),
    (GOOD_2026.replace('"2026-01-02"', '20260102'), "years.2026.holidays[1]"),
    (GOOD_2026.replace('"2026-01-01"', '"2025-12-31"'), "years.2026.holidays[0]"),
    (GOOD_2026.replace('"2026-01-02"', '"2026-01-01"'), "years.2026.holidays[1]"),
    (GOOD_2026.replace('"2026-01-04"', '"2026-01-05"'), "years.2026.workdays[0]"),
    (GOOD_2026.replace('"2026-01-02"]', '"2026-01-04"]'), "years.2026.workdays[0]"),
    (GOOD_2026.replace('["2026-01-04"]', '"2026-01-04"'), "years.2026.workdays"),
    (GOOD_2026.replace('workdays = ["2026-01-04"]\n', ''), "years.2026.workdays"),
    (GOOD_2026.replace("holidays =", "holiday ="), "years.2026.holiday"),
    (GOOD_2026.replace("years.2026", "years.26"), "years.26"),
    ("years = 2026\n", "years"),
    ("", "years"),
    (GOOD_2026 + '[years.2028]\nholidays = []\nworkdays = []\n', "years"),
    ("[years.2026\n", "calendar"),
])
def test_bad_table_names_the_field(tmp_path, text, field):
    with pytest.raises(ConfigError) as info:
        load_calendar(write(tmp_path, text))
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_calendar(tmp_path / "nope.toml")
    assert info.value.field == "calendar"
