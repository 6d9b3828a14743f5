"""案例援引: a decider finds decided cases of the same matter and cites one in the decision.

Uses the window's real node (``tests.node.test_window``): cases made through
``node.cases``, pages and API through the app with real logins and CSRF.
"""
from __future__ import annotations

import re

import orjson
import pytest

from node.models import CaseAction, OutboxEvent, database
from tests.node.test_window import (  # noqa: F401  (app, seed, staff: fixtures)
    ENTERPRISE, IMMEDIATE, PERSON, Staff, act, app, counts, everything, new_case, seed, staff)

REVIEW = (("start_review", "reviewer", {}), ("submit_for_approval", "reviewer", {}))


def to_approval(app, number: str) -> str:
    for action, role, data in REVIEW:
        act(app, number, action, role, data)
    return number


def decided(app, document: str, reason: str = "", applicant=ENTERPRISE, deliver=False) -> str:
    number = to_approval(app, new_case(app, applicant=applicant))
    act(app, number, "decide", "approver", {"outcome": "approved", "document_number": document,
                                            **({"reason": reason} if reason else {})})
    if deliver:
        act(app, number, "deliver", "clerk", {"method": "window"})
    return number


@pytest.fixture
def cases(app):
    """Decided, delivered, open and other-matter cases, and one awaiting the approver."""
    return {
        "decided": decided(app, "沈电审〔2026〕7号", "施工方案满足安全距离要求，准予"),
        "delivered": decided(app, "沈电审〔2026〕9号", applicant=PERSON, deliver=True),
        "open": to_approval(app, new_case(app)),
        "other_matter": new_case(app, "complete_immediate", code=IMMEDIATE,
                                 materials=everything(IMMEDIATE), document_number="沈市监变字3号"),
        "target": to_approval(app, new_case(app)),
    }


def found(user: Staff, number: str, q: str = "") -> list[str]:
    response = user.get(f"/api/cases/{number}/precedents", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return [c["number"] for c in response.get_json()["cases"]]


def test_the_search_finds_only_decided_cases_of_the_same_matter(app, staff, cases):
    approver = staff("approver")
    assert found(approver, cases["target"]) == [cases["delivered"], cases["decided"]]
    assert found(approver, cases["target"], "安全距离") == [cases["decided"]]       # a reason
    assert found(approver, cases["target"], "9号") == [cases["delivered"]]          # document
    assert found(approver, cases["target"], PERSON["name"]) == [cases["delivered"]]  # applicant
    assert found(approver, cases["target"], cases["decided"][-5:]) == [cases["decided"]]
    assert found(approver, cases["target"], "reason") == []   # a JSON key is not text of a case
    assert found(approver, cases["open"], "沈电审") == [cases["delivered"], cases["decided"]]
    body = approver.get(f"/api/cases/{cases['target']}/precedents?q=安全距离").get_json()
    assert body["matter_code"] == "SY04001" and body["cases"][0]["reason"].startswith("施工方案")
    assert approver.get("/api/cases/210103-20261127-00001/precedents").status_code == 403
    page = approver.get(f"/window/cases/{cases['target']}?pq=安全距离").get_data(as_text=True)
    assert re.findall(r'name="precedent_number" value="([^"]*)"', page) == ["", cases["decided"]]
    assert "找到 1 件同一事项" in page


@pytest.mark.parametrize("cited, text", [
    ("other_matter", "只能援引同一事项的案例"),
    ("open", "尚未办结（待审批），只能援引已办结的案例"),
    ("target", "不能援引本办件自身"),
    ("210102-20200101-00042", "本中心没有办件 210102-20200101-00042"),
    ("210103-20200101-00042", "不是本中心的办件"),
    ("nonsense", "办件编号格式不正确"),
])
def test_a_bad_citation_is_a_clear_error_and_changes_nothing(app, staff, cases, cited, text):
    number, approver, before = cases["target"], staff("approver"), counts()
    cited = cases.get(cited, cited)
    response = approver.json(f"/api/cases/{number}/actions", {"action": "decide", "data": {
        "outcome": "approved", "document_number": "沈电审〔2026〕11号",
        "precedent": {"number": cited, "note": "同类情形"}}})
    problem = response.get_json()
    assert response.status_code == 422, problem
    assert (problem["code"], problem["field"]) == ("VALIDATION_FAILED", "precedent.number")
    assert text in problem["detail"]
    page = approver.form(f"/window/cases/{number}/act", {
        "action": "decide", "outcome": "approved", "document_number": "沈电审〔2026〕11号",
        "precedent_other": cited, "precedent_note": "同类情形"})
    assert page.status_code == 422
    error = re.search(r'<span class="field-error" role="alert" data-field="precedent">([^<]*)',
                      page.get_data(as_text=True))
    assert error and text in error.group(1)
    assert counts() == before


def test_only_the_number_and_the_note_are_given(app, staff, cases):
    approver, before = staff("approver"), counts()
    response = approver.json(f"/api/cases/{cases['target']}/actions", {"action": "decide", "data": {
        "outcome": "approved", "document_number": "沈电审〔2026〕11号",
        "precedent": {"number": cases["open"], "note": "同类", "state": "completed"}}})
    assert response.status_code == 422 and response.get_json()["field"] == "precedent.state"
    response = approver.json(f"/api/cases/{cases['target']}/actions", {"action": "decide", "data": {
        "outcome": "approved", "document_number": "沈电审〔2026〕11号",
        "precedent": {"number": cases["decided"]}}})
    assert response.status_code == 422 and response.get_json()["field"] == "precedent.note"
    assert counts() == before


def test_the_citation_is_recorded_in_the_event_and_shown(app, staff, cases):
    number, approver = cases["target"], staff("approver")
    page = approver.get(f"/window/cases/{number}?pq=安全距离").get_data(as_text=True)
    assert 'id="act-decide"' in page and 'form="precedent-search"' in page
    done = approver.form(f"/window/cases/{number}/act", {
        "action": "decide", "outcome": "approved", "document_number": "沈电审〔2026〕12号",
        "pq": "安全距离", "precedent_number": cases["decided"],
        "precedent_note": "同一线路保护区，施工方案相同"})
    assert done.status_code == 303, done.get_data(as_text=True)[:2000]
    expected = {"number": cases["decided"], "note": "同一线路保护区，施工方案相同",
                "matter_code": "SY04001", "state": "completed", "outcome": "approved",
                "document_number": "沈电审〔2026〕7号"}
    with database.connection_context():
        logged = CaseAction.get(CaseAction.number == number, CaseAction.action == "decide")
        event = OutboxEvent.select().order_by(OutboxEvent.seq.desc()).get()
    assert orjson.loads(logged.data)["precedent"] == expected
    assert event.type == "case.action"
    assert orjson.loads(event.payload)["data"]["precedent"] == expected
    shown = approver.get(f"/api/cases/{number}").get_json()
    assert shown["precedent"] == expected and shown["history"][-1]["data"]["precedent"] == expected
    page = approver.get(f"/window/cases/{number}").get_data(as_text=True)
    link = f'<a href="/window/cases/{cases["decided"]}" class="code">{cases["decided"]}</a>'
    assert re.search(r'<li class="precedent">援引案例 ' + re.escape(link), page)  # the timeline
    assert re.search(r'id="precedent-cited">援引案例 ' + re.escape(link), page)   # the decision
    assert "同一线路保护区，施工方案相同" in page
