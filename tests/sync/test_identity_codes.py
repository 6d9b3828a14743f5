"""Resident ID numbers (GB 11643) and unified social credit codes (GB 32100)."""
import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.errors import ValidationError
from sync.identity_codes import (
    CREDIT_CHARSET, CREDIT_DIVISION_PREFIXES, PROVINCES, REGISTRATION_AUTHORITIES,
    check_credit_code, check_person_id, check_resident_id, credit_code_check_char,
    org_code_check_char,
    resident_id_check_char,
)

TODAY = datetime.date(2025, 6, 1)


def resident_id(region: str, born: datetime.date, seq: str = "123") -> str:
    body = f"{region}{born:%Y%m%d}{seq}"
    return body + resident_id_check_char(body)


def credit_code(head: str, org_body: str) -> str:
    """A valid code: ``head`` = authority, category and division (8 chars), then the org code."""
    first17 = head + org_body + org_code_check_char(org_body)
    return first17 + credit_code_check_char(first17)


def test_the_standards_own_examples():
    # GB 11643-1999 and GB 32100-2015 print these as worked examples.
    assert check_resident_id("11010519491231002X", today=TODAY) == "11010519491231002X"
    assert check_credit_code("91350100M000100Y43") == "91350100M000100Y43"


def test_built_numbers_pass_and_are_normalised():
    number = resident_id("210102", datetime.date(1990, 2, 28))
    assert check_resident_id(number, today=TODAY) == number
    numbers = (resident_id("210102", datetime.date(1985, 7, 1), f"{s:03d}") for s in range(1000))
    with_x = next(n for n in numbers if n.endswith("X"))
    assert check_resident_id(f" {with_x.lower()} ", today=TODAY) == with_x
    full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert check_resident_id(full_width, today=TODAY) == number
    assert check_resident_id(f"{number[:6]} {number[6:14]} {number[14:]}", today=TODAY) == number
    code = credit_code("91210102", "MA0XKD4P")
    assert check_credit_code(code.lower()) == code
    assert check_credit_code(credit_code("12100000", "40000102")).startswith("121000")


def test_check_char_helpers_refuse_bad_input():
    for helper, text in [(resident_id_check_char, "1234"), (resident_id_check_char, "1" * 16 + "X"),
                         (org_code_check_char, "MA0XKD4"), (org_code_check_char, "MA0XKD4I"),
                         (credit_code_check_char, "9121010" + "2MA0XKD4P")]:
        with pytest.raises(ValueError):
            helper(text)


VALID_ID = resident_id("210102", datetime.date(1990, 2, 28))


@pytest.mark.parametrize("text, message", [
    ("", "不能为空"),
    (VALID_ID[:17], "长度应为 18 位，实际为 17 位"),
    (VALID_ID + "1", "长度应为 18 位，实际为 19 位"),
    ("21010219900228A23" + "4", "前 17 位必须是数字"),
    ("2101021990022812X" + "3", "前 17 位必须是数字"),
    (resident_id("990102", datetime.date(1990, 2, 28)), "地区码 990102"),
    (resident_id("210102", datetime.date(1990, 2, 27))[:6] + "19900230" + "1231", "出生日期 19900230"),
    (resident_id("210102", datetime.date(2025, 6, 2)), "晚于今天"),
    (resident_id("210102", datetime.date(1899, 12, 31)), "早于 1900 年"),
    (VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1"), "校验位不符"),
    (12345, "必须是字符串"),
])
def test_resident_id_errors(text, message):
    with pytest.raises(ValidationError) as err:
        check_resident_id(text, field="applicant.id_number", today=TODAY)
    assert err.value.field == "applicant.id_number"
    assert message in err.value.detail


def test_check_char_error_does_not_reveal_the_expected_char():
    wrong = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")
    with pytest.raises(ValidationError) as err:
        check_resident_id(wrong, today=TODAY)
    reason = err.value.detail.split(": ", 1)[1]
    assert err.value.field == "id_number" and not re.search("[0-9X]", reason)


VALID_CODE = credit_code("91210102", "MA0XKD4P")


def _fix_final(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


@pytest.mark.parametrize("text, message", [
    (VALID_CODE[:17], "长度应为 18 位，实际为 17 位"),
    (VALID_CODE[:10] + "I" + VALID_CODE[11:], "第 11 位字符 'I' 无效"),
    (VALID_CODE[:3] + "O" + VALID_CODE[4:], "不含 I、O、Z、S、V"),
    (_fix_final("B" + VALID_CODE[1:17]), "第 1 位登记管理部门码 'B' 无效"),
    (_fix_final("95" + VALID_CODE[2:17]), "机构类别码 '5' 不属于登记管理部门「工商」"),
    (credit_code("91990102", "MA0XKD4P"), "行政区划码 '990102' 无效"),
    (credit_code("912101A2", "MA0XKD4P"), "行政区划码 '2101A2' 无效"),
    (_fix_final(VALID_CODE[:16] + ("0" if VALID_CODE[16] != "0" else "1")), "主体标识码"),
    (VALID_CODE[:17] + ("0" if VALID_CODE[17] != "0" else "1"), "第 18 位校验位不符"),
])
def test_credit_code_errors(text, message):
    with pytest.raises(ValidationError) as err:
        check_credit_code(text, field="enterprise.credit_code")
    assert err.value.field == "enterprise.credit_code"
    assert message in err.value.detail


# -- properties -------------------------------------------------------------------

resident_ids = st.builds(
    resident_id,
    region=st.tuples(st.sampled_from(sorted(PROVINCES)), st.integers(0, 9999)).map(
        lambda p: f"{p[0]}{p[1]:04d}"),
    born=st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY),
    seq=st.integers(0, 999).map(lambda n: f"{n:03d}"),
)
authorities = st.sampled_from(sorted(REGISTRATION_AUTHORITIES)).flatmap(
    lambda a: st.sampled_from(sorted(REGISTRATION_AUTHORITIES[a][1])).map(lambda c: a + c))
credit_codes = st.builds(
    lambda ac, prefix, rest, body: credit_code(f"{ac}{prefix}{rest:04d}", body),
    authorities, st.sampled_from(sorted(CREDIT_DIVISION_PREFIXES)), st.integers(0, 9999),
    st.text(alphabet=CREDIT_CHARSET, min_size=8, max_size=8),
)


@given(number=resident_ids, position=st.integers(0, 17), char=st.sampled_from("0123456789X"))
def test_any_single_change_of_a_resident_id_is_refused(number, position, char):
    assert check_resident_id(number, today=TODAY) == number
    changed = number[:position] + char + number[position + 1:]
    if changed != number:
        with pytest.raises(ValidationError):
            check_resident_id(changed, today=TODAY)


@given(code=credit_codes, position=st.integers(0, 17),
       char=st.sampled_from(CREDIT_CHARSET + "IOZSV"))
def test_any_single_change_of_a_credit_code_is_refused(code, position, char):
    assert check_credit_code(code) == code
    changed = code[:position] + char + code[position + 1:]
    if changed != code:
        with pytest.raises(ValidationError):
            check_credit_code(changed)


# -- the documents of people without a resident ID ---------------------------------------

residence_permits = st.builds(
    resident_id, region=st.sampled_from(["810000", "820000", "830000"]),
    born=st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY),
    seq=st.integers(0, 999).map(lambda n: f"{n:03d}"))
# 9, the issuing province, the 3-digit nationality code, the birth date, 3 digits, check.
foreign_permanent_ids = st.builds(
    lambda province, nation, born, seq: resident_id(f"9{province}{nation:03d}", born, seq),
    st.sampled_from(sorted(PROVINCES)), st.integers(0, 999),
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY),
    st.integers(0, 999).map(lambda n: f"{n:03d}"))


@given(number=st.one_of(residence_permits.map(lambda n: ("residence_permit", n)),
                        foreign_permanent_ids.map(lambda n: ("foreign_permanent", n))),
       position=st.integers(0, 17), char=st.sampled_from("0123456789X"))
def test_any_single_change_of_an_eighteen_character_document_is_refused(number, position, char):
    id_type, text = number
    assert check_person_id(id_type, text.lower()) == text
    changed = text[:position] + char + text[position + 1:]
    if changed != text:
        with pytest.raises(ValidationError):
            check_person_id(id_type, changed)


@pytest.mark.parametrize("id_type, text, normalised", [
    ("passport", "e12345678", "E12345678"),            # a Chinese passport
    ("passport", "EA1234567", "EA1234567"),
    ("passport", "X 1234 56", "X123456"),              # spaces typed to group: dropped
    ("hk_macao_permit", "h12345678", "H12345678"),
    ("hk_macao_permit", "M1234567890", "M1234567890"),   # an older card
    ("taiwan_permit", "12345678", "12345678"),
    ("resident_id", "11010519491231002x", "11010519491231002X"),
])
def test_each_document_type_takes_its_own_numbers(id_type, text, normalised):
    assert check_person_id(id_type, text) == normalised


@pytest.mark.parametrize("id_type, text, field, message", [
    ("passport", "E1", "applicant.id_code", "护照号码应为 5–17 位字母或数字"),
    ("passport", "E1234-567", "applicant.id_code", "护照号码"),
    ("hk_macao_permit", "12345678", "applicant.id_code", "H 或 M"),
    ("taiwan_permit", "1234", "applicant.id_code", "8 位数字"),
    ("residence_permit", resident_id("110105", datetime.date(1990, 1, 1)), "applicant.id_code",
     "810000（香港）"),
    ("foreign_permanent", resident_id("110105", datetime.date(1990, 1, 1)), "applicant.id_code",
     "以 9 开头"),
    ("driving_licence", "123456", "applicant.id_type", "证件类型应为"),
])
def test_a_wrong_document_number_says_what_is_wrong(id_type, text, field, message):
    with pytest.raises(ValidationError) as refused:
        check_person_id(id_type, text, field="applicant.id_code")
    assert refused.value.field == field and message in refused.value.detail
