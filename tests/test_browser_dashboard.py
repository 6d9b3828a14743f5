"""The hub's dashboard in real headless Chromium over generated cases.

A hub operator opens the dashboard of the city, drills into a district and a
street; a district admin sees only its district. The figures on the page are
the API's; the charts are there as SVG. Screenshots land in
``/tmp/hallsync-screens/`` for a person to look at.
"""
from __future__ import annotations

import datetime
import re

import pytest

from hallsync.bench.stats import load, loaded
from hub import db as hub_db
from tests.staff import browser_login, hub_account
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401 (fixture)
from sync.case_clock import china_today

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]
LAST_DAY = china_today() - datetime.timedelta(days=1)


def tile(page, label: str) -> str:
    return page.locator(f".tile:has(.label:text-is('{label}')) .value").inner_text()


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_the_dashboard_drills_down_and_keeps_a_district_admin_in_its_district(
        hub, browser_page, tmp_path):
    database = hub_db.bind(hub.db_url)
    with database.connection_context():
        loaded(database)  # makes the load's marker table
        load(database, 20_000, LAST_DAY)
    database.close()
    hub_account(hub, "wangmin", "operator", name="王敏")
    hub_account(hub, "heping", "district_admin", scope="210102", name="和平区管理员")
    page = browser_page
    browser_login(page, hub.url, "wangmin", "/dashboard")
    page.goto(hub.url + f"/dashboard?period=year&date={LAST_DAY.year}")
    api = page.request.get(hub.url + f"/api/stats?period=year&date={LAST_DAY.year}").json()
    assert tile(page, "收件") == f"{api['figures']['received']:,}"
    assert api["figures"]["received"] > 0
    assert page.locator("svg.chart").count() == 2  # children and the distribution
    shoot(page, tmp_path, "dashboard-01-city-year.png", full_page=True)

    page.click("#children a:text('和平区政务服务中心')")
    page.wait_for_url("**center=210102**")
    assert page.locator("h1").inner_text().startswith("和平区政务服务中心")
    district = page.request.get(
        hub.url + f"/api/stats?center=210102&period=year&date={LAST_DAY.year}").json()
    assert tile(page, "办结") == f"{district['figures']['completed']:,}"
    shoot(page, tmp_path, "dashboard-02-district.png", full_page=True)
    page.click("#cards-link")  # 电子监察: the district's cards of open cases
    page.wait_for_url("**/cards?center=210102")
    cards = page.request.get(hub.url + "/api/cards?center=210102").json()
    assert page.locator("table.cards tbody tr").count() == sum(
        len(c["cards"]) for c in cards["centers"])
    shoot(page, tmp_path, "dashboard-05-cards.png")

    page.click("header .who button")  # log out
    browser_login(page, hub.url, "heping", "/dashboard")
    assert page.locator("h1").inner_text().startswith("和平区政务服务中心")
    # its streets (the own and total rows beneath are the district's: issue 16)
    names = page.locator("#children tbody tr:not(.own):not(.total) td:first-child"
                         ).all_inner_texts()
    assert names and all(re.search("和平区|街道", name) for name in names)
    refused = page.goto(hub.url + "/dashboard?center=210103")
    assert refused.status == 403
    shoot(page, tmp_path, "dashboard-03-refused.png")


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_the_period_is_picked_not_typed(hub, browser_page, tmp_path):
    """A day and a month have the browser's pickers, 自定义 two days; the server still says
    in Chinese what a typed period gets wrong."""
    hub_account(hub, "wangmin", "operator", name="王敏")
    page = browser_page
    browser_login(page, hub.url, "wangmin", "/dashboard")
    date = page.locator("#date-field input")
    assert date.get_attribute("type") == "month"  # the default period: this month
    page.select_option("select[data-period]", "day")
    assert date.get_attribute("type") == "date"
    date.fill(LAST_DAY.isoformat())
    page.click("form:has(select[data-period]) button[type=submit]")
    page.wait_for_url("**period=day**")
    assert f"（{LAST_DAY.isoformat()} 至 {LAST_DAY.isoformat()}）" in page.inner_text("#compared")
    assert page.locator("#date-field input").input_value() == LAST_DAY.isoformat()

    page.select_option("select[data-period]", "range")
    assert page.locator("#date-field").is_hidden() and page.locator("#range-fields").is_visible()
    first = LAST_DAY.replace(day=1)
    page.fill("#range-fields input[name=start]", first.isoformat())
    page.fill("#range-fields input[name=end]", LAST_DAY.isoformat())
    page.click("form:has(select[data-period]) button[type=submit]")
    page.wait_for_url("**start=**")
    assert "date=" not in page.url  # the hidden field is not sent
    assert f"（{first.isoformat()} 至 {LAST_DAY.isoformat()}）" in page.inner_text("#compared")
    assert page.locator("select[data-period]").input_value() == "range"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    shoot(page, tmp_path, "dashboard-04-range.png")

    page.select_option("select[data-period]", "range")
    page.fill("#range-fields input[name=start]", "")
    page.fill("#range-fields input[name=end]", "")
    page.click("form:has(select[data-period]) button[type=submit]")
    assert "自定义周期请填写起止日期" in page.inner_text("main")


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_case_is_found_across_the_city_and_opened(hub, browser_page, tmp_path):
    database = hub_db.bind(hub.db_url)
    with database.connection_context():
        loaded(database)
        load(database, 3_000, LAST_DAY)
    database.close()
    hub_account(hub, "wangmin", "operator", name="王敏")
    page = browser_page
    browser_login(page, hub.url, "wangmin", "/cases")
    assert page.locator("#count").inner_text() == "3,000"
    assert page.locator("nav.pager").inner_text().count("…") == 1  # 60 pages, not 60 links
    page.select_option("select[name=center]", "210102")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**center=210102**")
    numbers = page.locator("#cases td.code a").all_inner_texts()
    assert numbers and all(n.startswith("210102-") for n in numbers)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    shoot(page, tmp_path, "cases-01-search.png", full_page=True)
    page.click(f"#cases a:text('{numbers[0]}')")
    page.wait_for_url(f"**/cases/{numbers[0]}")
    assert page.locator("#number").inner_text() == numbers[0]
