"""A key project's case and a cited precedent, in real headless Chromium.

Real processes as in ``tests/test_browser_window.py``; the example key-project
list is loaded with ``hallsync node projects load``. A clerk receives a case for
a key project's step (green channel), it is decided; a second case's approver
searches the precedents from the decide form, cites the first, and the
timeline and the project's page show it. Screenshots: ``decisions-*.png``.
"""
from __future__ import annotations

import re

import pytest

import config
from tests.processes import hallsync, last_json
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_browser_window import (CENTER, act, log_in, log_out, start_intake,  # noqa: F401
                                       window_node)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


def receive(page, key_project: str = "") -> str:
    """The clerk receives and accepts an SY04001 application; returns the case number."""
    start_intake(page)
    page.click("button[value=choose]")
    page.wait_for_load_state()
    for box in page.locator("input[name=materials]").all():
        box.check()
    if key_project:
        page.select_option("#key_project", key_project)
    page.click("button[value=submit]")
    page.wait_for_url("**/window/cases/*")
    return page.locator("#number").inner_text()


def to_approval(page, url: str, number: str) -> None:
    log_in(page, url, "li")
    page.goto(f"{url}/window/cases/{number}")
    act(page, "start_review")
    act(page, "submit_for_approval")
    log_out(page)


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_key_projects_case_is_cited_as_a_precedent(hub, window_node, browser_page,
                                                     make_node, tmp_path):
    page, url = browser_page, window_node
    data_dir = make_node(CENTER).data_dir
    loaded = last_json(hallsync("node", "projects", "load",
                                config.path("key_projects.example.toml"),
                                "--data-dir", data_dir, "--json"))
    assert loaded["projects"] == 2

    log_in(page, url, "wang")
    first = receive(page, key_project="2026/ZD2026-002/5")
    assert "ZD2026-002" in page.locator("#key-project").inner_text()
    assert page.locator(".tag.gc").count() >= 1  # 绿色通道
    shoot(page, tmp_path, "decisions-01-key-project-case.png", full_page=True)
    second = receive(page)
    log_out(page)
    to_approval(page, url, first)
    to_approval(page, url, second)

    log_in(page, url, "zhao")
    page.goto(f"{url}/window/cases/{first}")
    act(page, "decide", outcome="approved", document_number="沈电审〔2026〕21号",
        reason="施工方案满足电力线路安全距离要求")
    page.goto(f"{url}/window/cases/{second}")
    page.fill("#decide-pq", "安全距离")
    page.click("#precedent-search-button")
    page.wait_for_url(re.compile(r"pq="))
    assert page.locator("#precedents li[data-number]").count() == 1
    page.check(f"input[name=precedent_number][value='{first}']")
    page.fill("#decide-precedent_note", "同一线路保护区，施工方案与安全措施相同")
    shoot(page, tmp_path, "decisions-02-precedent-search.png", full_page=True)
    act(page, "decide", outcome="approved", document_number="沈电审〔2026〕22号")
    cited = page.locator("#precedent-cited")
    assert first in cited.inner_text() and "同一线路保护区" in cited.inner_text()
    assert first in page.locator("#timeline li[data-action=decide]").inner_text()
    shoot(page, tmp_path, "decisions-03-precedent-cited.png", full_page=True)

    page.goto(f"{url}/window/projects?year=2026")
    row = page.locator("tr[data-code='ZD2026-002']")
    assert "已办结 1 / 6 步" in row.inner_text()
    shoot(page, tmp_path, "decisions-04-projects.png", full_page=True)
    row.locator("a").click()
    page.wait_for_url("**/window/projects/2026/ZD2026-002")
    step = page.locator("tr[data-step='5']")
    assert step.get_attribute("data-state") == "done" and first in step.inner_text()
    shoot(page, tmp_path, "decisions-05-project.png", full_page=True)
