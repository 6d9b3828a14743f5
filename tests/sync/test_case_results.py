"""A case's result and after: precedents cited (案例援引), 好差评 and registered capital."""
import pytest

from sync.case_labels import (BAD_REVIEWS, COMPLETED, DELIVERED, EVALUATION_CODES, IN_APPROVAL,
                              IN_REVIEW, RECEIVED, SATISFIED, WITHDRAWN)
from sync.case_machine import apply, available_actions, new_case
from sync.case_results import check_new_action
from sync.case_state import Precedent
from sync.errors import ConflictError, ValidationError
from tests.sync.case_walks import ACCEPT, APPROVE, REVIEW, SUBMIT, at, case_in, walk


# -- 案例援引 --------------------------------------------------------------------------

OWN = "210102-20250922-00002"
CITED = {"number": "210102-20250901-00001", "note": "同一施工单位、同类施工方案，已准予",
         "matter_code": "SY04001", "state": DELIVERED, "outcome": "approved",
         "document_number": "沈电审〔2025〕3号"}


def awaiting_decision():
    case = new_case("promised", role="clerk", at=at(22, 9), number=OWN, matter_code="SY04001")
    return walk(case, ACCEPT, REVIEW, SUBMIT)


def test_a_decision_cites_a_decided_case_of_the_same_matter():
    done = walk(awaiting_decision(), ("decide", "approver", {**APPROVE[2], "precedent": CITED}))
    assert done.state == COMPLETED
    assert done.decision.precedent == Precedent(**CITED)
    assert walk(awaiting_decision(), APPROVE).decision.precedent is None


@pytest.mark.parametrize("change, field, message", [
    ({"number": OWN}, "precedent.number", "不能援引本办件自身"),
    ({"state": IN_REVIEW}, "precedent.number", "尚未办结（审查中）"),
    ({"state": COMPLETED, "matter_code": "SY11006"}, "precedent.number", "只能援引同一事项"),
    ({"number": "210102-2025-1"}, "precedent.number", "办件编号格式不正确"),
    ({"note": " "}, "precedent.note", "非空"),
    ({"why": "x"}, "precedent.why", "未知字段"),
])
def test_a_citation_that_does_not_fit_is_refused(change, field, message):
    case = awaiting_decision()
    with pytest.raises(ValidationError) as info:
        apply(case, "decide", role="approver", at=at(24),
              data={**APPROVE[2], "precedent": {**CITED, **change}})
    assert info.value.field == field and message in info.value.detail


def test_a_case_that_does_not_know_its_matter_cites_nothing():
    with pytest.raises(ValidationError, match="只能援引同一事项"):
        walk(case_in(IN_APPROVAL), ("decide", "approver", {**APPROVE[2], "precedent": CITED}))


# -- 好差评 and registered capital ------------------------------------------------

def test_an_evaluation_is_recorded_once_and_leaves_the_state():
    done = case_in(COMPLETED)
    rated = apply(done, "evaluate", role="clerk", at=at(25), data={"level": "satisfied"})
    assert rated.state == COMPLETED and rated.evaluation.level == "satisfied"
    assert rated.history[-1].reason == "评价：满意" and "evaluate" not in available_actions(
        rated, "clerk")
    delivered = apply(rated, "deliver", role="clerk", at=at(25, 11), data={"method": "window"})
    assert delivered.evaluation == rated.evaluation  # delivery keeps it
    with pytest.raises(ConflictError, match="已评价"):
        apply(delivered, "evaluate", role="clerk", at=at(25, 12), data={"level": "satisfied"})
    later = walk(case_in(DELIVERED), ("evaluate", "clerk", {"level": "very_satisfied"}))
    assert later.state == DELIVERED and later.evaluation.level == "very_satisfied"


@pytest.mark.parametrize("state", [RECEIVED, IN_REVIEW, IN_APPROVAL, WITHDRAWN])
def test_only_a_completed_or_delivered_case_is_evaluated(state):
    with pytest.raises(ConflictError):
        apply(case_in(state), "evaluate", role="clerk", at=at(25), data={"level": "satisfied"})


@pytest.mark.parametrize("data, field, message", [
    ({}, "level", "必填"),
    ({"level": "good"}, "level", "未知的取值"),
    ({"level": "dissatisfied"}, "comment", "差评"),
    ({"level": "very_dissatisfied", "comment": "  "}, "comment", "非空"),
    ({"level": "satisfied", "stars": 4}, "stars", "不需要此字段"),
])
def test_a_bad_evaluation_is_refused_naming_the_field(data, field, message):
    with pytest.raises(ValidationError) as info:
        apply(case_in(COMPLETED), "evaluate", role="clerk", at=at(25), data=data)
    assert info.value.field == field and message in info.value.detail


def test_evaluation_levels_map_to_the_national_codes():
    assert EVALUATION_CODES == {"very_satisfied": 1, "satisfied": 2, "basically_satisfied": 3,
                                "dissatisfied": 4, "very_dissatisfied": 5}
    assert SATISFIED | BAD_REVIEWS == set(EVALUATION_CODES) and not SATISFIED & BAD_REVIEWS


def registering(matter_code="SY24001"):
    case = new_case("promised", role="clerk", at=at(22, 9), number=OWN, matter_code=matter_code)
    return walk(case, ACCEPT, REVIEW, SUBMIT)


def test_an_enterprise_registration_carries_its_registered_capital():
    done = walk(registering(), ("decide", "approver", {**APPROVE[2], "registered_capital": 500}))
    assert done.decision.registered_capital == 500


def test_a_new_approval_of_a_registration_needs_its_capital_a_replayed_one_not():
    # Decisions recorded before the capital was carried replay at the hub unchanged.
    case = registering()
    with pytest.raises(ValidationError) as info:
        check_new_action(case, "decide", APPROVE[2])
    assert info.value.field == "registered_capital" and "必须填写注册资本" in info.value.detail
    check_new_action(case, "decide", {**APPROVE[2], "registered_capital": 1})
    check_new_action(registering("SY04001"), "decide", APPROVE[2])
    assert walk(case, APPROVE).decision.registered_capital is None


@pytest.mark.parametrize("matter, data, message", [
    ("SY24001", {**APPROVE[2], "registered_capital": 0}, "整数（万元）"),
    ("SY24001", {**APPROVE[2], "registered_capital": 12.5}, "整数（万元）"),
    ("SY24001", {**APPROVE[2], "registered_capital": "500"}, "整数（万元）"),
    ("SY24001", {"outcome": "refused", "document_number": "X1", "reason": "名称不合规",
                 "registered_capital": 500}, "不予许可不填写"),
    ("SY04001", {**APPROVE[2], "registered_capital": 500}, "只有企业设立登记"),
])
def test_registered_capital_is_required_only_where_it_belongs(matter, data, message):
    with pytest.raises(ValidationError) as info:
        apply(registering(matter), "decide", role="approver", at=at(25), data=data)
    assert info.value.field == "registered_capital" and message in info.value.detail


def test_a_refused_registration_needs_no_capital():
    done = walk(registering(), ("decide", "approver", {"outcome": "refused",
                                                       "document_number": "X1", "reason": "名称不合规"}))
    assert done.decision.registered_capital is None
