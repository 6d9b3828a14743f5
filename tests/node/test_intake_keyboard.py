"""Intake by keyboard, server side (issue 16.5): the focus waits in the matter list after a
search, the ID number comes first for a card reader, 全选材料 ticks every material without
writing anything, and the checklist says how many originals and copies to take."""
from __future__ import annotations

import re

from tests.catalog_changes import matter
from tests.node.test_window import (INTAKE_CHOOSE, MATTER, app, counts, everything, seed,  # noqa: F401
                                    staff)


def test_after_a_search_the_focus_waits_in_the_list(app, staff):  # noqa: F811
    clerk = staff("clerk")
    fresh = clerk.get("/window/intake").get_data(as_text=True)
    assert re.search(r'<input type="search" name="q"[^>]*autofocus', fresh)
    found = clerk.get("/window/intake?q=电力设施").get_data(as_text=True)
    assert re.search(r'<select id="matter_code"[^>]*autofocus', found)
    assert not re.search(r'<input type="search" name="q"[^>]*autofocus', found)
    # the ID number (a reader types it and Enter) before the name and the phone
    assert found.index('id="applicant_id_code"') < found.index('id="applicant_name"')


def test_select_all_ticks_every_material_and_writes_nothing(app, staff):  # noqa: F811
    clerk, before = staff("clerk"), counts()
    page = clerk.form("/window/intake", {**INTAKE_CHOOSE, "step": "select_all"}).get_data(
        as_text=True)
    ticked = re.findall(r'<input type="checkbox" id="mat-\d+" name="materials" value="([^"]+)" '
                        r'checked>', page)
    assert ticked == everything() and counts() == before
    rows = re.findall(r'<td class="num">(\d+) 份</td><td class="num">(\d+) 份</td>', page)
    assert rows == [(str(m["originals"]), str(m["copies"])) for m in matter(MATTER)["materials"]]
    # Enter presses 确认提交: the first submit button of the form
    form = page.split('id="decide"', 1)[1]
    assert re.search(r'<button[^>]*type="submit"[^>]*>([^<]*)<', form).group(1) == "确认提交"
