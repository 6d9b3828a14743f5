"""The public progress query (进度查询) at a node and at the hub, real processes both.

A case is received and worked at a node, synced, and then asked about by its
number and query code: the node (from its own case) and the hub (from its copy,
checking the hash the node sent) give the same answer, with nothing personal in
it; a wrong code and an unknown number get the same bytes; a client asking too
often is throttled; the lookup is one statement however long the case's history.
"""
from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
import requests

from hub import db as hub_db
from hub.models import HubCase
from node import case_log, store
from node.app import create_app
from node.cases import act, intake, query_secret
from node.models import database
from sync import query_hash
from sync.case_numbers import query_code
from tests.catalog_changes import matter
from tests.openapi_check import Schemas
from tests.processes import node_run
from tests.queries import counted

CENTER = "210102"  # 和平区政务服务中心
MATTER = "SY04001"  # 电力设施保护区内施工作业审批: promised, city and district level
ENTERPRISE = {"kind": "enterprise", "name": "沈阳某建设有限公司",
              "id_code": "91210100MA0Q123430", "phone": "02423456789"}
CLERK, REVIEWER, APPROVER = (case_log.Actor("wang", "clerk"), case_log.Actor("li", "reviewer"),
                             case_log.Actor("zhao", "approver"))
STEPS = [("start_review", REVIEWER, {}), ("submit_for_approval", REVIEWER, {}),
         ("decide", APPROVER, {"outcome": "approved", "document_number": "沈电审〔2026〕18号"})]
DOCS = [json.loads((Path(__file__).parents[1] / site / "openapi.json").read_text("utf-8"))
        for site in ("node", "hub")]
PERSONAL = [ENTERPRISE["name"], ENTERPRISE["id_code"], ENTERPRISE["phone"], "wang", "zhao",
            "沈电审"]


def new_case(data_dir, steps=()) -> tuple[str, str]:
    """A case accepted at the node (and ``steps`` taken on it): its number and query code."""
    store.bind(data_dir)
    keys = store.load_keys(data_dir)
    with database.connection_context():
        number = intake(keys, CENTER, CLERK, {
            "matter_code": MATTER, "applicant": ENTERPRISE, "outcome": "accept",
            "materials": [m["name"] for m in matter(MATTER)["materials"]]})["number"]
        for action, actor, data in steps:
            act(keys, CENTER, number, action, actor, data)
    return number, query_code(number, query_secret(data_dir))


@pytest.fixture
def node(hub, make_node):
    node_dir = make_node(CENTER)
    node_dir.enroll(hub)
    assert node_dir.sync()["errors"] == []  # the catalog
    return node_dir


def test_node_and_hub_answer_alike_and_show_nothing_personal(hub, node, tmp_path):
    number, code = new_case(node.data_dir, STEPS)
    assert node.sync()["errors"] == []
    # The hub holds a salted hash of the code, never the code.
    database_ = hub_db.bind(hub.db_url)
    received = HubCase.get(HubCase.number == number).received
    database_.close()
    assert code not in received and query_hash.code_matches(code, orjson.loads(
        received)["query_hash"])
    with node_run(node.data_dir, tmp_path / "node.log") as node_url:
        answers = [requests.get(f"{url}/api/progress", params={"number": number, "code": code},
                                timeout=10) for url in (node_url, hub.url)]
    assert [a.status_code for a in answers] == [200, 200]
    at_node, at_hub = (a.json() for a in answers)
    assert at_node == at_hub
    for doc in DOCS:  # both sites' OpenAPI documents describe it
        Schemas(doc).check({"$ref": "#/components/schemas/Progress"}, at_node)
    assert [s["label"] for s in at_node["steps"]] == [
        "收件", "受理", "开始审查", "审查通过，报送审批", "审批决定（办结）"]
    assert {s["center"]["code"] for s in at_node["steps"]} == {CENTER}
    assert at_node["current"]["state"] == "completed" and at_node["promised_date"]
    assert at_node["outcome"]["label"] == "准予许可"
    text = answers[0].text
    assert not [p for p in PERSONAL if p in text], text


def test_a_code_is_typed_as_printed(hub, node, tmp_path):
    number, code = new_case(node.data_dir)
    spaced = f" {code[:4].lower()}-{code[4:]} "
    with node_run(node.data_dir, tmp_path / "node.log") as node_url:
        answer = requests.get(f"{node_url}/api/progress",
                              params={"number": number.lower(), "code": spaced}, timeout=10)
    assert answer.status_code == 200 and answer.json()["current"]["label"] == "已受理"


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_wrong_code_and_an_unknown_number_get_the_same_bytes(hub, node, tmp_path):
    number, code = new_case(node.data_dir)
    assert node.sync()["errors"] == []
    wrong = "23456789" if code != "23456789" else "98765432"
    unknown = number[:-5] + "99999"
    with node_run(node.data_dir, tmp_path / "node.log") as node_url:
        for url in (node_url, hub.url):
            misses = [requests.get(f"{url}/api/progress", params=params, timeout=10)
                      for params in ({"number": number, "code": wrong},
                                     {"number": unknown, "code": code})]
            assert [m.status_code for m in misses] == [404, 404]
            assert misses[0].content == misses[1].content
            assert misses[0].json()["code"] == "PROGRESS_NOT_FOUND"
            pages = [requests.post(f"{url}/progress", data=data, timeout=10)
                     for data in ({"number": number, "code": wrong},
                                  {"number": unknown, "code": code})]
            # The page's form carries a CSRF token: without one it refuses, and says so.
            assert [p.status_code for p in pages] == [400, 400]


def test_malformed_input_is_a_clear_error(hub, node, tmp_path):
    with node_run(node.data_dir, tmp_path / "node.log") as node_url:
        for params, field in [({"number": "12345", "code": "ABCDEFGH"}, "number"),
                              ({"number": "210102-20260301-00001"}, "code"),
                              ({"number": "210102-20260301-00001", "code": "O0I1O0I1"}, "code")]:
            answer = requests.get(f"{node_url}/api/progress", params=params, timeout=10)
            assert answer.status_code == 422 and answer.json()["field"] == field


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_client_asking_too_often_is_throttled(hub, node, tmp_path):
    number, code = new_case(node.data_dir)
    assert node.sync()["errors"] == []
    hub.stop()
    hub.start(HALLSYNC_PROGRESS_MAX_QUERIES="3", HALLSYNC_PROGRESS_WINDOW_S="3600")
    with node_run(node.data_dir, tmp_path / "node.log",
                  env={"HALLSYNC_PROGRESS_MAX_QUERIES": "3",
                       "HALLSYNC_PROGRESS_WINDOW_S": "3600"}) as node_url:
        for url in (node_url, hub.url):
            statuses = [requests.get(f"{url}/api/progress",
                                     params={"number": number, "code": "23456789"},
                                     timeout=10).status_code for _ in range(3)]
            assert statuses == [404 if code != "23456789" else 200] * 3
            # Over the limit even the right code learns nothing, until the window ends.
            over = requests.get(f"{url}/api/progress", params={"number": number, "code": code},
                                timeout=10)
            assert over.status_code == 429 and over.json()["code"] == "TOO_MANY_REQUESTS"
            assert 0 < int(over.headers["Retry-After"]) <= 3600
            page = requests.get(f"{url}/progress", timeout=10)
            assert page.status_code == 200  # the form itself is not counted
            session = requests.Session()
            token = session.get(f"{url}/api/csrf", timeout=10).json()["csrf_token"]
            refused = session.post(f"{url}/progress", data={"number": number, "code": code,
                                                            "csrf_token": token}, timeout=10)
            assert refused.status_code == 429 and "查询过于频繁" in refused.text


def test_the_lookup_is_one_statement_however_long_the_history(tmp_path, hub, node):
    short, short_code = new_case(node.data_dir)
    long, long_code = new_case(node.data_dir, STEPS)
    app = create_app({"data_dir": str(node.data_dir), "TESTING": True})
    client = app.test_client()
    client.get("/api/progress", query_string={"number": short, "code": short_code})  # the
    found = {}  # window's first request also clears the windows before it: one DELETE more
    for number, code in ((short, short_code), (long, long_code)):
        with counted(database) as statements:
            answer = client.get("/api/progress", query_string={"number": number, "code": code})
        assert answer.status_code == 200
        found[len(answer.get_json()["steps"])] = [s.split()[0] for s in statements]
    # The throttle's count, then the case with all its steps.
    assert found == {2: ["INSERT", "SELECT"], 5: ["INSERT", "SELECT"]}


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_handed_off_case_answers_alike_where_it_was_received_and_decided(hub, make_node,
                                                                             tmp_path):
    from tests.test_handoffs import (APPROVER as DECIDER, DISTRICT, REVIEWER as TAKER, STREET,
                                     collect, enrolled)
    street, district = enrolled(hub, make_node, STREET), enrolled(hub, make_node, DISTRICT)
    number = collect(street)["number"]
    code = query_code(number, query_secret(street.dir.data_dir))
    street.sync()
    district.sync()
    for action, actor, data in [("take_over", TAKER, {}), ("start_review", TAKER, {}),
                                ("submit_for_approval", TAKER, {}),
                                ("decide", DECIDER, {"outcome": "approved",
                                                     "document_number": "和食经〔2026〕88号"})]:
        district.act(number, action, actor, data)
    district.sync()
    street.sync()
    answers = []
    with node_run(street.dir.data_dir, tmp_path / "street.log") as street_url, \
            node_run(district.dir.data_dir, tmp_path / "district.log") as district_url:
        for url in (street_url, district_url, hub.url):
            answer = requests.get(f"{url}/api/progress", params={"number": number, "code": code},
                                  timeout=10)
            assert answer.status_code == 200, (url, answer.text)
            answers.append(answer.json())
    assert answers[0] == answers[1] == answers[2]
    # The district, which never knew the street's secret, checked the hash it was relayed.
    assert [s["center"]["code"] for s in answers[0]["steps"]] == [STREET] * 3 + [DISTRICT] * 4
    assert answers[0]["current"]["center"]["code"] == STREET  # the result goes back to deliver
