"""Decision letters (准予 / 不予行政许可决定书) and the 送达回证 at the window."""
from __future__ import annotations

import re

from node import letters
from node.models import DecisionLetter, database
from sync.catalog_history import load_departments
from sync.topology import load_topology
from tests.catalog_changes import matter
from tests.node.test_window import (  # noqa: F401  (app, seed, staff: fixtures)
    CENTER, MATTER, PERSON, act, app, new_case, seed, staff)

LETTER_NUMBER = re.compile(r'<p class="docno" id="letter-number">(.+?)</p>')


def decided(app, outcome: str, **data) -> str:
    """A case through review and approval, decided with ``outcome``."""
    number = new_case(app, applicant=PERSON)
    act(app, number, "start_review", "reviewer")
    act(app, number, "submit_for_approval", "reviewer")
    act(app, number, "decide", "approver",
        {"outcome": outcome, "document_number": "沈电审〔2026〕5号", **data})
    return number


def letter_of(user, number: str) -> tuple[str, str]:
    response = user.get(f"/window/cases/{number}/letter")
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    page = response.get_data(as_text=True)
    return page, LETTER_NUMBER.search(page).group(1)


def test_an_approval_letter_states_the_legal_basis_and_keeps_its_number(app, staff):
    first, second = decided(app, "approved"), decided(app, "approved")
    clerk, listed = staff("clerk"), matter(MATTER)
    page, number = letter_of(clerk, first)
    year = page.split('id="decided-on">')[1][:4]
    assert number == f"{CENTER}行许准字〔{year}〕第1号"
    for text in ("准予行政许可决定书", "和平区政务服务中心", PERSON["name"], listed["name"],
                 listed["legal_basis"], load_departments()[listed["department"]].name,
                 "决定准予行政许可", "沈电审〔2026〕5号", '<span id="id-type">居民身份证</span>'):
        assert text in page, text
    assert PERSON["id_code"] not in page  # the ID document masked, as on the receipt
    assert "行政复议" not in page and "不予许可理由" not in page
    assert letter_of(clerk, second)[1] == f"{CENTER}行许准字〔{year}〕第2号"
    assert letter_of(staff("auditor"), first)[1] == number  # a reprint: the same 文号
    with database.connection_context():
        assert DecisionLetter.select().count() == 2
    case_page = clerk.get(f"/window/cases/{first}").get_data(as_text=True)
    assert "打印准予行政许可决定书" in case_page and "打印送达回证" in case_page


def test_a_refusal_letter_gives_reasons_and_the_right_to_review_or_sue(app, staff):
    approved = decided(app, "approved")
    refused = decided(app, "refused", reason="施工方案不满足电力线路安全距离要求")
    clerk = staff("clerk")
    page, number = letter_of(clerk, refused)
    assert re.fullmatch(rf"{CENTER}行许不准字〔\d{{4}}〕第1号", number)  # numbered apart
    for text in ("不予行政许可决定书", "决定不予行政许可", "施工方案不满足电力线路安全距离要求",
                 matter(MATTER)["legal_basis"], "<b>60 日</b>内向<b id=\"organ\">和平区人民政府</b>"
                 "申请行政复议", "<b>6 个月</b>内依法向人民法院提起行政诉讼"):
        assert text in page, text
    assert letter_of(clerk, approved)[1].endswith("准字〔" + number.split("〔")[1][:5] + "第1号")
    app.config["HALLSYNC"]["reconsideration_organ"] = "沈阳市和平区人民政府"
    assert '<b id="organ">沈阳市和平区人民政府</b>' in letter_of(clerk, refused)[0]
    assert "打印不予行政许可决定书" in clerk.get(f"/window/cases/{refused}").get_data(as_text=True)


def test_the_proof_of_service_shows_the_recorded_delivery_or_blanks_to_fill(app, staff):
    number = decided(app, "approved")
    clerk = staff("clerk")
    _, letter_number = letter_of(clerk, number)
    page = clerk.get(f"/window/cases/{number}/service-proof").get_data(as_text=True)
    for text in ("送达回证", letter_number, "准予行政许可决定书", PERSON["name"],
                 "□ 窗口领取", "□ 邮寄送达", "受送达人签名（盖章）", "送达人签名"):
        assert text in page, text
    act(app, number, "deliver", "clerk", {"method": "mail", "waybill": "SF1234567890"})
    page = clerk.get(f"/window/cases/{number}/service-proof").get_data(as_text=True)
    assert '<td id="delivery-method">邮寄送达（运单号 SF1234567890）</td>' in page
    assert letter_number in page and "□ 窗口领取" not in page


def test_an_undecided_case_has_no_letter(app, staff):
    number = new_case(app)
    response = staff("clerk").get(f"/window/cases/{number}/letter")
    assert response.status_code == 409 and "尚未作出审批决定" in response.get_data(as_text=True)
    with database.connection_context():
        assert DecisionLetter.select().count() == 0


def test_the_review_organ_is_the_district_or_city_government():
    topology = load_topology()
    street = next(c for c in topology.centers if c.level == "street" and c.parent == CENTER)
    sub = next(c for c in topology.centers if c.level == "subcenter")
    assert letters.reconsideration_organ("", topology, street.code) == "和平区人民政府"
    assert letters.reconsideration_organ("", topology, sub.code) == "沈阳市人民政府"
    assert letters.reconsideration_organ("某机关", topology, CENTER) == "某机关"
