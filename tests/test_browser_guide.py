"""A matter's guide narrowed by its questions, in real headless Chromium at a real node.

A citizen (no login) opens a matter with variants, answers “由谁到窗口办理？” and
submits: the materials for an agent leave the list. Screenshots:
``/tmp/hallsync-screens/guide-*.png``.
"""
from __future__ import annotations

import pytest

from tests.processes import node_run
from tests.test_browser_catalog import CHROMIUM, browser_page, shoot  # noqa: F401
from tests.test_matter_guide import AGENT, CODE, FAQ, with_variants
from tests.catalog_changes import change, write

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Chromium is not installed: `make install-test` installs it"),
]


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_citizen_narrows_the_materials_by_answering(hub, make_node, browser_page,
                                                      tmp_path):  # noqa: F811
    hub.cli("catalog", "apply", str(write(tmp_path, "v", change("amend",
                                                                 matters=[with_variants()]))))
    node = make_node("210102")
    node.enroll(hub)
    assert node.sync()["errors"] == []
    page = browser_page
    with node_run(node.data_dir, tmp_path / "node-run.log") as url:
        page.goto(f"{url}/catalog/{CODE}")
        rows = page.locator("table.materials tbody tr")
        assert rows.count() == 4 and "视情形提交" in rows.nth(3).inner_text()
        assert FAQ[0]["q"] in page.locator("#faq").inner_text()
        shoot(page, tmp_path, "guide-01-all.png", full_page=True)
        page.check("input[name='q.who'][value=self]")
        page.click("#variant-questions button[type=submit]")
        page.wait_for_url("**q.who=self**")
        assert rows.count() == 3 and AGENT not in page.locator("table.materials").inner_text()
        assert "需提交 3 项材料" in page.locator("#narrowed").inner_text()
        shoot(page, tmp_path, "guide-02-self.png", full_page=True)
