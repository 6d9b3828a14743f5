"""Departments inside a center (issue 15.7) in real headless Chromium: a reviewer of one
department sees her department's cases in her queue, is told which departments it holds,
and is refused another department's case; a center-wide reviewer sees both.

Real processes, as in ``tests/node/test_departments.py``: ``hallsync hub run``,
``hallsync node enroll``, ``hallsync node user add --department`` and ``hallsync node
run``. Screens go to the test's ``tmp_path`` and ``/tmp/hallsync-screens/departments-*.png``.
"""
from __future__ import annotations

import pytest

# ``center``: the node of tests/node/test_departments.py, with li (industry) and chen (none).
from tests.node.test_departments import INDUSTRY, MARKET, accepted_case, center  # noqa: F401
from tests.staff import browser_login
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_browser_window import log_out

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


def test_a_reviewer_sees_her_departments_queue_and_is_refused_anothers_case(
        center, browser_page, tmp_path):  # noqa: F811
    page, (url, _data_dir) = browser_page, center
    industry, market = accepted_case(url, INDUSTRY), accepted_case(url, MARKET)

    browser_login(page, url, "li", "/window/")
    assert page.locator("#scope").inner_text() == "（按部门分工，只含市工业和信息化局的办件）"
    assert page.locator("#who").inner_text() == "li（审核人员 · 工信局）"
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
    browser_login(page, url, "chen", "/window/")
    assert page.locator("#scope").count() == 0  # no department: the whole center
    listed = {row.get_attribute("data-number")
              for row in page.locator("table.queue tbody tr").all()}
    assert listed == {industry, market}
    shoot(page, tmp_path, "departments-03-center-wide.png")
