"""The hub's catalog authority through its CLI, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from tests.catalog_changes import CHANGES, change, matter, write
from tests.processes import last_json


def test_the_first_version_is_the_city_catalog(hub):
    listed = last_json(hub.cli("catalog", "list", "--json"))
    assert listed["version"] == 1 and listed["count"] == 106
    history = last_json(hub.cli("catalog", "history", "--json"))["versions"]
    assert [v["version"] for v in history] == [1] and len(history[0]["put"]) == 106
    shown = last_json(hub.cli("catalog", "show", "SY01001", "--json"))
    assert shown["status"] == "in_force" and shown["matter"]["name"] == "企业投资项目核准"


@pytest.mark.parametrize("op, added, removed, changed, count", [
    ("cancel", [], ["SY01006"], {}, 105),
    ("convert", [], ["SY02006"], {}, 105),
    ("devolve", [], [], {"SY01011": ["levels"]}, 106),
    ("merge", [], ["SY03006"], {"SY03001": ["name"]}, 105),
    ("amend", [], [], {"SY04001": ["promised_limit_days"]}, 106),
])
def test_each_operation_previews_applies_and_diffs(hub, tmp_path, op, added, removed, changed,
                                                   count):
    path = write(tmp_path, op, CHANGES[op])
    preview = last_json(hub.cli("catalog", "apply", path, "--preview", "--json"))
    assert preview["version"] == 2 and preview["removed"] == removed
    assert last_json(hub.cli("catalog", "list", "--json"))["version"] == 1  # preview changed nothing
    applied = last_json(hub.cli("catalog", "apply", path, "--json"))
    assert applied["version"] == 2 and applied["count_after"] == count
    diff = last_json(hub.cli("catalog", "diff", "1", "2", "--json"))
    assert (diff["added"], diff["removed"], diff["changed"]) == (added, removed, changed)
    assert last_json(hub.cli("catalog", "list", "--json"))["count"] == count
    history = last_json(hub.cli("catalog", "history", "--json"))["versions"]
    assert history[-1]["op"] == op and history[-1]["author"] == "市政务服务中心 王敏"


@pytest.mark.parametrize("body, field", [
    (change("cancel", codes=["SY99999"]), "codes[0]"),
    (change("cancel", codes=[]), "codes"),
    (change("teleport", codes=["SY01001"]), "op"),
    ({**change("cancel", codes=["SY01001"]), "author": ""}, "author"),
    (change("cancel", codes=["SY01001"], to_levels=["street"]), "to_levels"),
    (change("devolve", codes=["SY01001"], to_levels=["city"]), "to_levels"),
    (change("amend", matters=[{**matter("SY04001"), "promised_limit_days": 99}]),
     "matters[0].promised_limit_days"),
    (change("add", matters=[{**matter("SY04001")}]), "matters[0].basic_code"),
    (change("add", matters=[{**matter("SY04001"), "basic_code": "SY04999",
                             "implementation_code": "SY0499921010001",
                             "materials": [{"name": "申请书", "issuer": "", "originals": 1,
                                            "copies": 0, "required": True,
                                            "e_licence": False}]}]),
     "matters[0].materials[0].issuer"),
    ({**change("cancel", codes=["SY01001"]), "effective_date": "2026-13-01"}, "effective_date"),
])
def test_a_bad_change_file_names_the_field_and_changes_nothing(hub, tmp_path, body, field):
    result = hub.cli("catalog", "apply", write(tmp_path, "bad", body), check=False)
    assert result.returncode == 2
    assert "VALIDATION_FAILED" in result.stderr and f": {field}: " in result.stderr
    assert last_json(hub.cli("catalog", "list", "--json"))["version"] == 1


def test_consistency_shows_who_is_behind(hub, make_node, tmp_path):
    from hub import db as hub_db
    from hub.catalog.authority import consistency
    node = make_node("210102001")
    node.enroll(hub)
    node.sync()
    hub.cli("catalog", "apply", write(tmp_path, "cancel", CHANGES["cancel"]))
    database = hub_db.bind(hub.db_url)
    before = consistency()
    database.close()
    assert before["version"] == 2
    mine = next(c for c in before["centers"] if c["code"] == "210102001")
    assert (mine["version"], mine["behind"]) == (1, 1)
    assert before["levels"]["street"] == {"centers": 189, "enrolled": 1, "current": 0,
                                          "behind": 1, "calendar_behind": 0}
    node.sync()
    database = hub_db.bind(hub.db_url)
    after = consistency()
    database.close()
    assert after["levels"]["street"]["current"] == 1
    assert node.status()["catalog_version"] == 2 and node.status()["catalog_matters"] == 105
