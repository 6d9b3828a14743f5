"""Departments inside a center (issue 15.7) in real headless Chromium: a reviewer of one
department sees her department's cases in her queue, is told which departments it holds,
and is refused another department's case; a center-wide reviewer sees both.

Real processes: ``hallsync hub run``, ``hallsync node enroll``, ``hallsync node user add
--department`` and ``hallsync node run``. Screens go to the test's ``tmp_path`` and
``/tmp/hallsync-screens/departments-*.png``.
"""
from __future__ import annotations

import pytest

from tests.node.test_departments import INDUSTRY, MARKET, accepted_case, add_user
from tests.processes import node_run
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_browser_window import log_out

CENTER = "210102"
STAFF = {"wang": (["clerk"], []), "li": (["reviewer"], ["industry"]),
         "chen": (["reviewer"], [])}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


@pytest.fixture
def department_node(hub, make_node, tmp_path):
    node = make_node(CENTER)
    node.enroll(hub)
    assert node.sync()["errors"] == []
    for username, (roles, departments) in STAFF.items():
        add_user(node.data_dir, username, roles, departments)
    with node_run(node.data_dir, tmp_path / "node-run.log") as url:
        yield url


def log_in(page, url: str, username: str) -> None:
    page.goto(url + "/login?next=/window/")
    page.fill("#username", username)
    page.fill("#password", "窗口-correct-horse")
    page.click("button[type=submit]")
    page.wait_for_url("**/window/")


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_reviewer_sees_her_departments_queue_and_is_refused_anothers_case(
        hub, department_node, browser_page, tmp_path):
    page, url = browser_page, department_node
    industry, market = accepted_case(url, INDUSTRY), accepted_case(url, MARKET)

    log_in(page, url, "li")
    assert page.locator("#scope").inner_text() == "按部门分工：本队列只含市工业和信息化局的办件。"
    listed = [row.get_attribute("data-number") for row in page.locator("table.queue tbody tr").all()]
    assert listed == [industry]
    shoot(page, tmp_path, "departments-01-scoped-queue.png")

    answer = page.goto(f"{url}/window/cases/{market}")
    assert answer.status == 403
    assert "属于其他部门" in page.locator("[role=alert]").inner_text()
    shoot(page, tmp_path, "departments-02-refused.png")
    page.goto(f"{url}/window/cases/{industry}")
    assert page.locator("#act-start_review").count() == 1

    page.goto(f"{url}/window/")
    log_out(page)
    log_in(page, url, "chen")
    assert page.locator("#scope").count() == 0  # no department: the whole center
    listed = {row.get_attribute("data-number")
              for row in page.locator("table.queue tbody tr").all()}
    assert listed == {industry, market}
    shoot(page, tmp_path, "departments-03-center-wide.png")
