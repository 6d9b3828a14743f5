"""The reform history (config/catalog/reform.json) replays 1,229 → 106, −91%."""
import copy
import dataclasses
import datetime
import json
import re

import pytest

import config
from sync import matter_dates
from sync.catalog_history import (OPS, ReformItem, batches, check_final, load_departments,
                                  load_matters, load_reform, parse_reform, replay)
from sync.errors import ValidationError
from tools import make_reform


@pytest.fixture(scope="module")
def reform():
    return load_reform()


@pytest.fixture(scope="module")
def result(reform):
    return replay(reform)


def test_replay_gives_exactly_106_from_1229(result):
    assert result.start == 1229
    assert result.end == 106
    assert result.cut_percent == -91


def test_what_is_left_is_the_current_catalog_as_it_was_in_march_2015(result):
    """Today's matters that existed then, and the six items that three matters created
    after the history took the place of (食品经营许可 2015-10, 外国人来华工作许可 2017,
    建设项目用地预审与选址意见书 2019); no younger matter, and none of their codes, in it."""
    check_final(result, load_matters())
    older = {m.basic_code: m.name for m in load_matters() if m.established is None}
    replaced = {(r.name, r.department) for m in load_matters() if m.established
                for r in m.established.replaces or ()}
    left = {code: item.name for code, item in result.in_force.items()}
    assert {code: name for code, name in left.items() if code in older} == older
    assert {(result.in_force[c].name, result.in_force[c].department)
            for c in left.keys() - older.keys()} == replaced and len(replaced) == 6
    younger = {m.basic_code for m in load_matters() if m.established}
    assert len(younger) == 6 and not younger & result.seen
    assert all(m.established.date > matter_dates.HISTORY_END for m in load_matters() if m.established)
    assert result.steps[-1].effective_date == matter_dates.HISTORY_END


def test_the_final_check_refuses_a_younger_matter_in_the_history(reform):
    food = next(m for m in load_matters() if m.basic_code == "SY24901")
    started = dataclasses.replace(reform, start=(*reform.start, ReformItem(
        "SY24901", food.name, "market")))
    with pytest.raises(ValidationError, match="in_force: "):
        check_final(replay(started), load_matters())


def test_every_op_counts_and_the_tally_adds_up(result):
    assert {step.op for step in result.steps} == set(OPS)
    for step in result.steps:
        merged_into_one = 1 if step.op == "merge" else 0
        assert step.after == step.before - step.items + merged_into_one
        assert re.search(r"[\u4e00-\u9fff]", step.reason), step
    assert result.start - sum(result.removed.values()) == result.end
    assert result.removed["cancel"] > result.removed["devolve"] > result.removed["merge"]


def test_batches_match_the_published_waypoints(result):
    summary = batches(result)
    assert [b.batch for b in summary] == [f"沈阳市第{n}批取消和调整行政审批事项" for n in "一二三四五六"]
    assert summary[0].before == 1229
    assert summary[0].after == 301      # 2002: 928 of 1,229 cut (Guangming Daily)
    assert summary[4].after == 110      # 2012: 110 left (China Daily)
    assert summary[5].after == 106      # 2015: the article
    dates = [b.effective_date for b in summary]
    assert dates == sorted(dates) and dates[0] == datetime.date(2002, 7, 1)
    for b in summary:
        assert b.before - b.after == sum(b.removed.values())


def test_start_items_are_named_and_filed_under_real_departments(reform):
    departments = load_departments()
    names = [item.name for item in reform.start]
    assert len(set(names)) == len(names) == 1229
    for item in reform.start:
        assert item.department in departments
        assert re.fullmatch(r"[\u4e00-\u9fff（）、A-Z]+", item.name), item.name   # no "matter 57"
    assert {item.department for item in reform.start} == departments.keys()


def test_devolved_items_go_below_the_city(reform):
    levels = {op.to_level for op in reform.operations if op.op == "devolve"}
    assert levels == {"district", "street"}


def test_committed_file_is_what_the_generator_writes():
    text = config.path("catalog/reform.json").read_text(encoding="utf-8")
    assert make_reform.render(make_reform.build()) == text


# --- refusals -------------------------------------------------------------------

def _tiny():
    return {
        "title": "测试",
        "start": [{"code": "SY01001", "name": "甲项审批", "department": "ndrc"},
                  {"code": "SY01002", "name": "乙项审批", "department": "ndrc"},
                  {"code": "SY01003", "name": "丙项审批", "department": "ndrc"}],
        "operations": [
            {"seq": 1, "batch": "第一批", "effective_date": "2002-07-01", "op": "cancel",
             "items": ["SY01001"], "reason": "取消"},
            {"seq": 2, "batch": "第二批", "effective_date": "2004-07-01", "op": "merge",
             "items": ["SY01002", "SY01003"], "reason": "合并",
             "target": {"code": "SY01901", "name": "甲乙审批", "department": "ndrc"}},
        ],
    }


def test_tiny_reform_replays():
    result = replay(parse_reform(_tiny()))
    assert [(s.before, s.after) for s in result.steps] == [(3, 2), (2, 1)]
    assert list(result.in_force) == ["SY01901"]
    assert result.cut_percent == -67


def _break(path, value):
    def change(data):
        *parents, last = path
        for key in parents:
            data = data[key]
        if value is None:
            del data[last]
        else:
            data[last] = value
    return change


BAD_SHAPES = [
    ("unknown op", _break(["operations", 0, "op"], "abolish"), "operations[0].op"),
    ("missing reason", _break(["operations", 0, "reason"], None), "operations[0].reason"),
    ("bad date", _break(["operations", 1, "effective_date"], "2004-02-30"),
     "operations[1].effective_date"),
    ("seq out of order", _break(["operations", 1, "seq"], 5), "operations[1].seq"),
    ("devolve without a level", _break(["operations", 0, "op"], "devolve"), "operations[0].to_level"),
    ("devolve to the city", lambda d: d["operations"][0].update(op="devolve", to_level="city"),
     "operations[0].to_level"),
    ("merge without a target", _break(["operations", 1, "target"], None), "operations[1].target"),
    ("merge of one item", _break(["operations", 1, "items"], ["SY01002"]), "operations[1].items"),
    ("bad item code", _break(["operations", 0, "items"], ["sy-1"]), "operations[0].items[0]"),
    ("start item without name", _break(["start", 2, "name"], None), "start[2].name"),
]


@pytest.mark.parametrize("change, field", [b[1:] for b in BAD_SHAPES], ids=[b[0] for b in BAD_SHAPES])
def test_bad_reform_file_names_the_field(change, field):
    data = _tiny()
    change(data)
    with pytest.raises(ValidationError) as info:
        replay(parse_reform(data))
    assert info.value.field == field


def test_operation_on_an_item_no_longer_in_force_is_refused():
    data = _tiny()
    data["operations"][1]["items"] = ["SY01002", "SY01001"]    # SY01001 was cancelled in step 1
    with pytest.raises(ValidationError) as info:
        replay(parse_reform(data))
    assert info.value.field == "operations[1].items[1]"


def test_merge_target_cannot_reuse_a_retired_code():
    data = _tiny()
    data["operations"][1]["target"]["code"] = "SY01001"
    with pytest.raises(ValidationError) as info:
        replay(parse_reform(data))
    assert info.value.field == "operations[1].target.code"


def test_final_check_refuses_a_catalog_that_does_not_match(result):
    matters = load_matters()
    with pytest.raises(ValidationError) as info:
        check_final(result, matters[1:])
    assert info.value.field == "in_force"
    assert matters[0].basic_code in info.value.detail


def test_reform_file_round_trips_through_json(reform, tmp_path):
    data = json.loads(config.path("catalog/reform.json").read_text(encoding="utf-8"))
    path = tmp_path / "reform.json"
    path.write_text(json.dumps(copy.deepcopy(data), ensure_ascii=False), encoding="utf-8")
    assert load_reform(path) == reform
