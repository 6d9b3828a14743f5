"""Personal data on the window's pages: an ID number's middle digits are hidden where the
whole number is not needed (the case page, the printed receipt); timelines name the staff,
never their login IDs (issue 16)."""
from __future__ import annotations

import pytest

from tests.node.test_window import PERSON, act, app, new_case, seed, staff  # noqa: F401
from web.frame import masked_id

FULL = PERSON["id_code"]  # 210102198503150013


@pytest.mark.parametrize("code, kind, shown", [
    ("210102198503150013", "person", "210102********0013"),
    ("21010219850315001X", "person", "210102********001X"),
    ("210102850315001", "person", "210102*****5001"),       # the old 15-digit card
    ("E12345678", "person", "E1*****78"),                    # a passport
    ("91210100MA0Q123430", "enterprise", "91210100MA0Q123430"),  # public: shown whole
    ("", "person", ""),
])
def test_an_id_number_keeps_only_its_ends(code, kind, shown):
    assert masked_id(code, kind) == shown


def test_the_case_page_and_the_receipt_hide_the_middle_digits(app, staff):  # noqa: F811
    number = new_case(app, applicant=PERSON)
    clerk = staff("clerk")
    for path in (f"/window/cases/{number}", f"/window/cases/{number}/receipt"):
        html = clerk.get(path).get_data(as_text=True)
        assert FULL not in html, path
        assert 'id="id-code">210102********0013</span>' in html, path


def test_the_timeline_names_the_staff_not_their_logins(app, staff):  # noqa: F811
    number = new_case(app, applicant=PERSON)
    act(app, number, "start_review", "reviewer")
    html = staff("clerk").get(f"/window/cases/{number}").get_data(as_text=True)
    timeline = html.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    assert "<span>窗口受理人员甲</span>" in timeline and "<span>审核人员甲</span>" in timeline
    assert "<span>clerk</span>" not in timeline and "<span>reviewer</span>" not in timeline
