"""The catalog pages in real headless Chromium, served by a real hub and a real node process.

A clerk opens the node's catalog, types a Chinese query, opens a matter. The
screenshots land in the test's ``tmp_path`` and in ``/tmp/hallsync-screens/``
for a person to look at; the test itself checks what a person would: the
results match the API, the matter's materials are there, and the CJK font is
really loaded (without ``fonts-noto-cjk`` Chinese renders as empty boxes).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

from tests.processes import node_run
from tests.staff import browser_login, hub_account

CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path("/tmp/hallsync-screens")
# Flags for a container or a small PC: no sandbox (we run as root in CI), no GPU,
# and nothing that would phone home while the test runs.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


@pytest.fixture
def node_server(hub, make_node, tmp_path):
    """An enrolled node that has pulled the catalog, served by `hallsync node run`."""
    node = make_node("210102001")
    node.enroll(hub)
    assert node.sync()["errors"] == []
    with node_run(node.data_dir, tmp_path / "node-run.log") as url:
        yield url


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # 1366×768 is the screen of the centers' window PCs.
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        # A style, script or frame the Content-Security-Policy blocks shows only here.
        refused = []
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)
        yield page
        browser.close()
        assert not refused, refused


def shoot(page, tmp_path: Path, name: str, full_page: bool = False) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=full_page)
    SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SCREENS / name)
    return path


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_clerk_searches_the_catalog_and_opens_a_matter(hub, node_server, browser_page,
                                                         tmp_path):
    page = browser_page
    page.goto(node_server + "/catalog/")
    assert page.title().startswith("政务服务事项目录")
    assert page.locator("#count").inner_text() == "106"
    # The CJK font is loaded, not a fallback of empty boxes.
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '政务')")
    shoot(page, tmp_path, "01-node-catalog.png")

    page.fill("input[name=q]", "公积金")
    page.keyboard.press("Enter")
    page.wait_for_url("**/catalog/?q=*")
    expected = requests.get(node_server + "/api/catalog", params={"q": "公积金"},
                            timeout=10).json()["matters"]
    rows = page.locator("table.matters tbody tr")
    assert expected and rows.count() == len(expected)
    assert page.locator("#count").inner_text() == str(len(expected))
    shoot(page, tmp_path, "02-node-search.png")

    rows.first.locator("a").click()
    page.wait_for_url(f"**/catalog/{expected[0]['code']}")
    assert page.locator("h1").inner_text() == expected[0]["name"]
    assert page.locator("table.materials tbody tr").count() >= 1
    shoot(page, tmp_path, "03-node-matter.png", full_page=True)

    # The hub's views of the same catalog: the reform for anyone, the rest for staff.
    page.goto(hub.url + "/catalog/reform")
    assert "1,229 → 106，精简 91%" in page.locator("#headline").inner_text()
    shoot(page, tmp_path, "05-hub-reform.png")
    hub_account(hub, "wangmin", "operator", name="王敏")
    browser_login(page, hub.url, "wangmin", "/catalog/consistency")
    assert page.locator("header .who").inner_text().startswith("王敏")
    shoot(page, tmp_path, "04-hub-consistency.png")


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_an_operator_cancels_a_matter_on_the_hubs_pages(hub, browser_page, tmp_path):
    page = browser_page
    hub_account(hub, "wangmin", "operator", name="王敏")
    browser_login(page, hub.url, "wangmin", "/catalog/SY01006")
    page.click("text=取消此事项")
    page.wait_for_url("**/catalog/changes/new?op=cancel&code=SY01006")
    page.fill("#reason", "国务院决定取消该事项")
    shoot(page, tmp_path, "06-hub-change-form.png", full_page=True)
    page.click("text=预览变更")
    assert "预览：第 2 版（取消）" in page.locator("h1").inner_text()
    assert "106 → 105" in page.locator("p.summary").inner_text()
    shoot(page, tmp_path, "07-hub-change-preview.png", full_page=True)
    page.click("text=确认发布第 2 版")
    page.wait_for_url("**/catalog/history")
    assert "已发布第 2 版（取消）" in page.locator("p.banner").inner_text()
    shoot(page, tmp_path, "08-hub-history.png")

