"""A matter's guide narrowed by its questions (办理情形), and its FAQ, published with the
catalog and shown alike at the hub and at a node, without a login."""
from __future__ import annotations

import pytest
import requests

from sync.catalog_schema import matter_to_dict, validate_matter
from sync.errors import ValidationError
from sync.matter_guide import guide
from tests.catalog_changes import change, matter, write
from tests.processes import node_run

CENTER = "210102"
CODE = "SY01001"  # 企业投资项目核准: its 4th material is only for an agent
AGENT = "授权委托书及经办人身份证件（委托办理时提供）"
FAQ = [{"q": "可以委托他人办理吗？", "a": "可以，须提交授权委托书及经办人身份证件。"}]


def with_variants() -> dict:
    m = matter(CODE)
    m["questions"] = [{"id": "who", "text": "由谁到窗口办理？",
                       "options": [{"value": "self", "label": "申请单位法定代表人本人"},
                                   {"value": "agent", "label": "委托他人代办"}]}]
    m["materials"][3]["when"] = [{"question": "who", "values": ["agent"]}]
    m["faq"] = FAQ
    return m


def names(materials) -> list[str]:
    return [m["name"] for m in materials]


def test_answers_narrow_the_materials():
    m = matter_to_dict(validate_matter(with_variants()))
    everything = names(m["materials"])
    assert names(guide(m, {})[0]["materials"]) == everything
    assert names(guide(m, {"q.who": "agent"})[0]["materials"]) == everything
    assert names(guide(m, {"q.who": "self"})[0]["materials"]) == everything[:3]
    refused, status = guide(m, {"q.who": "cousin"})
    assert status == 422 and "由谁到窗口办理" in refused["error"]
    assert names(refused["materials"]) == everything


def test_a_matter_without_variants_keeps_its_bytes():
    plain = matter(CODE)
    assert "questions" not in plain and "faq" not in plain
    assert all("when" not in m for m in plain["materials"])


@pytest.mark.parametrize("broken, field", [
    (lambda m: m["materials"][3].update(when=[{"question": "age", "values": ["x"]}]),
     "materials[3].when[0].question"),
    (lambda m: m["materials"][3].update(when=[{"question": "who", "values": ["boss"]}]),
     "materials[3].when[0].values"),
    (lambda m: m["questions"][0].update(options=[{"value": "self", "label": "本人"}]),
     "questions[0].options"),
])
def test_a_condition_must_name_a_question_and_its_options(broken, field):
    m = with_variants()
    broken(m)
    with pytest.raises(ValidationError) as info:
        validate_matter(m)
    assert info.value.field == field


def test_hub_and_node_show_the_narrowed_guide(hub, make_node, tmp_path):
    path = write(tmp_path, "variants", change("amend", matters=[with_variants()]))
    hub.cli("catalog", "apply", str(path), "--json")
    node = make_node(CENTER)
    node.enroll(hub)
    assert node.sync()["errors"] == []
    with node_run(node.data_dir, tmp_path / "node.log") as node_url:
        for url in (node_url, hub.url):
            whole = requests.get(f"{url}/catalog/{CODE}", timeout=10).text
            assert AGENT in whole and "视情形提交" in whole and FAQ[0]["a"] in whole
            mine = requests.get(f"{url}/catalog/{CODE}", params={"q.who": "self"}, timeout=10)
            assert mine.status_code == 200 and AGENT not in mine.text
            assert "需提交 <b>3</b> 项材料（本事项共 4 项）" in mine.text
            wrong = requests.get(f"{url}/catalog/{CODE}", params={"q.who": "cousin"}, timeout=10)
            assert wrong.status_code == 422 and "请从所列选项中选择" in wrong.text
