"""One case from intake to delivery in real headless Chromium, through the window's pages.

Real processes: ``hallsync hub run``, ``hallsync node enroll``, ``hallsync node
user add --password-stdin`` and ``hallsync node run``. A clerk receives and
accepts the application and prints the receipt; a reviewer reviews, an
approver decides, the clerk delivers. Every page is saved as a screenshot in
the test's ``tmp_path`` and in ``/tmp/hallsync-screens/window-*.png``.
"""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.processes import ROOT, child_env, node_run
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401

CENTER = "210102"
PASSWORD = "窗口-correct-horse"
STAFF = {"wang": ("clerk", "王晓窗"), "li": ("reviewer", "李审核"), "zhao": ("approver", "赵审批")}
MATERIALS = 4  # SY04001 电力设施保护区内施工作业审批

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


def add_user(data_dir, username: str, role: str, name: str) -> None:
    # A session of its own: without a terminal, click's hidden prompt reads standard input.
    result = subprocess.run(
        [sys.executable, "-m", "hallsync", "node", "user", "add", username, "--role", role,
         "--name", name, "--password-stdin", "--data-dir", str(data_dir)],
        input=PASSWORD + "\n", capture_output=True, text=True, env=child_env(), cwd=ROOT,
        timeout=120, start_new_session=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def window_node(hub, make_node, tmp_path):
    """The district center's node, enrolled, with the catalog and three staff logins, running."""
    node = make_node(CENTER)
    node.enroll(hub)
    assert node.sync()["errors"] == []
    for username, (role, name) in STAFF.items():
        add_user(node.data_dir, username, role, name)
    with node_run(node.data_dir, tmp_path / "node-run.log") as url:
        yield url


def log_in(page, url: str, username: str) -> None:
    page.goto(url + "/login?next=/window/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/window/")
    assert STAFF[username][1] in page.locator("#who").inner_text()


def log_out(page) -> None:
    page.click("form.who button")
    page.wait_for_url("**/login")


def start_intake(page) -> None:
    """收件受理 step 1 for the SY04001 applicant of these tests, filled but not sent."""
    page.click("nav.sub >> text=收件受理")
    page.fill("input[type=search][name=q]", "电力设施")
    page.keyboard.press("Enter")
    page.wait_for_url("**/window/intake?q=*")
    page.check("input[name=applicant_kind][value=enterprise]")
    page.fill("#applicant_name", "沈阳某建设有限公司")
    page.fill("#applicant_id_code", "91210100MA0Q123430")
    page.fill("#applicant_phone", "02423456789")


def act(page, action: str, **fields) -> None:
    """Fill and send the small form of one action on the case page."""
    form = page.locator(f"#act-{action}")
    for name, value in fields.items():
        control = form.locator(f"[name={name}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".banner.ok").inner_text().startswith("已办理")


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_case_from_intake_to_delivery(hub, window_node, browser_page, tmp_path):
    page, url = browser_page, window_node
    log_in(page, url, "wang")
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '窗口')")
    shoot(page, tmp_path, "window-01-clerk-queue.png")

    # 收件受理, step 1: find the matter, register the applicant.
    page.click("nav.sub >> text=收件受理")
    page.fill("input[type=search][name=q]", "电力设施")
    page.keyboard.press("Enter")
    page.wait_for_url("**/window/intake?q=*")
    assert page.locator("#matter_code option").count() == 1
    page.check("input[name=applicant_kind][value=enterprise]")
    page.fill("#applicant_name", "沈阳某建设有限公司")
    page.fill("#applicant_id_code", "91210100MA0Q123430")
    page.fill("#applicant_phone", "02423456789")
    shoot(page, tmp_path, "window-02-intake-applicant.png")
    page.click("button[value=choose]")
    page.wait_for_load_state()

    # Step 2: the checklist. Submitting with a material missing is refused, next to the list.
    boxes = page.locator("input[name=materials]")
    assert boxes.count() == MATERIALS
    for i in range(MATERIALS - 1):
        boxes.nth(i).check()
    page.click("button[value=submit]")
    page.wait_for_load_state()
    error = page.locator(".field-error[data-field=materials]")
    assert "必备材料不齐" in error.inner_text()
    shoot(page, tmp_path, "window-03-intake-refused.png", full_page=True)
    page.locator("input[name=materials]").nth(MATERIALS - 1).check()
    page.click("button[value=submit]")
    page.wait_for_url("**/window/cases/*")
    number = page.locator("#number").inner_text()
    assert re.fullmatch(rf"{CENTER}-\d{{8}}-00001", number)
    assert page.locator("#state").inner_text() == "已受理"
    shoot(page, tmp_path, "window-04-case-accepted.png", full_page=True)

    page.click("#receipt-link")
    page.wait_for_url(f"**/window/cases/{number}/receipt")
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", page.locator("#query-code").inner_text())
    assert "受理回执" in page.locator("h1").inner_text()
    # The print button, wired by static/print.js (the CSP forbids an inline onclick).
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.click("[data-print]")
    assert page.evaluate("window.printed") == 1
    shoot(page, tmp_path, "window-05-receipt.png", full_page=True)
    log_out(page)

    # The reviewer finds it in the queue, reviews it and sends it on.
    log_in(page, url, "li")
    row = page.locator(f"tr[data-number='{number}']")
    assert "开始审查" in row.inner_text()
    shoot(page, tmp_path, "window-06-reviewer-queue.png")
    row.locator("a").click()
    page.wait_for_url(f"**/window/cases/{number}")
    act(page, "start_review")
    act(page, "submit_for_approval", reason="材料齐全，施工方案和安全措施符合要求")
    assert page.locator("#state").inner_text() == "待审批"
    log_out(page)

    # The approver decides.
    log_in(page, url, "zhao")
    page.locator(f"tr[data-number='{number}'] a").click()
    page.wait_for_url(f"**/window/cases/{number}")
    shoot(page, tmp_path, "window-07-approver-case.png", full_page=True)
    act(page, "decide", outcome="approved", document_number="沈电审〔2026〕18号")
    assert page.locator("#state").inner_text() == "已办结"
    log_out(page)

    # The clerk delivers by mail.
    log_in(page, url, "wang")
    page.locator(f"tr[data-number='{number}'] a").click()
    page.wait_for_url(f"**/window/cases/{number}")
    act(page, "deliver", method="mail", waybill="SF1234567890")
    assert page.locator("#state").inner_text() == "已送达"
    steps = page.locator("#timeline > li")
    assert [steps.nth(i).get_attribute("data-action") for i in range(steps.count())] == [
        "receive", "accept", "start_review", "submit_for_approval", "decide", "deliver"]
    timeline = page.locator("#timeline").inner_text()
    for text in ("王晓窗", "李审核", "赵审批", "材料齐全", "沈电审〔2026〕18号", "SF1234567890"):
        assert text in timeline, text
    shoot(page, tmp_path, "window-08-case-delivered.png", full_page=True)

    page.click("nav.sub >> text=办件查询")
    page.fill("input[name=q]", "沈阳某建设")
    page.keyboard.press("Enter")
    page.wait_for_url("**/window/search?q=*")
    assert page.locator("#count").inner_text() == "1"
    shoot(page, tmp_path, "window-09-search.png")

    page.click("nav.sub >> text=办件统计")
    page.wait_for_url("**/window/figures")
    assert page.locator("tr[data-key=completed] td").first.inner_text() == "1"
    shoot(page, tmp_path, "window-10-figures.png")

    # The same applicant again: the licence of the approved case is on file (the rest is
    # handed in again); a third application of the matter is flagged as a possible duplicate.
    def intake_step2() -> None:
        start_intake(page)
        page.click("button[value=choose]")
        page.wait_for_load_state()

    intake_step2()
    assert f"本中心已于办件 {number} 收取" in page.locator("table.materials").inner_text()
    assert page.locator("input[name=materials]").count() == MATERIALS - 1
    for box in page.locator("input[name=materials]").all():
        box.check()
    page.click("button[value=submit]")
    page.wait_for_url("**/window/cases/*")
    second = page.locator("#number").inner_text()
    intake_step2()
    assert second in page.locator("#same-matter-open").inner_text()
    shoot(page, tmp_path, "window-11-intake-on-file.png", full_page=True)
    page.click("button[name=decline]")  # the licence changed: collect it again
    page.wait_for_load_state()
    assert page.locator("input[name=materials]").count() == MATERIALS
    assert "须本次收取" in page.locator("table.materials").inner_text()
    shoot(page, tmp_path, "window-12-intake-declined.png", full_page=True)

    # 由代理人办理 (issue 15.6): the agent's section opens with its checkbox, by CSS alone.
    start_intake(page)
    assert not page.locator("#agent-fields").is_visible()
    page.check("#by_agent")
    assert page.locator("#agent-fields").is_visible()
    page.fill("#agent_id_code", "110101199003071233")
    page.fill("#agent_name", "李娜")
    page.fill("#agent_phone", "13900000000")
    shoot(page, tmp_path, "window-13-intake-agent.png", full_page=True)
    page.click("button[value=choose]")
    page.wait_for_load_state()
    assert "李娜" in page.locator("#agent").inner_text()
    attorney = page.locator("input[name=materials][value=授权委托书]")
    for box in page.locator("input[name=materials]").all():
        box.check()
    attorney.uncheck()  # the agent came without the power of attorney: refused
    page.click("button[value=submit]")
    page.wait_for_load_state()
    assert "须收取申请人签署的授权委托书" in page.locator(
        ".field-error[data-field=materials]").inner_text()
    shoot(page, tmp_path, "window-14-intake-no-attorney.png", full_page=True)
    for box in page.locator("input[name=materials]").all():
        box.check()
    page.click("button[value=submit]")
    page.wait_for_url("**/window/cases/*")
    assert page.locator("#agent").inner_text() == "李娜 居民身份证 110101********1233 · 13900000000"
    page.click("#receipt-link")
    page.wait_for_url("**/receipt")
    assert page.locator("#agent").inner_text() == "李娜 居民身份证 110101********1233"
    shoot(page, tmp_path, "window-15-receipt-agent.png", full_page=True)
