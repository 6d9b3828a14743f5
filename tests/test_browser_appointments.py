"""网上预约 in real headless Chromium against a running node: the citizen picks a matter and
a slot, confirms with a name and sees the booking; the clerk finds it on that day's list.
Screenshots in ``tmp_path`` and ``/tmp/hallsync-screens/appointment-*.png``."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest

from sync.topology import load_topology
from tests.processes import hallsync, last_json
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_browser_prereview import citizen_logs_in, fits
from tests.test_browser_window import CENTER, log_in, window_node  # noqa: F401
from tests.test_cases import PERSON

STREET = "210102001"  # a street of 和平区
PLAN = Path(__file__).parents[1] / "config" / "appointments.example.toml"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_citizen_books_a_slot_and_the_clerk_sees_it_on_the_day(hub, make_node, window_node,
                                                                 browser_page, tmp_path):
    data_dir = make_node(CENTER).data_dir
    hallsync("node", "appointments", "plan", PLAN, "--data-dir", data_dir)
    page = browser_page
    citizen_logs_in(page, window_node, data_dir)
    page.click("text=网上预约")
    page.wait_for_url("**/citizen/appointments/")
    page.locator("#matters a").first.click()
    page.wait_for_selector("#slots")
    shoot(page, tmp_path, "appointment-slots.png")
    fits(page)
    first = page.locator("#slots button[data-slot]:not([disabled])").first
    slot, before = first.get_attribute("data-slot"), int(first.get_attribute("data-free"))
    first.click()
    page.wait_for_url("**/confirm")
    page.fill("#name", "张伟")
    shoot(page, tmp_path, "appointment-confirm.png")
    page.click("#confirm")
    page.wait_for_selector("#appointment")
    assert page.locator("#state").inner_text() == "已预约"
    day, start, _window = slot.split(" ")
    assert page.locator("#when").inner_text() == f"{day} {start}"
    shoot(page, tmp_path, "appointment-booked.png")
    number = page.locator("h1 .code").inner_text()
    page.click("text=网上预约")  # the slot now has one place fewer
    page.locator("#matters a").first.click()
    assert page.locator(f"#slots button[data-slot='{slot}']").get_attribute(
        "data-free") == str(before - 1)

    clerk = page.context.browser.new_page(viewport={"width": 1366, "height": 768},
                                          locale="zh-CN")
    log_in(clerk, window_node, "wang")
    clerk.click("text=当日预约")
    clerk.fill("#date", day)
    clerk.click("form[action$='/window/appointments'] button")
    clerk.wait_for_selector(f"#appointments tr[data-id='{number}']")
    assert "张伟" in clerk.locator(f"#appointments tr[data-id='{number}']").inner_text()
    shoot(clerk, tmp_path, "appointment-day.png")
    fits(clerk)
    clerk.close()


def hub_code(hub) -> str:
    """The SMS code the hub queued last (its SQLite file)."""
    db = sqlite3.connect(hub.data_dir / "hub.db")
    (params,) = db.execute("SELECT params FROM sms_message WHERE kind = 'verification_code' "
                           "ORDER BY id DESC LIMIT 1").fetchone()
    db.close()
    return orjson.loads(params)["code"]


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_the_online_hall_books_a_streets_online_place(hub, make_node, browser_page, tmp_path):
    node = make_node(STREET)
    node.enroll(hub)
    hallsync("node", "appointments", "plan", PLAN, "--data-dir", node.data_dir)
    assert node.sync()["errors"] == []  # the plan reaches the hub
    page = browser_page
    page.goto(hub.url + "/citizen/login")
    page.fill("#code-phone", PERSON["phone"])
    page.click("form[action$='/citizen/code'] button")
    page.wait_for_selector("#code")
    page.fill("#code", hub_code(hub))
    page.fill("#id_code", PERSON["id_code"])
    page.click("form[action$='/citizen/login'] button")
    page.wait_for_url("**/citizen/")
    page.click("text=网上预约")
    page.select_option("#center", STREET)
    page.click("#choose-center button")
    page.wait_for_selector("#matters a")
    shoot(page, tmp_path, "appointment-hall.png")
    fits(page)
    page.locator("#matters a").first.click()
    assert page.locator("#center").inner_text() == load_topology().name_of(STREET)
    first = page.locator("#slots button[data-slot]:not([disabled])").first
    assert first.get_attribute("data-free") == "2"  # the online half of the plan's 4
    first.click()
    page.wait_for_url("**/confirm")
    page.fill("#name", PERSON["name"])
    page.click("#confirm")
    page.wait_for_selector("#appointment")
    assert page.locator("#state").inner_text() == "已预约"
    shoot(page, tmp_path, "appointment-hall-booked.png")
    number = page.locator("h1 .code").inner_text()
    assert node.sync()["errors"] == []  # forwarded to the street
    listed = hallsync("node", "appointments", "list", "--date", page.locator("#when").inner_text()
                      .split(" ")[0], "--data-dir", node.data_dir, "--json")
    assert [a["number"] for a in last_json(listed)["appointments"]] == [number]
