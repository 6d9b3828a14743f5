"""Case numbers unique city-wide without coordination, and the applicant's query code."""
import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.case_numbers import (
    MAX_SEQ, QUERY_ALPHABET, QUERY_LENGTH, CaseNumber, case_number, check_query_code,
    parse_case_number, query_code,
)
from sync.errors import ValidationError
from sync.topology import load_topology

D = datetime.date
SECRET = b"0123456789abcdef-test-secret"


def test_documented_format():
    assert case_number("210102001", D(2025, 3, 4), 17) == "210102001-20250304-00017"
    assert case_number("210100F1", D(2025, 3, 4), MAX_SEQ) == "210100F1-20250304-99999"
    assert parse_case_number(" 210100f1-20250304-00001 ") == CaseNumber("210100F1", D(2025, 3, 4), 1)


def test_every_center_of_the_city_can_number_its_cases():
    numbers = {case_number(c.code, D(2025, 3, 4), 1) for c in load_topology().centers}
    assert len(numbers) == len(load_topology().centers)
    assert all(parse_case_number(n).seq == 1 for n in numbers)


@pytest.mark.parametrize("center, day, seq, error", [
    ("21010", D(2025, 3, 4), 1, ValueError),
    ("210102001X", D(2025, 3, 4), 1, ValueError),
    (210102, D(2025, 3, 4), 1, ValueError),
    ("210102", datetime.datetime(2025, 3, 4, 23), 1, TypeError),
    ("210102", "2025-03-04", 1, TypeError),
    ("210102", D(2025, 3, 4), 0, ValueError),
    ("210102", D(2025, 3, 4), MAX_SEQ + 1, ValueError),
    ("210102", D(2025, 3, 4), True, ValueError),
])
def test_case_number_refuses_bad_parts(center, day, seq, error):
    with pytest.raises(error):
        case_number(center, day, seq)


@pytest.mark.parametrize("text, message", [
    ("210102001-2025034-00017", "格式不正确"),
    ("210102001202503040001", "格式不正确"),
    ("21010-20250304-00017", "中心代码 21010 无效"),
    ("210102001-20250230-00017", "日期 20250230"),
    ("210102001-20250304-00000", "从 1 开始"),
    (None, "格式不正确"),
])
def test_parse_errors_name_the_field(text, message):
    with pytest.raises(ValidationError) as err:
        parse_case_number(text, field="q")
    assert err.value.field == "q" and message in err.value.detail


centers = st.one_of(st.from_regex(r"[0-9]{6}", fullmatch=True),
                    st.from_regex(r"[0-9]{6}F[0-9]", fullmatch=True),
                    st.from_regex(r"[0-9]{9}", fullmatch=True))
days = st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31))
seqs = st.integers(1, MAX_SEQ)


@given(center=centers, day=days, seq=seqs)
def test_parse_round_trips(center, day, seq):
    assert parse_case_number(case_number(center, day, seq)) == (center, day, seq)


@given(center=centers, a=st.tuples(days, seqs), b=st.tuples(days, seqs))
def test_one_centers_numbers_sort_by_day_then_sequence(center, a, b):
    na, nb = case_number(center, *a), case_number(center, *b)
    assert (na < nb) == (a < b) and (na == nb) == (a == b)


def test_query_code_shape_and_secrecy():
    number = case_number("210102001", D(2025, 3, 4), 17)
    code = query_code(number, SECRET)
    assert len(code) == QUERY_LENGTH and set(code) <= set(QUERY_ALPHABET)
    assert not set("01IO") & set(QUERY_ALPHABET)
    assert query_code(number, SECRET) == code                      # hub and node agree
    assert query_code(number.lower(), SECRET) == code
    assert query_code(number, SECRET + b"x") != code               # depends on the secret
    assert query_code(case_number("210102001", D(2025, 3, 4), 18), SECRET) != code
    with pytest.raises(ValueError):
        query_code(number, b"short")
    with pytest.raises(ValidationError):
        query_code("not-a-number", SECRET)


def test_check_query_code_is_forgiving_about_typing_only():
    number = case_number("210102001", D(2025, 3, 4), 17)
    code = query_code(number, SECRET)
    assert check_query_code(number, code, SECRET)
    assert check_query_code(number, f" {code[:4].lower()}-{code[4:]} ", SECRET)
    assert not check_query_code(number, code[:-1], SECRET)
    assert not check_query_code(number, "中文查询码", SECRET)
    assert not check_query_code(number, None, SECRET)
    other = next(c for c in QUERY_ALPHABET if c != code[0])
    assert not check_query_code(number, other + code[1:], SECRET)


@given(a=st.tuples(centers, days, seqs), b=st.tuples(centers, days, seqs))
def test_query_codes_of_different_cases_differ(a, b):
    # 40 bits: a collision among a few hundred examples would be a bug, not bad luck.
    if a != b:
        assert query_code(case_number(*a), SECRET) != query_code(case_number(*b), SECRET)
