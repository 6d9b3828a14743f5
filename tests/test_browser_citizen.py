"""The citizen's side in real headless Chromium against a running node: a citizen logs in
with a code by SMS and the ID number and sees the own case; the clerk opens the window's
evaluation pad and the applicant (not the clerk) rates the case. Screenshots in
``tmp_path`` and ``/tmp/hallsync-screens/citizen-*.png``."""
from __future__ import annotations

import orjson
import pytest

from node import store
from node.case_log import Actor
from node.cases import act, intake
from node.models import OutboxEvent, database
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_browser_window import CENTER, log_in, window_node  # noqa: F401
from tests.test_cases import MATTER, PERSON, everything

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


def completed_case(data_dir) -> str:
    store.bind(data_dir)
    keys = store.load_keys(data_dir)
    with database.connection_context():
        number = intake(keys, CENTER, Actor("wang", "clerk"), {
            "matter_code": MATTER, "applicant": PERSON, "materials": everything(),
            "outcome": "accept"})["number"]
        for action, role, data in [("start_review", "reviewer", {}),
                                   ("submit_for_approval", "reviewer", {}),
                                   ("decide", "approver", {"outcome": "approved",
                                                           "document_number": "沈电审〔2026〕3号"})]:
            act(keys, CENTER, number, action, Actor(role, role), data)
    return number


def last_code(data_dir) -> str:
    store.bind(data_dir)
    with database.connection_context():
        for (payload,) in (OutboxEvent.select(OutboxEvent.payload)
                           .where(OutboxEvent.type == "sms.requested")
                           .order_by(OutboxEvent.seq.desc()).tuples()):
            message = orjson.loads(payload)
            if message["kind"] == "verification_code":
                return message["params"]["code"]
    raise AssertionError("no code sent")


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_citizen_logs_in_and_the_applicant_rates_on_the_pad(hub, make_node, window_node,
                                                              browser_page, tmp_path):
    data_dir = make_node(CENTER).data_dir
    number = completed_case(data_dir)
    page = browser_page
    page.goto(window_node + "/citizen/login")
    assert "市民登录" in page.title()
    page.fill("#code-phone", PERSON["phone"])
    page.click("form[action$='/citizen/code'] button")
    page.wait_for_selector("#code")
    assert "验证码已发送至 138****0000" in page.locator("[role=status]").inner_text()
    shoot(page, tmp_path, "citizen-login.png")
    page.fill("#code", last_code(data_dir))
    page.fill("#id_code", PERSON["id_code"])
    page.click("form[action$='/citizen/login'] button")
    page.wait_for_url("**/citizen/")
    assert number in page.locator("table").inner_text()
    shoot(page, tmp_path, "citizen-cases.png")
    page.goto(window_node + "/window/")
    assert "/login" in page.url  # a citizen's login is no staff login

    log_in(page, window_node, "wang")
    page.goto(f"{window_node}/window/cases/{number}")
    assert page.locator("select[name=level]").count() == 0  # the clerk chooses no level
    page.click("#evaluation-pad button")
    page.wait_for_url("**/e/**")
    shoot(page, tmp_path, "citizen-evaluation.png", full_page=True)
    page.check("input[value=dissatisfied]")
    page.click("form.stack button[type=submit]")
    assert "必须填写评价意见" in page.locator("[role=alert]").inner_text()
    page.fill("#comment", "排队时间太长")
    page.click("form.stack button[type=submit]")
    assert "感谢您的评价：不满意" in page.locator("[role=status]").inner_text()
    shoot(page, tmp_path, "citizen-evaluated.png")
    page.goto(f"{window_node}/window/cases/{number}")
    assert "评价：不满意" in page.content() and page.locator("#evaluation-pad").count() == 0
