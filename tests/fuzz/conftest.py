"""The fuzz suites' servers: one real hub and one real enrolled node per module, with a
logged-in member of staff at each (fuzzing logged out would only meet the login wall).

How long they fuzz: ``HALLSYNC_FUZZ_EXAMPLES`` examples per operation or endpoint (a few
by default, so the suite takes seconds in every run; ``docs/reliability.md`` gives the
long run's number).
"""
from __future__ import annotations

import os

import pytest
import requests
from hypothesis import HealthCheck, settings

from node import store
from node.users import add_user
from sync import envelope as env
from tests.processes import HubServer, NodeDir, browser, node_run
from tests.staff import PASSWORD, hub_account

EXAMPLES = int(os.environ.get("HALLSYNC_FUZZ_EXAMPLES") or 8)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
CENTER = "210102"


def logged_in(url: str, username: str) -> requests.Session:
    """A session logged in at a running site, sending its CSRF token on every request."""
    session = browser()
    token = session.get(url + "/api/csrf", timeout=30).json()["csrf_token"]
    answer = session.post(url + "/login", data={"username": username, "password": PASSWORD,
                                                "csrf_token": token},
                          timeout=30, allow_redirects=False)
    assert answer.status_code == 302, answer.text
    session.headers["X-CSRFToken"] = session.get(url + "/api/csrf", timeout=30).json()[
        "csrf_token"]
    return session


def start_hub(tmp_path_factory, db_url: str | None = None) -> HubServer:
    data_dir = tmp_path_factory.mktemp("fuzz-hub") / "hub-data"
    data_dir.mkdir()
    return HubServer(data_dir, db_url or f"sqlite:///{data_dir / 'hub.db'}").start()


@pytest.fixture(scope="module")
def fuzz_hub(tmp_path_factory):
    hub = start_hub(tmp_path_factory)
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def fuzz_node(fuzz_hub, tmp_path_factory):
    """An enrolled node serving (``node run``) with a clerk; yields (node dir, URL)."""
    node = NodeDir(tmp_path_factory.mktemp("fuzz-node") / "node", CENTER)
    node.enroll(fuzz_hub)
    node.sync()  # the catalog
    store.bind(node.data_dir)
    add_user("clerk1", PASSWORD, ["clerk", "reviewer", "approver"], now_ms=env.now_ms())
    store.database.close()
    with node_run(node.data_dir, node.data_dir.parent / "node.log") as url:
        yield node, url


@pytest.fixture(scope="module")
def hub_session(fuzz_hub):
    hub_account(fuzz_hub, "operator1", "operator")
    return logged_in(fuzz_hub.url, "operator1")


@pytest.fixture(scope="module")
def node_session(fuzz_node):
    return logged_in(fuzz_node[1], "clerk1")
