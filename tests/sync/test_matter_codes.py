"""National matter codes beside the city's (sync.matter_codes) and established dates."""
import copy
import json

import pytest

import config
from sync import matter_codes
from sync.catalog_changes import plan
from sync.catalog_upgrade import amendment
from sync.catalog_history import load_matters, parse_matters
from sync.catalog_schema import matter_to_dict, validate_matter
from sync.errors import ValidationError
from sync.matter_codes import DEPARTMENT_LETTERS, assign


@pytest.fixture(scope="module")
def raw_matters():
    return json.loads(config.path("catalog/matters.json").read_text(encoding="utf-8"))["matters"]


@pytest.fixture
def good(raw_matters):
    return copy.deepcopy(next(m for m in raw_matters if m["basic_code"] == "SY24001"))


def test_every_seed_matter_has_a_national_code_of_its_type():
    matters = load_matters()
    assert all(m.national_code for m in matters)
    assert len({m.national_code for m in matters}) == len(matters)
    for m in matters:
        parts = matter_codes.parse(m.national_code)
        assert parts.region == "21010000"                       # 沈阳市 210100
        assert parts.type_letters == matter_codes.TYPE_LETTERS[m.type]
        assert parts.department == DEPARTMENT_LETTERS[m.department]
    assert next(m for m in matters if m.basic_code == "SY24001").national_code == "21010000SJ-XK-0001"


def test_the_tool_gives_nothing_new_to_the_seed_and_the_next_serial_to_a_new_matter(raw_matters):
    assert assign(raw_matters, "210100") == {}
    new = {**copy.deepcopy(raw_matters[0]), "basic_code": "SY01999"}
    del new["national_code"]
    assert assign([*raw_matters, new], "210100") == {"SY01999": "21010000FG-XK-0002"}


def test_department_letters_are_unique():
    assert len(set(DEPARTMENT_LETTERS.values())) == len(DEPARTMENT_LETTERS)


@pytest.mark.parametrize("code, reason", [
    ("21010000SJ-CF-0001", "事项类型字母应为 XK"),
    ("2101SJ-XK-0001", "格式不正确"),
    ("21010000SJ-XK-0000", "格式不正确"),
    ("21010000sj-xk-0001", "格式不正确"),
])
def test_a_bad_national_code_is_refused_with_its_field(good, code, reason):
    good["national_code"] = code
    with pytest.raises(ValidationError) as exc:
        validate_matter(good)
    assert exc.value.field == "national_code"
    assert reason in str(exc.value)


def test_a_catalog_without_the_new_fields_still_loads(raw_matters):
    old = copy.deepcopy(raw_matters)
    for m in old:
        m.pop("national_code")
        m.pop("established", None)
    matters = parse_matters({"matters": old})
    assert all(m.national_code is None and m.established is None for m in matters)
    assert "national_code" not in matter_to_dict(matters[0])  # old versions keep their bytes


def test_two_matters_cannot_share_a_national_code_or_a_department_its_letters(raw_matters):
    twin = copy.deepcopy(raw_matters)
    twin[1]["national_code"] = twin[0]["national_code"].replace("-XK-", "-QT-")  # SY01006 is 10
    twin[2]["national_code"] = twin[1]["national_code"]
    with pytest.raises(ValidationError, match="matters\\[2\\].national_code: 国家编码 .* 与 matters\\[1\\] 重复"):
        parse_matters({"matters": twin})
    other = copy.deepcopy(raw_matters)
    other[3]["national_code"] = "21010000FG-XK-0009"  # education with ndrc's letters
    with pytest.raises(ValidationError, match="matters\\[3\\].national_code: 部门字母 FG 已用于部门 ndrc"):
        parse_matters({"matters": other})


def test_resolve_takes_either_code():
    catalog = {m["basic_code"]: m for m in map(matter_to_dict, load_matters())}
    national = matter_codes.index(catalog.values())
    assert matter_codes.resolve("SY24001", catalog, national) == "SY24001"
    assert matter_codes.resolve(" 21010000sj-xk-0001 ", catalog, national) == "SY24001"
    assert matter_codes.resolve("21010000SJ-XK-0999", catalog, national) is None
    assert matter_codes.resolve(None, catalog, national) is None
    offered = [catalog["SY24001"], catalog["SY04001"]]   # a list a page offers (bookable …)
    assert matter_codes.pick(offered, "21010000GX-XK-0001")["basic_code"] == "SY04001"
    assert matter_codes.pick(offered, catalog["SY24006"]["national_code"]) is None


def test_a_catalog_change_names_matters_by_national_code_and_keeps_codes_unique():
    catalog = {m["basic_code"]: m for m in map(matter_to_dict, load_matters())}
    base = {"author": "测试", "reason": "测试", "effective_date": "2026-12-01"}
    delta = plan({**base, "op": "cancel", "codes": ["21010000SJ-XK-0001"]}, catalog, 2)
    assert delta.removed == (("SY24001", "cancelled"),)
    with pytest.raises(ValidationError, match="codes\\[0\\]: 事项 '21010000SJ-XK-0999' 不在现行目录中"):
        plan({**base, "op": "cancel", "codes": ["21010000SJ-XK-0999"]}, catalog, 2)
    clash = {**catalog["SY24006"], "national_code": catalog["SY24001"]["national_code"]}
    with pytest.raises(ValidationError, match="matters\\[0\\].national_code: 国家编码 .* 与 SY24001 重复"):
        plan({**base, "op": "amend", "matters": [clash]}, catalog, 2)


def test_matters_created_after_the_reform_history_carry_their_date_and_instrument():
    dated = {m.basic_code: m.established for m in load_matters() if m.established}
    assert set(dated) == {"SY03001", "SY11001", "SY16011", "SY18011", "SY24901", "SY26001"}
    assert all(e.date.year >= 2015 and e.basis for e in dated.values())
    assert str(dated["SY16011"].date) == "2016-11-01"   # 网约车暂行办法 in force


def test_a_matter_cannot_take_effect_before_it_was_established(good):
    good["established"] = {"date": "2023-01-01", "basis": "某条例"}
    with pytest.raises(ValidationError, match="effective_date: 生效日期不能早于事项设立日期 2023-01-01"):
        validate_matter(good)


def test_the_upgrade_amends_only_what_lacks_and_codes_a_matter_the_seed_does_not_know():
    seed = [matter_to_dict(m) for m in load_matters()]
    in_force = {m["basic_code"]: {k: v for k, v in m.items() if k != "national_code"}
                for m in seed[:3]}
    in_force["SY01999"] = {**seed[0], "basic_code": "SY01999", "national_code": None}
    del in_force["SY01999"]["national_code"]
    change = amendment(in_force, seed, "210100", author="测试", effective_date="2026-12-01")
    codes = {m["basic_code"]: m["national_code"] for m in change["matters"]}
    assert codes == {"SY01001": "21010000FG-XK-0001", "SY01006": "21010000FG-QT-0001",
                     "SY01011": "21010000FG-QT-0002", "SY01999": "21010000FG-XK-0002"}
    assert change["op"] == "amend" and change["effective_date"] == "2026-12-01"
    done = {m["basic_code"]: m for m in change["matters"]}
    assert amendment(done, seed, "210100", author="测试", effective_date="2026-12-01") is None
