"""电子证照库 at a center's window (``/licences/``) in real headless Chromium.

Real processes as in ``tests/test_browser_window.py``: the district center issued a
营业执照 (an approved 企业设立登记), and the market department's business system pushed
another licence of the same enterprise to the hub, which the district pulled. A clerk
sees the center's own licences, looks up the enterprise and finds both, and is told
what is wrong with an empty lookup; the center admin revokes the center's licence with
a reason. Screenshots: ``/tmp/hallsync-screens/licences-*.png``.
"""
from __future__ import annotations

import pytest

from tests.processes import node_run
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_browser_window import STAFF, add_user, log_in, log_out
from tests.test_department_api import licence, push, system_of
from tests.test_handoffs import DISTRICT, enrolled
from tests.test_licences import ENTERPRISE, register

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]
PUSHED = "沈市监食2026000042"  # the department's own number


@pytest.fixture
def licence_node(hub, make_node, tmp_path, monkeypatch):
    """The district's node holding its own licence and the department's, with a clerk and a
    center admin, running; yields its URL and the center's licence number."""
    district = enrolled(hub, make_node, DISTRICT)
    own = register(district, consent=True)
    assert push(hub, system_of(hub, "market", tmp_path),
                licence(PUSHED, name="食品经营许可证", valid_to="2031-01-04")).status_code == 200
    district.sync()
    monkeypatch.setitem(STAFF, "sun", ("center_admin", "孙管理"))
    for username in ("wang", "sun"):
        add_user(district.dir.data_dir, username, *STAFF[username])
    with node_run(district.dir.data_dir, tmp_path / "node-run.log") as url:
        yield url, own


def rows(page, table: str) -> list[str]:
    return page.locator(f"#{table} tbody tr").all_inner_texts()


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_clerk_looks_up_a_holder_and_the_admin_revokes(licence_node, browser_page, tmp_path):
    (url, own), page = licence_node, browser_page
    log_in(page, url, "wang")
    page.goto(url + "/licences/")
    assert page.title().startswith("电子证照库")
    (issued,) = rows(page, "licences")
    for text in (own, "营业执照", "统一社会信用代码 91210100MA0Q123430", "有效"):
        assert text in issued, text
    assert page.locator("#licences form").count() == 0  # a clerk does not revoke
    shoot(page, tmp_path, "licences-1-issued-here.png", full_page=True)

    page.fill("input[name=holder]", ENTERPRISE["id_code"].lower())
    page.click("button:has-text('查询持证人的证照')")
    page.wait_for_url("**/licences/?holder=*")
    assert page.locator("#held-count").inner_text() == "2"
    held = rows(page, "held")
    assert [PUSHED in held[0], own in held[1]] == [True, True]  # the newest first
    pushed = next(row for row in held if PUSHED in row)
    for text in ("食品经营许可证", "市市场监督管理局", "部门业务系统报送", "A级", "2031-01-04", "有效"):
        assert text in pushed, text
    assert "本中心签发" in next(row for row in held if own in row)
    shoot(page, tmp_path, "licences-2-holder.png", full_page=True)

    page.fill("input[name=holder]", " ")
    page.click("button:has-text('查询持证人的证照')")
    assert "请填写持证人的证件号码" in page.locator("#refused").inner_text()
    log_out(page)

    log_in(page, url, "sun")
    page.goto(url + "/licences/")
    shoot(page, tmp_path, "licences-3-admin.png", full_page=True)
    form = page.locator(f"#licences tr[data-number='{own}'] form")
    form.locator("input[name=reason]").fill("营业执照被依法吊销")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "已撤销" in page.locator(".banner.ok").inner_text()
    (issued,) = rows(page, "licences")
    assert "已撤销" in issued and "营业执照被依法吊销" in issued
    shoot(page, tmp_path, "licences-4-revoked.png", full_page=True)
