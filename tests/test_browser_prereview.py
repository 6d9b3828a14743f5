"""网上申请 and 网上预审 in real headless Chromium against a running node: the citizen applies
with files, the clerk returns two materials with coded reasons, the citizen sees both at
once and resubmits, the clerk passes and the case is accepted. Screenshots in ``tmp_path``
and ``/tmp/hallsync-screens/prereview-*.png``."""
from __future__ import annotations

import pytest

from node import store
from node.models import Case, OutboxEvent, database
from tests.node.test_online_application import PDF, PNG
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_browser_citizen import last_code
from tests.test_browser_window import CENTER, log_in, window_node  # noqa: F401
from tests.test_cases import MATTER, PERSON, everything

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


def citizen_logs_in(page, url: str, data_dir) -> None:
    page.goto(url + "/citizen/login")
    page.fill("#code-phone", PERSON["phone"])
    page.click("form[action$='/citizen/code'] button")
    page.wait_for_selector("#code")
    page.fill("#code", last_code(data_dir))
    page.fill("#id_code", PERSON["id_code"])
    page.click("form[action$='/citizen/login'] button")
    page.wait_for_url("**/citizen/")


def upload(page, material: str, name: str, content: bytes, mime: str) -> None:
    page.set_input_files(f"input[type=file][data-material='{material}']",
                         files=[{"name": name, "mimeType": mime, "buffer": content}])


def review(page, verdicts: dict[str, tuple]) -> None:
    for material, (verdict, reason, note) in verdicts.items():
        row = page.locator(f"#review tr[data-material='{material}']")
        row.locator(f"input[value={verdict}]").check()
        if reason:
            row.locator("select").select_option(reason)
        if note:
            row.locator("input[type=text]").fill(note)
    page.click("#submit-review")


def fits(page) -> None:
    """Nothing wider than the 1366-pixel screen of a window PC."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_pre_review_returns_two_defects_at_once_then_passes(hub, make_node, window_node,
                                                             browser_page, tmp_path):
    data_dir = make_node(CENTER).data_dir
    names = everything()
    page = browser_page
    citizen_logs_in(page, window_node, data_dir)
    page.click("text=网上申请")
    page.wait_for_url("**/citizen/apply/")
    page.click(f"#matters tr:has-text('{MATTER}') a")
    page.fill("#name", PERSON["name"])
    for n, material in enumerate(names):
        # The names lie on purpose: the type is read from the bytes.
        upload(page, material, f"扫描件{n}.jpg", PDF if n else PNG, "image/jpeg")
    page.check("#consent")
    shoot(page, tmp_path, "prereview-apply.png")
    fits(page)
    page.click("#submit")
    page.wait_for_url("**/citizen/applications/**")
    number = page.url.rsplit("/", 1)[-1]
    assert page.locator("#state").inner_text() == "待预审"
    citizen_url, citizen = page.url, page
    # The clerk at the window: another browser of its own (the citizen stays logged in).
    page = citizen.context.browser.new_page(viewport={"width": 1366, "height": 768},
                                            locale="zh-CN")
    log_in(page, window_node, "wang")
    page.click("nav.sub >> text=网上预审")
    assert number in page.locator("#prereview").inner_text()
    page.click(f"text={number}")
    review(page, {names[0]: ("reject", "R01", "第2页模糊，请重新扫描"),
                  names[1]: ("reject", "R04", "缺少产权单位公章"),
                  names[2]: ("pass", "", ""), names[3]: ("pass", "", "")})
    page.wait_for_url("**/window/prereview/")
    assert "已一次性告知申请人补正 2 项材料" in page.locator("[role=status]").inner_text()
    clerk, page = page, citizen

    page.goto(citizen_url)
    assert "以下 2 项材料需补正" in page.locator("#notice").inner_text()
    shown = page.locator("#materials").inner_text()
    assert "R01 材料不清晰、无法辨认" in shown and "第2页模糊，请重新扫描" in shown
    assert "R04 未按要求签字或盖章" in shown and "缺少产权单位公章" in shown
    shoot(page, tmp_path, "prereview-defects.png", full_page=True)
    fits(page)
    upload(page, names[0], "重扫.pdf", PDF + b"% rescanned\n", "application/pdf")
    upload(page, names[1], "盖章.pdf", PDF + b"% sealed\n", "application/pdf")
    page.click("#resubmit")
    page.wait_for_url(citizen_url)
    assert page.locator("#state").inner_text() == "已补正待预审"

    page = clerk
    page.goto(f"{window_node}/window/prereview/{number}")
    assert "已更换" in page.locator(f"#review tr[data-material='{names[0]}']").inner_text()
    shoot(page, tmp_path, "prereview-review.png", full_page=True)
    fits(page)
    review(page, {n: ("pass", "", "") for n in names})
    page.wait_for_url("**/window/cases/**")
    assert "预审通过，已受理" in page.locator("[role=status]").inner_text()
    case_number = page.url.rsplit("/", 1)[-1]
    assert page.locator("#channel").inner_text() == "网上申请"
    shoot(page, tmp_path, "prereview-accepted.png")
    store.bind(data_dir)
    with database.connection_context():
        case = Case.get(Case.number == case_number)
        assert case.state == "accepted" and '"channel":"online"' in case.received
        kinds = [p for (p,) in OutboxEvent.select(OutboxEvent.payload)
                 .where(OutboxEvent.type == "sms.requested").tuples()]
    assert sum('"prereview_returned"' in p for p in kinds) == 1
    assert sum('"accepted"' in p for p in kinds) == 1
