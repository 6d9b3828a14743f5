"""A national matter code (国家事项编码) is accepted wherever a matter code is: the hub's
CLI, pages and statistics, a node's window API, catalog pages, search and import; what
is stored keeps the basic code, so history and cases read as before."""
from __future__ import annotations

import pytest
import requests

from node import store
from node.app import create_app
from node.models import Case, OutboxEvent
from node.users import add_user
from sync import envelope as env
from tests.node import test_case_api
from tests.node.test_case_api import CENTER, logged_in
from tests.processes import ROOT, hallsync, last_json

NATIONAL = "21010000GX-XK-0001"        # SY04001 电力设施保护区内施工作业审批
UNKNOWN = "21010000GX-XK-0999"
INTAKE = {**test_case_api.INTAKE, "matter_code": NATIONAL}


@pytest.fixture
def node_dir(hub, make_node):
    node_dir = make_node(CENTER)
    node_dir.enroll(hub)
    node_dir.sync()  # the catalog
    return node_dir


@pytest.fixture
def node_app(node_dir):
    store.bind(node_dir.data_dir)
    add_user("clerk1", "correct horse", ["clerk"], now_ms=env.now_ms())
    return create_app({"data_dir": str(node_dir.data_dir)})


def test_the_hub_takes_a_national_code_in_the_cli_the_pages_and_the_figures(hub, node_app, node_dir):
    shown = last_json(hub.cli("catalog", "show", NATIONAL.lower(), "--json"))
    assert shown["matter"]["basic_code"] == "SY04001" and shown["matter"]["national_code"] == NATIONAL
    missing = hub.cli("catalog", "show", UNKNOWN, check=False)
    assert missing.returncode != 0 and f"no matter {UNKNOWN}" in missing.stderr

    clerk = logged_in(node_app, "clerk1")
    assert clerk.post("/api/cases", json=INTAKE).status_code == 201
    node_dir.sync()
    figures = last_json(hub.cli("stats", "--matter", NATIONAL, "--json"))
    assert figures["filters"]["matter"] == "SY04001" and figures["figures"]["received"] == 1
    refused = hub.cli("stats", "--matter", UNKNOWN, "--json", check=False)
    assert refused.returncode != 0 and "未知的事项编码" in refused.stderr + refused.stdout

    page = requests.get(f"{hub.url}/catalog/{NATIONAL}", timeout=10)
    assert page.status_code == 200 and "电力设施保护区内施工作业审批" in page.text and NATIONAL in page.text
    assert "2015 年 3 月改革历史结束时已在目录中，设立日期未记载" in page.text  # not guessed
    young = requests.get(f"{hub.url}/catalog/SY16011", timeout=10).text
    assert "2016-11-01 起（《网络预约出租汽车经营服务管理暂行办法》" in young


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_node_takes_a_national_code_at_the_window_api_pages_and_search(node_app):
    clerk = logged_in(node_app, "clerk1")
    created = clerk.post("/api/cases", json=INTAKE)
    assert created.status_code == 201, created.get_json()
    number = created.get_json()["number"]
    assert Case.get_by_id(number).matter_code == "SY04001"       # the key is unchanged

    before = (Case.select().count(), OutboxEvent.select().count())
    refused = clerk.post("/api/cases", json={**INTAKE, "matter_code": UNKNOWN})
    assert refused.status_code == 422 and refused.get_json()["code"] == "MATTER_UNKNOWN"
    assert (Case.select().count(), OutboxEvent.select().count()) == before

    public = node_app.test_client()
    page = public.get(f"/catalog/{NATIONAL}")
    assert page.status_code == 200 and "国家事项编码" in page.get_data(as_text=True)
    found = public.get(f"/api/catalog?q={NATIONAL}").get_json()
    assert [(m["code"], m["national_code"]) for m in found["matters"]] == [("SY04001", NATIONAL)]
    assert public.get(f"/catalog/{UNKNOWN}").status_code == 404


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_an_import_may_name_its_matters_by_national_code(node_dir, tmp_path):
    example = (ROOT / "config" / "examples" / "import.jsonl").read_text(encoding="utf-8")
    national = (example.replace('"matter_code": "SY04001"', f'"matter_code": "{NATIONAL}"')
                .replace('"matter_code": "SY24006"', '"matter_code": "21010000SJ-XK-0002"'))
    assert "SY04001" not in national and "SY24006" not in national
    path = tmp_path / "national.jsonl"
    path.write_text(national, encoding="utf-8")
    done = last_json(hallsync("node", "import", path, "--data-dir", node_dir.data_dir, "--json"))
    assert done["cases_imported"] == 6
    store.bind(node_dir.data_dir)
    from node.models import database
    with database.connection_context():
        assert {c.matter_code for c in Case.select()} == {"SY04001", "SY24006"}


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_an_import_refuses_a_case_received_before_its_matter_existed(node_dir, tmp_path):
    first = (ROOT / "config" / "examples" / "import.jsonl").read_text(encoding="utf-8").splitlines()[0]
    early = (first.replace('"matter_code": "SY24006"', '"matter_code": "SY24901"')  # 2015-10-01
             .replace("210102-20261102-00001", "210102-20150302-00001")
             .replace('"received_at": "2026-11-02T09:05:00+08:00"',
                      '"received_at": "2015-03-02T09:05:00+08:00"'))
    path = tmp_path / "early.jsonl"
    path.write_text(early + "\n", encoding="utf-8")
    refused = hallsync("node", "import", path, "--data-dir", node_dir.data_dir, check=False)
    assert refused.returncode != 0
    assert "line 1: received_at: 事项 SY24901（食品经营许可）2015-10-01 才设立" in refused.stderr
    store.bind(node_dir.data_dir)
    from node.models import database
    with database.connection_context():
        assert Case.select().count() == 0
