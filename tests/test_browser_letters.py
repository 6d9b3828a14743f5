"""Decision letters and the 送达回证 in real headless Chromium.

Real processes as in ``tests/test_browser_window.py``. Two cases are received,
reviewed and decided, one approved and one refused; from each case page the
clerk opens the 决定书 and the 送达回证, checks the key texts and that, printed
on A4, nothing overflows the page. Screenshots: ``letters-*.png``.
"""
from __future__ import annotations

import re

import pytest

from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_browser_decisions import receive, to_approval
from tests.test_browser_window import act, log_in, log_out, window_node  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]
A4_WIDTH = 794  # CSS pixels of an A4 sheet's width at 96 dpi


def fits_a4(page, tmp_path, name: str) -> bool:
    """Printed on A4 (print styles, a sheet's width), no part of the document sticks out;
    the printed view is saved as ``name``."""
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_WIDTH, "height": 1123})
    wide = page.evaluate("""() => [document.documentElement, ...document.querySelectorAll(
        'article.receipt, article.receipt *')].some(e => e.scrollWidth > e.clientWidth + 1
        && getComputedStyle(e).overflowX !== 'visible' || e.getBoundingClientRect().right
        > document.documentElement.clientWidth + 1)""")
    shoot(page, tmp_path, name, full_page=True)
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})
    return not wide


def open_documents(page, url: str, number: str, tmp_path, name: str) -> tuple[str, str]:
    """The case's letter and proof of service as shown; returns their texts."""
    page.goto(f"{url}/window/cases/{number}")
    page.click("#letter-link")
    page.wait_for_url(f"**/window/cases/{number}/letter")
    letter = page.locator("#letter").inner_text()
    assert fits_a4(page, tmp_path, f"letters-{name}-letter-printed.png")
    shoot(page, tmp_path, f"letters-{name}-letter.png", full_page=True)
    page.click("#service-proof-link")
    page.wait_for_url(f"**/window/cases/{number}/service-proof")
    proof = page.locator("#service-proof").inner_text()
    assert fits_a4(page, tmp_path, f"letters-{name}-service-proof-printed.png")
    shoot(page, tmp_path, f"letters-{name}-service-proof.png", full_page=True)
    return letter, proof


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_approval_and_refusal_letters_and_their_proof_of_service(hub, window_node, browser_page,
                                                                 tmp_path):
    page, url = browser_page, window_node
    log_in(page, url, "wang")
    approved, refused = receive(page), receive(page)
    log_out(page)
    to_approval(page, url, approved)
    to_approval(page, url, refused)
    log_in(page, url, "zhao")
    page.goto(f"{url}/window/cases/{approved}")
    act(page, "decide", outcome="approved", document_number="沈电审〔2026〕31号")
    page.goto(f"{url}/window/cases/{refused}")
    act(page, "decide", outcome="refused", document_number="沈电审不〔2026〕3号",
        reason="施工方案未满足电力线路安全距离要求")
    log_out(page)

    log_in(page, url, "wang")
    page.goto(f"{url}/window/cases/{approved}")
    act(page, "deliver", method="mail", waybill="SF1234567890")
    letter, proof = open_documents(page, url, approved, tmp_path, "approved")
    number = re.search(r"210102行许准字〔\d{4}〕第1号", letter).group(0)
    for text in ("准予行政许可决定书", "决定准予行政许可", "沈阳某建设有限公司",
                 "电力设施保护区内施工作业审批", "法律依据", "《中华人民共和国电力法》"):
        assert text in letter, text
    assert "行政复议" not in letter
    for text in (number, "邮寄送达（运单号 SF1234567890）", "受送达人签名（盖章）"):
        assert text in proof, text

    letter, proof = open_documents(page, url, refused, tmp_path, "refused")
    number = re.search(r"210102行许不准字〔\d{4}〕第1号", letter).group(0)
    for text in ("不予行政许可决定书", "决定不予行政许可", "施工方案未满足电力线路安全距离要求",
                 "60 日内向和平区人民政府申请行政复议", "6 个月内依法向人民法院提起行政诉讼"):
        assert text in letter, text
    for text in (number, "□ 窗口领取", "□ 邮寄送达", "送达人签名"):
        assert text in proof, text
    page.goto(f"{url}/window/cases/{refused}/letter")  # a reprint keeps its number
    assert page.locator("#letter-number").inner_text() == number
