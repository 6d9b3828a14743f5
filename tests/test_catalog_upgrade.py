"""An existing deployment gets the national codes and established dates the normal way: a
hub whose matters lack them (as one seeded before they existed) publishes one signed
amend version with ``hub catalog add-national-codes``, every node applies it, and a
second run changes nothing."""
from __future__ import annotations

import orjson

from node import store
from node.models import CatalogMatter, database
from sync.catalog_history import load_matters
from sync.catalog_schema import matter_to_dict
from tests.catalog_changes import change, write
from tests.processes import last_json

SEED = {m.basic_code: matter_to_dict(m) for m in load_matters()}


def node_matters(node_dir) -> dict[str, dict]:
    store.bind(node_dir.data_dir)
    with database.connection_context():
        return {row.code: orjson.loads(row.data) for row in CatalogMatter.select()}


def test_an_old_catalog_gets_its_codes_and_dates_through_a_signed_version(hub, make_node,
                                                                          tmp_path):
    # The catalog of a hub seeded before the fields: every matter without them.
    old = [{k: v for k, v in m.items() if k not in ("national_code", "established")}
           for m in SEED.values()]
    hub.cli("catalog", "apply", write(tmp_path, "old", change("amend", matters=old)))
    node = make_node("210102")
    node.enroll(hub)
    node.sync()
    assert not any("national_code" in m for m in node_matters(node).values())

    shown = last_json(hub.cli("catalog", "add-national-codes", "--author", "市政务服务中心 王敏",
                              "--preview", "--json"))
    assert shown["preview"] and len(shown["changed"]) == 106
    assert shown["changed"]["SY24901"] == ["established", "national_code"]
    applied = last_json(hub.cli("catalog", "add-national-codes", "--author", "市政务服务中心 王敏",
                                "--json"))
    assert applied["version"] == shown["version"] == 3 and applied["op"] == "amend"

    node.sync()
    after = node_matters(node)
    assert {code: m.get("national_code") for code, m in after.items()} == {
        code: m["national_code"] for code, m in SEED.items()}
    assert after["SY16011"]["established"] == SEED["SY16011"]["established"]
    assert node.status()["catalog_version"] == 3

    again = hub.cli("catalog", "add-national-codes", "--author", "市政务服务中心 王敏")
    assert "nothing to do" in again.stdout
    assert last_json(hub.cli("catalog", "history", "--json"))["versions"][-1]["version"] == 3
