"""差评整改 and 在线咨询 in real headless Chromium against a running node: the center admin
works a bad review's order (回访 before the reply, then the reply), and a citizen asks a
question that a clerk answers. Screenshots in ``tmp_path`` and
``/tmp/hallsync-screens/rectification-*.png``, ``consult-*.png``; nothing overflows at
1366×768."""
from __future__ import annotations

import pytest

from node import evaluation, store
from node.models import database
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_browser_citizen import completed_case, last_code
from tests.test_browser_pages import fits
from tests.test_browser_window import (CENTER, PASSWORD, add_user, log_in,  # noqa: F401
                                       window_node)
from tests.test_cases import MATTER, PERSON

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


def rated_badly(data_dir) -> str:
    number = completed_case(data_dir)
    store.bind(data_dir)
    with database.connection_context():
        token = evaluation.open_pad(number, CENTER)
        evaluation.submit(store.load_keys(data_dir), CENTER, evaluation.token_hash(token),
                          {"level": "very_dissatisfied", "comment": "窗口人员解释不清，材料被退回两次"})
    return number


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_the_center_admin_calls_back_and_replies_to_a_bad_review(hub, make_node, window_node,
                                                                 browser_page, tmp_path):
    data_dir = make_node(CENTER).data_dir
    add_user(data_dir, "chief", "center_admin", "陈主任")
    number = rated_badly(data_dir)
    page = browser_page
    page.goto(window_node + "/login?next=/rectifications/")
    page.fill("#username", "chief")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/rectifications/")
    assert number in page.locator("#orders").inner_text()
    assert page.locator("#count-green").inner_text() == "1"
    assert fits(page)
    shoot(page, tmp_path, "rectification-list.png")

    page.click(f"#orders a:text('{number}')")
    page.wait_for_url(f"**/rectifications/{number}")
    page.fill("#text", "已整改")
    page.click("#form-reply button")
    assert "请先回访申请人，再答复" in page.locator("#refused").inner_text()
    page.fill("#note", "3月3日电话回访，申请人反映材料清单说明不清")
    page.click("#form-callback button")
    assert "已保存：回访" in page.locator("[role=status]").inner_text()
    shoot(page, tmp_path, "rectification-order.png", full_page=True)
    page.fill("#text", "已修订材料清单说明并对窗口人员开展业务培训，欢迎再次监督。")
    page.click("#form-reply button")
    assert "已答复" in page.locator("#light").inner_text()
    assert page.locator("#form-reply").count() == 0
    assert [s.split()[0] for s in page.locator("#steps > li").all_inner_texts()] == [
        "生成整改工单", "回访", "整改答复"]
    assert "138" not in page.locator("main").inner_text()  # the evaluator is never shown
    assert fits(page)
    shoot(page, tmp_path, "rectification-replied.png", full_page=True)


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_citizen_asks_and_a_clerk_answers(hub, make_node, window_node, browser_page,
                                            tmp_path):
    data_dir = make_node(CENTER).data_dir
    page = browser_page
    page.goto(window_node + "/citizen/login")
    page.fill("#code-phone", PERSON["phone"])
    page.click("form[action$='/citizen/code'] button")
    page.wait_for_selector("#code")
    page.fill("#code", last_code(data_dir))
    page.fill("#id_code", PERSON["id_code"])
    page.click("form[action$='/citizen/login'] button")
    page.wait_for_url("**/citizen/")
    page.goto(window_node + "/consult")
    page.click("#consult-form button[type=submit]")  # nothing chosen: the browser says so
    assert page.url.endswith("/consult")
    page.select_option("#matter_code", MATTER)
    page.fill("#question", "施工作业审批需要提前多少天申请？")
    assert fits(page)
    shoot(page, tmp_path, "consult-form.png")
    page.click("#consult-form button[type=submit]")
    page.wait_for_url("**/consult/mine")
    assert "待答复" in page.locator("#mine").inner_text()
    shoot(page, tmp_path, "consult-mine.png")

    page.context.clear_cookies()
    log_in(page, window_node, "wang")
    page.goto(window_node + "/consultations/")
    assert "施工作业审批需要提前多少天申请？" in page.locator("#consultations").inner_text()
    page.fill("#consultations textarea", "一般应在施工前 10 个工作日提出申请。")
    page.click("#consultations button")
    assert page.locator("#count-answered").inner_text() == "1"
    assert fits(page)
    shoot(page, tmp_path, "consult-staff.png", full_page=True)
