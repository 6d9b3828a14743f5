"""办件公示 and the public figures per center, from real node and hub processes.

Cases decided at a node are listed, newest first and without anything personal, at
the node and at the hub, page by page through the cursor; the hub's public figures
count them per center. Each page is one statement, whatever page it is.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from hub.app import create_app as create_hub
from hub.models import database as hub_database
from node.app import create_app
from node.models import database
from tests.openapi_check import Schemas
from tests.processes import node_run
from tests.queries import counted
from tests.test_progress import CENTER, PERSONAL, STEPS, new_case

REFUSED = STEPS[:2] + [("decide", STEPS[2][1], {"outcome": "refused", "reason": "不符合条件",
                                                "document_number": "沈电不许〔2026〕3号"})]
DOCS = {site: json.loads((Path(__file__).parents[1] / site / "openapi.json").read_text("utf-8"))
        for site in ("node", "hub")}


@pytest.fixture
def decided(hub, make_node):
    """A node with three decided cases (the last refused) and one still open, synced."""
    node = make_node(CENTER)
    node.enroll(hub)
    assert node.sync()["errors"] == []
    numbers = [new_case(node.data_dir, STEPS)[0], new_case(node.data_dir, STEPS)[0],
               new_case(node.data_dir, REFUSED)[0]]
    new_case(node.data_dir)  # accepted, not decided: not listed
    assert node.sync()["errors"] == []
    return node, numbers


def pages(url: str, **params) -> list[dict]:
    found, before = [], None
    while True:
        answer = requests.get(f"{url}/api/public/cases",
                              params={**params, **({"before": before} if before else {})},
                              timeout=10)
        assert answer.status_code == 200, answer.text
        found.append(answer.json())
        before = answer.json()["next"]
        if before is None:
            return found


def test_decided_cases_are_listed_alike_at_node_and_hub(hub, decided, tmp_path):
    node, numbers = decided
    with node_run(node.data_dir, tmp_path / "node.log") as node_url:
        at_node = pages(node_url, limit=2)
        at_hub = pages(hub.url, limit=2, center=CENTER)
        everything = requests.get(f"{hub.url}/api/public/cases", timeout=10)
        page = requests.get(f"{node_url}/public/cases", timeout=10)
    # The same rows and cursors (the hub's answer also names the center asked for).
    assert [(p["cases"], p["next"]) for p in at_node] == [(p["cases"], p["next"]) for p in at_hub]
    assert [len(p["cases"]) for p in at_node] == [2, 1]
    listed = [c for p in at_node for c in p["cases"]]
    assert [c["number"] for c in listed] == numbers[::-1]  # newest first
    assert [c["outcome"]["label"] for c in listed] == ["不予许可", "准予许可", "准予许可"]
    assert {c["center"]["name"] for c in listed} == {"和平区政务服务中心"}
    assert [c["number"] for c in everything.json()["cases"]] == numbers[::-1]
    for doc in DOCS.values():
        Schemas(doc).check({"$ref": "#/components/schemas/CompletedCases"}, at_node[0])
    for text in (everything.text, page.text):
        assert not [p for p in PERSONAL + ["不符合条件"] if p in text]
    assert page.status_code == 200 and numbers[0] in page.text


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_bad_parameters_are_clear_errors(hub, tmp_path):
    for params, field in [({"before": "yesterday"}, "before"), ({"center": "999999"}, "center"),
                          ({"limit": "0"}, "limit"), ({"limit": "many"}, "limit")]:
        answer = requests.get(f"{hub.url}/api/public/cases", params=params, timeout=10)
        assert answer.status_code == 422 and answer.json()["field"] == field
    page = requests.get(f"{hub.url}/public/cases", params={"center": "999999"}, timeout=10)
    assert page.status_code == 422 and "未知的中心代码" in page.text
    figures = requests.get(f"{hub.url}/api/public/figures", params={"period": "week"},
                           timeout=10)
    assert figures.status_code == 422 and figures.json()["field"] == "period"


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_each_page_is_one_statement(decided):
    node, _numbers = decided
    app = create_app({"data_dir": str(node.data_dir), "TESTING": True})
    client = app.test_client()
    cursor, counts = None, []
    for _ in range(3):
        with counted(database) as statements:
            answer = client.get("/api/public/cases",
                                query_string={"limit": 1, **({"before": cursor} if cursor else {})})
        counts.append(len(statements))
        cursor = answer.get_json()["next"]
    assert counts == [1, 1, 1] and cursor is None


def test_public_figures_count_each_centers_cases(hub, decided):
    answer = requests.get(f"{hub.url}/api/public/figures", timeout=10)
    assert answer.status_code == 200
    Schemas(DOCS["hub"]).check({"$ref": "#/components/schemas/PublicFigures"}, answer.json())
    mine = next(c for c in answer.json()["centers"] if c["code"] == CENTER)["figures"]
    assert (mine["received"], mine["accepted"], mine["completed"]) == (4, 4, 3)
    assert answer.json()["city"]["received"] == 4
    others = [c for c in answer.json()["centers"] if c["code"] != CENTER]
    assert len(others) == 208 and not any(c["figures"]["received"] for c in others)
    page = requests.get(f"{hub.url}/public/figures", timeout=10)
    assert page.status_code == 200 and "全市合计" in page.text


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_the_figures_read_the_rollups_in_two_statements(hub, decided):
    app = create_hub({"data_dir": str(hub.data_dir), "database_url": hub.db_url,
                      "TESTING": True})
    client = app.test_client()
    for params in ({}, {"period": "year", "date": "2026"}, {"start": "2026-01-15",
                                                             "end": "2026-12-20"}):
        with counted(hub_database) as statements:
            assert client.get("/api/public/figures", query_string=params).status_code == 200
        assert len(statements) <= 2, statements
