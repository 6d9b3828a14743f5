"""The progress query in real headless Chromium: from the printed receipt's QR code to
the hub's public page, with the real hub and node processes.

A clerk prints the receipt of a case that has been reviewed and decided; its QR code
links to the hub's ``/progress`` with the case number filled in. A citizen (no login)
opens that link, types the query code, and sees the steps and the promised day; a
wrong code gets the Chinese message. Screenshots: ``/tmp/hallsync-screens/progress-*.png``.
"""
from __future__ import annotations

import pytest
import segno

from tests.processes import node_run
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_browser_window import add_user, log_in
from tests.test_progress import CENTER, ENTERPRISE, STEPS, new_case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_citizen_follows_the_receipts_qr_code_and_reads_the_progress(
        hub, make_node, browser_page, tmp_path):  # noqa: F811
    node = make_node(CENTER)
    node.enroll(hub)
    assert node.sync()["errors"] == []
    add_user(node.data_dir, "wang", "clerk", "王晓窗")
    number, code = new_case(node.data_dir, STEPS)
    assert node.sync()["errors"] == []
    page = browser_page
    with node_run(node.data_dir, tmp_path / "node-run.log") as node_url:
        log_in(page, node_url, "wang")
        page.goto(f"{node_url}/window/cases/{number}/receipt")
        qr = page.locator("#progress-qr")
        link = qr.get_attribute("title")
        # No public_url set: the QR opens the hub the node enrolled with, the number filled in.
        assert link == f"{hub.url}/progress?number={number}"
        # The modules drawn are those of the link's QR code.
        drawn = qr.locator("svg path").get_attribute("d")
        assert f'd="{drawn}"' in segno.make(link, error="m", micro=False).svg_inline(scale=3)
        assert qr.locator("svg").bounding_box()["width"] > 80  # big enough to scan on paper
        shoot(page, tmp_path, "progress-01-receipt.png", full_page=True)

    citizen = page.context.browser.new_page(viewport={"width": 390, "height": 844},
                                            locale="zh-CN")  # a phone
    citizen.goto(link)
    assert citizen.title().startswith("办件进度查询")
    assert citizen.input_value("input[name=number]") == number
    citizen.fill("input[name=code]", "23456789" if code != "23456789" else "98765432")
    citizen.click("#progress-form button[type=submit]")
    assert "办件编号或查询码不正确" in citizen.locator("#progress-error").inner_text()
    assert citizen.locator("#progress-result").count() == 0
    shoot(citizen, tmp_path, "progress-02-wrong-code.png", full_page=True)

    citizen.fill("input[name=code]", code.lower())
    citizen.click("#progress-form button[type=submit]")
    citizen.wait_for_load_state()
    steps = citizen.locator("#progress-steps tbody tr")
    assert steps.count() == 5
    assert "审批决定" in steps.nth(4).inner_text() and "和平区" in steps.nth(4).inner_text()
    assert "已办结" in citizen.locator("#progress-current").inner_text()
    assert citizen.locator("#progress-promised").inner_text()[:2] == "20"
    body = citizen.locator("main").inner_text()
    assert ENTERPRISE["name"] not in body and ENTERPRISE["id_code"] not in body
    shoot(citizen, tmp_path, "progress-03-answer.png", full_page=True)
    citizen.close()
