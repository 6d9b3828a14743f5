"""A handoff in real headless Chromium: a street window collects a matter its
district decides, the district's reviewer takes it over on its own node's pages.

Two `hallsync node run` servers and a hub; the nodes sync with `hallsync node
sync` between the steps, as their scheduled jobs would. Screenshots land in
``/tmp/hallsync-screens/``.
"""
from __future__ import annotations

import contextlib

import pytest

from tests.processes import node_run
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_browser_window import add_user, log_in, STAFF

STREET, DISTRICT = "210102001", "210102"
FOOD_MATERIALS = 5  # SY24901 食品经营许可

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_street_collects_and_its_district_takes_over(hub, make_node, browser_page, tmp_path):
    nodes = {}
    for code in (STREET, DISTRICT):
        nodes[code] = make_node(code)
        nodes[code].enroll(hub)
        assert nodes[code].sync()["errors"] == []
        for username, (role, name) in STAFF.items():
            add_user(nodes[code].data_dir, username, role, name)
    with contextlib.ExitStack() as servers:
        urls = {code: servers.enter_context(node_run(node.data_dir, tmp_path / f"{code}.log"))
                for code, node in nodes.items()}
        page = browser_page
        log_in(page, urls[STREET], "wang")
        page.goto(urls[STREET] + "/window/intake?q=食品经营")
        page.check("input[name=applicant_kind][value=person]")
        page.fill("#applicant_name", "张伟")
        page.fill("#applicant_id_code", "210102198503150013")
        page.fill("#applicant_phone", "13800000000")
        page.click("button[value=choose]")
        page.wait_for_load_state()
        assert "和平区政务服务中心" in page.locator("#handoff-note").inner_text()
        boxes = page.locator("input[name=materials]")
        for i in range(boxes.count()):
            boxes.nth(i).check()
        page.click("button[value=submit]")  # without the applicant's consent: refused
        page.wait_for_load_state()
        assert "同意" in page.locator(".field-error[data-field=consent]").inner_text()
        page.check("input[name=consent]")
        page.fill("#waybill", "EA123456789CN")
        shoot(page, tmp_path, "handoff-01-street-intake.png", full_page=True)
        page.click("button[value=submit]")
        page.wait_for_url("**/window/cases/*")
        number = page.locator("#number").inner_text()
        assert page.locator("#state").inner_text().startswith("已移交")
        assert "和平区政务服务中心" in page.locator("#handoff-route").inner_text()
        shoot(page, tmp_path, "handoff-02-street-handed-off.png", full_page=True)

        for code in (STREET, DISTRICT):
            assert nodes[code].sync()["errors"] == []
        log_in(page, urls[DISTRICT], "li")
        row = page.locator(f"tr[data-number='{number}']")
        assert "接收移交" in row.inner_text()
        shoot(page, tmp_path, "handoff-03-district-queue.png")
        row.locator("a").click()
        page.wait_for_url(f"**/window/cases/{number}")
        page.locator("#act-take_over button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("#state").inner_text() == "已受理"
        assert "已接收" in page.locator("#handoffs").inner_text()
        shoot(page, tmp_path, "handoff-04-district-taken-over.png", full_page=True)
