"""The matter schema and the city's 106 current matters (config/catalog/matters.json)."""
import copy
import json
from collections import Counter

import pytest

import config
from sync.catalog_history import load_departments, load_matters, parse_matters
from sync.catalog_schema import (HANDLING_TYPES, LEVELS, MATTER_TYPES, TONGBAN_SCOPES,
                                 matter_to_dict, validate_matter)
from sync.codec import canonical
from sync.errors import ConfigError, ValidationError, problem_body


@pytest.fixture(scope="module")
def raw_matters():
    return json.loads(config.path("catalog/matters.json").read_text(encoding="utf-8"))["matters"]


@pytest.fixture(scope="module")
def matters():
    return load_matters()


@pytest.fixture(scope="module")
def departments():
    return load_departments()


@pytest.fixture
def good(raw_matters):
    """A fresh copy of a complete matter with fees and several materials (不动产转移登记)."""
    return copy.deepcopy(next(m for m in raw_matters if m["name"] == "不动产转移登记"))


def test_all_106_matters_validate(matters):
    assert len(matters) == 106
    assert len({m.basic_code for m in matters}) == 106


def test_38_departments_each_implementing_matters(matters, departments):
    assert len(departments) == 38
    assert len({d.number for d in departments.values()}) == 38
    for m in matters:
        assert m.department in departments
        assert set(m.co_departments) <= departments.keys()
        number = departments[m.department].number
        assert m.basic_code.startswith(f"SY{number:02d}"), m.name
    # The 38 departments moved in as whole units because each approves something.
    assert {m.department for m in matters} == departments.keys()


def test_levels_types_and_modes_are_spread(matters):
    assert all("city" in m.levels for m in matters), "the city catalog holds city-level matters"
    assert {level for m in matters for level in m.levels} == set(LEVELS)
    types = Counter(m.type for m in matters)
    assert types["01"] > 53, "mostly administrative licensing (行政许可)"
    assert {"01", "05", "07", "09", "10", "20"} <= types.keys()
    assert {m.handling_type for m in matters} == set(HANDLING_TYPES)
    assert {m.tongban_scope for m in matters} == set(TONGBAN_SCOPES)
    assert {m.online_depth for m in matters} >= {2, 3, 4}
    assert sum(m.green_channel for m in matters) >= 10
    assert sum(bool(m.fees) for m in matters) >= 5


def test_promised_limits_average_under_five_working_days(matters):
    # The article: 承诺事项平均审批时限均不到5个工作日.
    promised = [m.promised_limit_days for m in matters if m.handling_type != "immediate"]
    assert sum(promised) < 5 * len(promised)


def test_every_matter_is_complete_and_realistic(matters):
    for m in matters:
        assert m.materials and m.legal_basis.startswith("《"), m.name
        assert not any(ch.isdigit() for ch in m.name), m.name
        assert m.cancelled_date is None and m.version >= 1


@pytest.mark.parametrize("index", range(106))
def test_round_trip_dict_matter_dict(raw_matters, index):
    data = raw_matters[index]
    out = matter_to_dict(validate_matter(data))
    assert out == data
    assert canonical(out)   # only JSON types, no floats: it can be signed as it is


def _drop(key):
    return lambda d: d.pop(key)


def _set(path, value):
    def change(d):
        *parents, last = path
        for key in parents:
            d = d[key]
        d[last] = value
    return change


BAD = [
    ("missing name", _drop("name"), "name"),
    ("empty name", _set(["name"], "  "), "name"),
    ("unknown type code", _set(["type"], "99"), "type"),
    ("type as a number", _set(["type"], 1), "type"),
    ("promised limit over legal limit", _set(["promised_limit_days"], 31), "promised_limit_days"),
    ("negative fee", _set(["fees", 0, "amount_fen"], -8000), "fees[0].amount_fen"),
    ("money as a float", _set(["fees", 1, "amount_fen"], 550.0), "fees[1].amount_fen"),
    ("material without name", lambda d: d["materials"][2].pop("name"), "materials[2].name"),
    ("material with empty issuer", _set(["materials", 3, "issuer"], ""), "materials[3].issuer"),
    ("material with no paper and no licence", lambda d: d["materials"][3].update(originals=0, copies=0),
     "materials[3].copies"),
    ("bad online depth", _set(["online_depth"], 5), "online_depth"),
    ("online depth as a string", _set(["online_depth"], "3"), "online_depth"),
    ("online depth as a bool", _set(["online_depth"], True), "online_depth"),
    ("bad date", _set(["effective_date"], "2015-13-01"), "effective_date"),
    ("date in another format", _set(["effective_date"], "2015/03/01"), "effective_date"),
    ("cancelled before effective", _set(["cancelled_date"], "2014-12-31"), "cancelled_date"),
    ("unknown level", _set(["levels"], ["city", "province"]), "levels[1]"),
    ("level twice", _set(["levels"], ["city", "city"]), "levels[1]"),
    ("no levels", _set(["levels"], []), "levels"),
    ("visits as a bool", _set(["visits"], True), "visits"),
    ("unknown field", _set(["promise_days"], 3), "promise_days"),
    ("implementation code of another matter", _set(["implementation_code"], "SY0100121010001"),
     "implementation_code"),
    ("basic code in lower case", _set(["basic_code"], "sy11901"), "basic_code"),
    ("immediate matter with a promised limit", _set(["handling_type"], "immediate"),
     "promised_limit_days"),
    ("joint matter without co-departments", _set(["handling_type"], "joint"), "co_departments"),
    ("full online but visits needed", _set(["online_depth"], 4), "visits"),
    ("form outside the form store", _set(["forms", 0, "file"], "../secret.docx"), "forms[0].file"),
    ("form kind unknown", _set(["forms", 1, "kind"], "draft"), "forms[1].kind"),
    ("appointment as text", _set(["appointment"], "是"), "appointment"),
    ("materials not a list", _set(["materials"], {"name": "申请书"}), "materials"),
]


@pytest.mark.parametrize("change, field", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_matter_names_the_field(good, change, field):
    change(good)
    with pytest.raises(ValidationError) as info:
        validate_matter(good)
    assert info.value.field == field
    assert info.value.detail.startswith(f"{field}: ")
    assert problem_body(info.value)["field"] == field


def test_not_an_object_is_refused():
    with pytest.raises(ValidationError) as info:
        validate_matter(["not", "a", "matter"])
    assert info.value.field == "$"


def test_departments_are_checked_when_known(good, departments):
    good["co_departments"] = ["police", "no_such_dept"]
    validate_matter(good)   # shape only
    with pytest.raises(ValidationError) as info:
        validate_matter(good, departments)
    assert info.value.field == "co_departments[1]"


def test_bad_change_file_names_the_field(tmp_path, good):
    good["materials"][2]["issuer"] = 42
    path = tmp_path / "change.json"
    path.write_text(json.dumps({"matters": [good]}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_matters(path)
    assert info.value.field == "matters[0].materials[2].issuer"
    assert "必须是字符串" in info.value.detail


def test_duplicate_codes_in_a_catalog_are_refused(good):
    with pytest.raises(ValidationError) as info:
        parse_matters({"matters": [good, copy.deepcopy(good)]})
    assert info.value.field == "matters[1].basic_code"


def test_code_tables_follow_gb_t_39046():
    assert MATTER_TYPES["01"] == "行政许可"
    assert MATTER_TYPES["07"] == "行政确认"
    assert MATTER_TYPES["20"] == "公共服务事项"
    assert HANDLING_TYPES == {"immediate": "即办件", "promised": "承诺件", "joint": "联办件"}


def test_departments_file_errors_name_the_field(tmp_path):
    path = tmp_path / "departments.toml"
    path.write_text('[[department]]\nnumber = 1\ncode = "police"\nname = "市公安局"\nshort = "公安局"\n'
                    '[[department]]\nnumber = 2\ncode = "police"\nname = "市交警"\nshort = "交警"\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_departments(path)
    assert info.value.field == "department[1].code"
