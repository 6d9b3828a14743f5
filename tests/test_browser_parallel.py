"""市区两级并联审批 in real headless Chromium: the district opens a joint approval
consulting the city's natural-resources bureau on its own pages; the city's
reviewer finds it in the 待会签 list and asks for a material; the district's
page shows the clock stopped and whom it waits on.

A hub and `hallsync node run` servers for the district and the city center; the
street's part (collect, hand off) is done in process. Screenshots land in
``/tmp/hallsync-screens/``.
"""
from __future__ import annotations

import contextlib

import pytest

from tests.processes import node_run
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_browser_window import STAFF, add_user, log_in
from tests.test_handoffs import DISTRICT, REVIEWER, STREET, collect, enrolled
from tests.test_parallel_approval import CITY, DUE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_the_city_asks_for_a_material_in_a_districts_joint_approval(hub, make_node,
                                                                    browser_page, tmp_path):
    street, district, city = (enrolled(hub, make_node, code) for code in (STREET, DISTRICT, CITY))
    number = collect(street)["number"]
    street.sync()
    district.sync()
    for action in ("take_over", "start_review"):
        district.act(number, action, REVIEWER)
    for center in (district, city):
        for username, (role, name) in STAFF.items():
            add_user(center.dir.data_dir, username, role, name)
    with contextlib.ExitStack() as servers:
        urls = {c.code: servers.enter_context(node_run(c.dir.data_dir, tmp_path / f"{c.code}.log"))
                for c in (district, city)}
        page = browser_page
        log_in(page, urls[DISTRICT], "li")
        page.goto(f"{urls[DISTRICT]}/window/cases/{number}")
        page.fill("#open_joint-departments", f"fire {DUE}\nnatres {DUE} {CITY}")
        page.locator("#act-open_joint button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("#state").inner_text() == "联合审批中"
        joint = page.locator("#joint").inner_text()
        assert "沈阳市政务服务中心" in joint and "并联" in joint
        # The district's own department may decide here; the city's only through its opinion.
        options = page.locator("#joint_decide-department option")
        assert options.count() == 1 and options.first.get_attribute("value") == "fire"
        shoot(page, tmp_path, "parallel-01-district-opens.png", full_page=True)

        district.sync()
        city.sync()
        log_in(page, urls[CITY], "li")
        row = page.locator(f"#consults tr[data-number='{number}']")
        assert "待表态" in row.inner_text() and "和平区政务服务中心" in row.inner_text()
        shoot(page, tmp_path, "parallel-02-city-queue.png")
        row.locator("a").click()
        page.wait_for_url(f"**/window/cases/{number}#consulted")
        form = page.locator("#opinion-natres")
        form.locator("select[name=decision]").select_option("supplement")
        for box in form.locator("input[name=missing]").all():
            box.uncheck()
        form.locator("button[type=submit]").click()  # nothing named: refused, next to the field
        page.wait_for_load_state()
        assert "补正" in page.locator(".field-error[data-field=missing]").inner_text()
        form = page.locator("#opinion-natres")
        form.locator("select[name=decision]").select_option("supplement")
        form.locator("textarea[name=missing_other]").fill("建设项目规划设计方案")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "等待办理中心记录" in page.locator("#opinion-natres").inner_text()
        shoot(page, tmp_path, "parallel-03-city-asks.png", full_page=True)

        city.sync()
        district.sync()
        page.goto(f"{urls[DISTRICT]}/window/cases/{number}")  # still logged in there
        assert page.locator("#state").inner_text().startswith("补正中")
        assert "要求补正：建设项目规划设计方案" in page.locator("#joint").inner_text()
        shoot(page, tmp_path, "parallel-04-district-paused.png", full_page=True)
