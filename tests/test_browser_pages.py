"""The staff pages of issue 16 in real headless Chromium at 1366×768, over real processes
(``hallsync hub run``, ``hallsync node run``): the dashboard that adds up, its error page,
the coverage page's wording, the login pages that say which site, the node's 同步状态
page, and a case with its ID number masked and its destructive step marked. Nothing may
overflow horizontally. Screenshots land in ``/tmp/hallsync-screens/pages-*.png``.
"""
from __future__ import annotations

import datetime

import pytest

from hallsync.bench.stats import load, loaded
from hub import db as hub_db
from tests.staff import browser_login, hub_account
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401 (fixture)
from tests.test_browser_window import STAFF, log_in, window_node  # noqa: F401 (fixture)
from sync.case_clock import china_today

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]
LAST_DAY = china_today() - datetime.timedelta(days=1)
PERSON = {"kind": "person", "name": "张伟", "id_code": "210102198503150013",
          "phone": "13800000000"}
MATERIALS = ["施工作业申请书", "施工方案及安全保护措施", "与电力设施产权单位签订的安全协议", "营业执照"]


def fits(page) -> bool:
    """Nothing wider than the window: no horizontal scroll bar at 1366×768."""
    return page.evaluate("document.documentElement.scrollWidth <= "
                         "document.documentElement.clientWidth")


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_the_hub_s_pages_add_up_say_where_they_are_and_fit(hub, browser_page, tmp_path):
    database = hub_db.bind(hub.db_url)
    with database.connection_context():
        loaded(database)
        load(database, 5_000, LAST_DAY)
    database.close()
    hub_account(hub, "wangmin", "operator", name="王敏")
    page = browser_page

    page.goto(hub.url + "/login")
    assert page.locator("#site-kind").inner_text() == "全市政务服务监管平台"
    assert "hallsync" not in page.locator("main").inner_text()
    assert fits(page)
    shoot(page, tmp_path, "pages-01-hub-login.png")

    browser_login(page, hub.url, "wangmin", "/dashboard")
    page.goto(hub.url + f"/dashboard?period=year&date={LAST_DAY.year}")
    own = page.locator("#children tr.own td").all_inner_texts()
    total = page.locator("#children tr.total td").all_inner_texts()
    children = page.locator("#children tbody tr:not(.own):not(.total)")
    received = [int(t.replace(",", "")) for t in children.locator("td:nth-child(2)")
                .all_inner_texts()]
    assert own[0].startswith("本级") and total[0].startswith("合计")
    assert sum(received) + int(own[1].replace(",", "")) == int(total[1].replace(",", ""))
    assert page.locator("#ranking-title").inner_text() == "区县排名"
    rates = [t for t in page.locator(".tile .value").all_inner_texts() if t.endswith("%")]
    assert rates and all(float(t[:-1]) <= 100 for t in rates)
    # a year's period before is the same days a year earlier: said once
    assert f"对比上期 {LAST_DAY.year - 1}年" in page.locator("#compared").inner_text()
    assert "去年同期" not in page.locator("#compared").inner_text()
    assert fits(page)
    shoot(page, tmp_path, "pages-02-dashboard.png", full_page=True)

    page.fill("input[name=date]", "2026/11")
    page.click("form.filters >> text=查看")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "输入有误"
    assert page.locator("#problem").inner_text().startswith("日期：按年查看时应写作四位数的年份")
    assert page.locator("header.top .site").count() == 1 and fits(page)
    shoot(page, tmp_path, "pages-03-dashboard-error.png")
    page.click("text=返回上一页面")
    assert page.locator("h1").inner_text().endswith("运行概况")

    page.goto(hub.url + "/coverage")
    assert "没有需要关注的中心" not in page.content()
    assert "尚未接入" in page.locator("#never").inner_text()
    assert fits(page)
    shoot(page, tmp_path, "pages-04-coverage.png")


def csrf(page, url: str) -> str:
    return page.request.get(url + "/api/csrf").json()["csrf_token"]


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_the_node_s_pages_mask_name_mark_and_fit(hub, window_node, browser_page, tmp_path):
    page, url = browser_page, window_node
    page.goto(url + "/login")
    assert page.locator("header.top .site").inner_text() == "和平区政务服务中心"
    assert page.locator("#site-kind").inner_text() == "区县窗口办件系统"
    assert "hallsync" not in page.locator("main").inner_text() and fits(page)
    shoot(page, tmp_path, "pages-05-node-login.png")

    log_in(page, url, "wang")
    page.goto(url + "/")
    assert page.locator("h1").inner_text() == "同步状态"
    assert page.locator("#problem").inner_text() == "无"
    assert page.locator("#problem").evaluate("e => getComputedStyle(e).color") != \
        "rgb(179, 38, 30)"  # not the red of a problem
    assert "（北京时间）" in page.locator("#status").inner_text() and fits(page)
    shoot(page, tmp_path, "pages-06-node-status.png")
    page.click("#back")
    page.wait_for_url("**/window/")

    answer = page.request.post(url + "/api/cases", headers={"X-CSRFToken": csrf(page, url)},
                               data={"matter_code": "SY04001", "applicant": PERSON,
                                     "outcome": "accept", "materials": MATERIALS})
    assert answer.status == 201, answer.text()
    number = answer.json()["number"]
    page.goto(url + f"/window/cases/{number}")
    assert page.locator("#id-code").inner_text() == "210102********0013"
    assert PERSON["id_code"] not in page.content()
    assert STAFF["wang"][1] in page.locator("#timeline").inner_text()
    assert "wang" not in page.locator("#timeline").inner_text()
    withdraw = page.locator("#act-withdraw button[type=submit]")
    assert withdraw.get_attribute("class") == "danger"
    colours = withdraw.evaluate("e => [getComputedStyle(e).backgroundColor, "
                                "getComputedStyle(e).color]")
    assert colours == ["rgb(255, 255, 255)", "rgb(179, 38, 30)"]  # outlined, not filled
    assert fits(page)
    shoot(page, tmp_path, "pages-07-case.png", full_page=True)
    page.goto(url + f"/window/cases/{number}/receipt")
    assert page.locator("#id-code").inner_text() == "210102********0013" and fits(page)
    shoot(page, tmp_path, "pages-08-receipt.png")


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_intake_by_keyboard_with_an_id_card_reader(hub, window_node, browser_page, tmp_path):
    page, url = browser_page, window_node
    log_in(page, url, "wang")
    page.goto(url + "/window/intake")
    focused = "document.activeElement.id || document.activeElement.name"
    assert page.evaluate(focused) == "q"  # the search box, not the top of the page
    page.keyboard.type("电力设施")
    page.keyboard.press("Enter")
    page.wait_for_url("**/window/intake?q=*")
    assert page.evaluate(focused) == "matter_code"  # the focus waits in the list found
    page.focus("#applicant_id_code")
    page.keyboard.type(PERSON["id_code"])  # what a reader does: the number, then Enter
    page.keyboard.press("Enter")
    assert page.evaluate(focused) == "applicant_name"  # the browser's check moves on
    page.keyboard.type(PERSON["name"])
    page.keyboard.press("Tab")
    page.keyboard.type(PERSON["phone"])
    with page.expect_navigation():  # Enter sends the form: step 2, the checklist
        page.keyboard.press("Enter")
    assert page.locator("input[name=materials]:checked").count() == 0
    assert fits(page)
    shoot(page, tmp_path, "pages-09-intake-checklist.png", full_page=True)
    with page.expect_navigation():
        page.click("#select-all")
    assert page.locator("input[name=materials]:checked").count() == len(MATERIALS)
    page.click("button[value=submit]")
    page.wait_for_url("**/window/cases/*")
    assert page.locator("#state").inner_text() == "已受理"
