"""The city's departments on the hub's own pages: the city center's node, served at /city/.

An operator enrolls the city center's node with `hallsync hub city-node enroll`
and restarts the hub with `city_node_dir`; the hub's workers serve it and one of
them runs its scheduled sync. A street hands a city-level matter up, a city
department's member of staff logs in at /city/login on the hub's port and
decides it there, and the result goes back to the street, which delivers it.
Hub and city logins live side by side in one browser.
"""
from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
import requests

from hallsync.city_node import COOKIE, CityJobs, create_app
from hub.models import CaseHandoff, HubCase
from node import store
from sync.errors import ConfigError
from tests.processes import ROOT, HubServer, browser, child_env, hallsync, last_json
from tests.staff import PASSWORD, hub_account
from tests.test_handoffs import CLERK, STREET, TALENT, at_hub, collect, enrolled, timeline

CITY = "210100"
# The city node's jobs run in the hub's process: short intervals, two workers to share them.
FAST = {"HALLSYNC_PUSH_INTERVAL_S": "0.3", "HALLSYNC_PULL_INTERVAL_S": "0.3",
        "HALLSYNC_HEARTBEAT_INTERVAL_S": "1", "HALLSYNC_JITTER_S": "0", "HALLSYNC_WORKERS": "2"}


@pytest.fixture
def city_dir(tmp_path):
    return tmp_path / "city-node"


@pytest.fixture
def hub(tmp_path, hub_db_url, city_dir):
    """A hub serving its city center's node at /city/, set up as the README says."""
    server = HubServer(tmp_path / "hub-data", hub_db_url)
    server.data_dir.mkdir(parents=True, exist_ok=True)
    server.start()
    try:
        enrolled_city = last_json(server.cli("city-node", "enroll", "--city-dir", city_dir,
                                             "--hub-url", server.url, "--json"))
        assert enrolled_city["center"] == CITY
        hallsync("node", "user", "add", "chen", "--role", "clerk", "--role", "reviewer",
                 "--role", "approver", "--name", "陈科长", "--password-stdin", "--data-dir",
                 city_dir, input=PASSWORD + "\n")
        server.stop()
        server.start(HALLSYNC_CITY_NODE_DIR=str(city_dir), **FAST)
        yield server
    finally:
        server.stop()


class Browser:
    """One browser (a ``requests`` session) on the hub's port: its pages and /city's."""

    def __init__(self, base_url: str):
        self.base, self.session = base_url, browser()

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.base + path, allow_redirects=False, **kw)

    def token(self, root: str) -> str:
        return self.get(f"{root}/api/csrf").json()["csrf_token"]

    def login(self, root: str, username: str, **form) -> requests.Response:
        return self.submit(f"{root}/login", {"username": username, "password": PASSWORD,
                                             **form})

    def submit(self, path: str, data: dict) -> requests.Response:
        """A form post, the token as a field (the root is the path's first segment if /city)."""
        root = "/city" if path.startswith("/city/") else ""
        return self.session.post(self.base + path, data={**data, "csrf_token": self.token(root)},
                                 allow_redirects=False)

    def act(self, number: str, action: str, data: dict | None = None) -> dict:
        reply = self.session.post(f"{self.base}/city/api/cases/{number}/actions",
                                  json={"action": action, "data": data or {}},
                                  headers={"X-CSRFToken": self.token("/city")})
        assert reply.status_code == 200, reply.text
        return reply.json()

    def case(self, number: str) -> dict | None:
        reply = self.get(f"/city/api/cases/{number}")
        return reply.json() if reply.status_code == 200 else None


def eventually(check, timeout: float = 30):
    """Poll ``check`` until it returns something true (the city node syncs on its schedule)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {check}")
        time.sleep(0.1)


def test_street_to_the_city_departments_at_the_hub_and_back(hub, make_node, city_dir):
    street = enrolled(hub, make_node, STREET)
    number = collect(street, TALENT)["number"]
    street.sync()
    chen = Browser(hub.url)
    # The node's login, under /city, and back to the page asked for.
    asked = chen.get("/city/window/")
    assert asked.status_code == 302
    assert asked.headers["Location"] == "/city/login?next=/city/window/"
    assert "工作人员登录" in chen.get("/city/login?next=/city/window/").text
    landed = chen.login("/city", "chen", next="/city/window/")
    assert landed.status_code == 302 and landed.headers["Location"] == "/city/window/"

    # The hub routes the case to its own center; the city node pulls it on its schedule.
    handed = eventually(lambda: chen.case(number))
    assert handed["state"] == "handed_off" and handed["collected_by"] == STREET
    page = chen.get(f"/city/window/cases/{number}").text
    assert "/city/static/hallsync.css" in page and '<a href="/">返回市中心</a>' in page
    taken = chen.submit(f"/city/window/cases/{number}/act", {"action": "take_over"})
    assert taken.status_code == 303
    assert taken.headers["Location"] == f"/city/window/cases/{number}"
    chen.act(number, "start_review")
    chen.act(number, "submit_for_approval")
    decided = chen.act(number, "decide", {"outcome": "approved",
                                          "document_number": "沈人才〔2026〕7号"})
    assert decided["state"] == "completed" and decided["holder"] == STREET

    # The city node pushes on its schedule; the street pulls the result and delivers it.
    def back_at_street():
        street.sync()
        case = street.view(number)
        return case if case["state"] == "completed" else None
    back = eventually(back_at_street, timeout=60)
    assert back["document_number"] == "沈人才〔2026〕7号" and back["holder"] == STREET
    delivered = street.act(number, "deliver", CLERK, {"method": "window"})
    street.sync()
    seen = eventually(lambda: (chen.case(number) or {}).get("state") == "delivered"
                      and chen.case(number))
    assert timeline(seen) == timeline(delivered)  # one timeline, both ends
    assert at_hub(hub, lambda: (HubCase.get(HubCase.number == number).state,
                                CaseHandoff.get().state)) == ("delivered", "decided")
    # Audit as for any center: the hub's chains and the city node's own.
    for data_dir, extra in ((hub.data_dir, ("--db", hub.db_url)), (city_dir, ())):
        assert last_json(hallsync("audit", "verify", "--data-dir", data_dir, *extra,
                                  "--json"))["intact"] is True


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_hub_and_city_logins_live_side_by_side(hub):
    hub_account(hub, "wangmin", "operator")
    # Issue 16: the two login pages on one port say which site each is.
    kinds = {path: re.search(r'id="site-kind">([^<]*)<', requests.get(hub.url + path).text)[1]
             for path in ("/login", "/city/login")}
    assert kinds == {"/login": "全市政务服务监管平台", "/city/login": "市本级窗口办件系统"}
    browser = Browser(hub.url)
    assert browser.login("", "wangmin").status_code == 302
    assert browser.login("/city", "chen").status_code == 302
    paths = {cookie.name: cookie.path for cookie in browser.session.cookies}
    assert paths == {f"hallsync_hub_{hub.port}": "/", COOKIE: "/city"}
    dashboard = browser.get("/dashboard")
    assert dashboard.status_code == 200
    assert '<a href="/city/window/">市级部门办件</a>' in dashboard.text
    assert browser.get("/city/api/status").json()["center"] == CITY
    # Each logout ends its own login only.
    assert browser.submit("/city/logout", {}).headers["Location"] == "/city/login"
    assert browser.get("/city/api/status").status_code == 401
    assert browser.get("/dashboard").status_code == 200
    # The hub's session cookie under the city's name logs no one in: their keys differ.
    hub_cookie = browser.session.cookies.get(f"hallsync_hub_{hub.port}")
    forged = requests.get(f"{hub.url}/city/api/status", cookies={COOKIE: hub_cookie})
    assert forged.status_code == 401 and "/city/login" in forged.json()["detail"]


def test_without_city_node_dir_the_hub_serves_no_city_pages(tmp_path):
    client = create_app({"data_dir": str(tmp_path / "hub"), "TESTING": True}).test_client()
    assert client.get("/city/").status_code == 404
    assert client.get("/city/login").status_code == 404
    assert "市级部门办件" not in client.get("/catalog/").get_data(as_text=True)


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_the_hub_and_its_city_node_keep_their_own_databases(hub, city_dir):
    from hub.models import MODELS as HUB_MODELS
    from hub.models import database as hub_database
    from node.models import MODELS as NODE_MODELS
    from node.models import database as node_database
    app = create_app({"data_dir": str(hub.data_dir), "database_url": hub.db_url,
                      "city_node_dir": str(city_dir), "TESTING": True})
    # The hub's logins subclass the node's User, yet live in the hub's database.
    assert all(model._meta.database is hub_database for model in HUB_MODELS)
    assert all(model._meta.database is node_database for model in NODE_MODELS)
    assert hub_database.obj.database == str(hub.data_dir / "hub.db")
    assert node_database.obj.database == str(city_dir / "node.db")
    client = app.test_client()
    assert client.get("/city/__heartbeat__").status_code in (200, 503)  # the node's checks
    assert client.get("/city/api/status").get_json()["code"] == "NOT_AUTHENTICATED"
    assert client.get("/api/catalog").status_code == 200  # the hub's own, beside it


def _city_node_refused(hub, directory, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected) as refused:
        create_app({"data_dir": str(hub.data_dir), "database_url": hub.db_url,
                    "city_node_dir": str(directory), "TESTING": True})
    assert refused.value.field == "city_node_dir"


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_wrong_city_node_dir_stops_the_hub_naming_the_setting(hub, make_node, tmp_path):
    _city_node_refused(hub, tmp_path / "typo", "holds no node.db")
    assert not (tmp_path / "typo").exists()
    store.bind(tmp_path / "never-enrolled")
    _city_node_refused(hub, tmp_path / "never-enrolled", "is not an enrolled node")
    street = make_node(STREET)
    street.enroll(hub)
    _city_node_refused(hub, street.data_dir, f"is the node of center {STREET}")
    # The one-step command refuses a street's directory before it spends a token.
    refused = hub.cli("city-node", "enroll", "--city-dir", street.data_dir, "--hub-url",
                      hub.url, check=False)
    assert refused.returncode == 2 and f"center {STREET}" in refused.stderr
    bad_url = hub.cli("city-node", "enroll", "--city-dir", tmp_path / "x", "--hub-url",
                      "hub:8700", check=False)
    assert bad_url.returncode == 2 and "--hub-url" in bad_url.stderr


class _Steps:
    def __init__(self):
        self.done = []

    def push(self):
        self.done.append("push")


def test_one_process_at_a_time_runs_the_city_nodes_jobs(tmp_path):
    store.bind(tmp_path / "city")
    lock = tmp_path / "city" / "sync.lock"
    settings = {"backoff_base_s": 1.0, "backoff_cap_s": 2.0}
    # Another worker holds the lock; this one's ticks do nothing until that worker dies.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a+b'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)", str(lock)],
        stdout=subprocess.PIPE, text=True, env=child_env(), cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        jobs = CityJobs(_Steps(), settings, lock)
        jobs.run("push")
        assert jobs.node.done == []
        holder.kill()
        holder.wait()
        jobs.run("push")
        assert jobs.node.done == ["push"]
        other = CityJobs(_Steps(), settings, lock)  # a second worker, same host
        other.run("push")
        assert other.node.done == []
        jobs.release()
        other.run("push")
        assert other.node.done == ["push"]
        other.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        holder.stdout.close()
