"""网上申请 at the hub's online hall in real headless Chromium: the citizen chooses the center,
applies with files, and follows the center's pre-review there — returned with a coded
defect, resubmitted, passed and accepted. Screenshots in ``tmp_path`` and
``/tmp/hallsync-screens/hall-*.png``."""
from __future__ import annotations

import pytest

from node import prereview, store
from node.case_log import Actor
from node.models import database
from sync.topology import load_topology
from tests.node.test_online_application import PDF
from tests.test_browser_appointments import hub_code
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_browser_prereview import fits, upload
from tests.test_cases import DISTRICT, MATTER, PERSON, everything

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


def reviewed(node, number: str, verdicts: dict) -> None:
    store.bind(node.data_dir)
    keys = store.load_keys(node.data_dir)
    with database.connection_context():
        prereview.review(keys, DISTRICT, Actor("wang", "clerk"), number, {
            name: {"verdict": v, "reason": r, "note": n} for name, (v, r, n) in verdicts.items()})


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_the_online_hall_forwards_an_application_and_shows_its_pre_review(hub, make_node,
                                                                         browser_page, tmp_path):
    node = make_node(DISTRICT)
    node.enroll(hub)
    names = everything()
    page = browser_page
    page.goto(hub.url + "/citizen/login")
    page.fill("#code-phone", PERSON["phone"])
    page.click("form[action$='/citizen/code'] button")
    page.wait_for_selector("#code")
    page.fill("#code", hub_code(hub))
    page.fill("#id_code", PERSON["id_code"])
    page.click("form[action$='/citizen/login'] button")
    page.wait_for_url("**/citizen/")
    page.click("text=网上申请")
    page.wait_for_url("**/citizen/apply/")
    page.click(f"#matters tr:has-text('{MATTER}') a")
    page.select_option("#center", DISTRICT)
    page.fill("#name", PERSON["name"])
    for n, material in enumerate(names):
        upload(page, material, f"扫描件{n}.pdf", PDF + bytes([n]), "application/pdf")
    page.check("#consent")
    shoot(page, tmp_path, "hall-apply.png", full_page=True)
    fits(page)
    page.click("#submit")
    page.wait_for_url("**/citizen/applications/**")
    number = page.url.rsplit("/", 1)[-1]
    assert page.locator("#state").inner_text() == "待预审"
    assert load_topology().name_of(DISTRICT) in page.content()

    assert node.sync()["uploads"] == len(names)  # the center fetches every file
    reviewed(node, number, {n: ("pass", "", "") for n in names}
             | {names[0]: ("reject", "R02", "缺第3页")})
    assert node.sync()["errors"] == []
    page.reload()
    assert page.locator("#state").inner_text() == "退回补正"
    assert "R02 材料不完整或缺页" in page.locator("#materials").inner_text()
    shoot(page, tmp_path, "hall-returned.png", full_page=True)
    fits(page)
    upload(page, names[0], "补齐.pdf", PDF + b"% complete\n", "application/pdf")
    page.click("#resubmit")
    page.wait_for_url(f"**/citizen/applications/{number}")
    assert page.locator("#state").inner_text() == "已补正待预审"

    assert node.sync()["uploads"] == 1
    reviewed(node, number, {n: ("pass", "", "") for n in names})
    assert node.sync()["errors"] == []
    page.reload()
    assert page.locator("#state").inner_text() == "预审通过，已受理"
    assert page.locator("#case-number").inner_text().startswith(f"{DISTRICT}-")
    shoot(page, tmp_path, "hall-passed.png", full_page=True)
