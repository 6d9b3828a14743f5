"""Joint approval: departments decide in parallel, at this center or another (并联审批)."""
import pytest

from sync.case_clock import paused_workdays
from sync.case_joint import joint_pending
from sync.case_labels import (COMPLETED, IN_APPROVAL, IN_REVIEW, JOINT_REVIEW,
                              SUSPENDED_SUPPLEMENT)
from sync.case_machine import apply, available_actions, close_joint, joint_decision, open_joint
from sync.errors import ConflictError, ValidationError
from tests.sync.case_walks import APPROVE, CAL, D, at, case_in, walk


def joint_case(**departments):
    return open_joint(case_in(IN_REVIEW), departments, role="reviewer", at=at(23))


def test_joint_approval_completes_only_when_all_departments_decided():
    case = joint_case(fire=D(2025, 9, 26), env="2025-09-29", police=D(2025, 9, 29))
    assert case.state == JOINT_REVIEW and joint_pending(case) == ("env", "fire", "police")
    case = joint_decision(case, "fire", "consent", role="approver", at=at(24))
    case = joint_decision(case, "police", "consent", role="approver", at=at(25))
    assert case.state == JOINT_REVIEW and joint_pending(case) == ("env",)
    with pytest.raises(ConflictError, match="已作出意见"):
        joint_decision(case, "fire", "consent", role="approver", at=at(25))
    with pytest.raises(ConflictError, match="不在本次联合审批中"):
        joint_decision(case, "tax", "consent", role="approver", at=at(25))
    with pytest.raises(ConflictError, match="待审批|联合审批中"):
        apply(case, "decide", role="approver", at=at(25), data=APPROVE[2])
    case = joint_decision(case, "env", "consent", role="reviewer", at=at(26))
    assert case.state == IN_APPROVAL and joint_pending(case) == ()
    assert walk(case, APPROVE).state == COMPLETED


def test_an_objection_blocks_approval_but_not_refusal():
    case = joint_case(fire=D(2025, 9, 26))
    case = joint_decision(case, "fire", "object", role="approver", at=at(24), reason="消防通道不足")
    assert case.state == IN_APPROVAL and case.joint[0].reason == "消防通道不足"
    with pytest.raises(ConflictError, match="fire 不同意"):
        walk(case, APPROVE)
    refused = walk(case, ("decide", "approver", {"outcome": "refused", "reason": "消防不合格",
                                                 "document_number": "不许〔2025〕1号"}))
    assert refused.decision.outcome == "refused"


def test_silent_department_deemed_to_consent_only_when_the_setting_says_so():
    case = joint_decision(joint_case(fire=D(2025, 9, 24), env=D(2025, 9, 30)), "env", "consent",
                          role="approver", at=at(24))
    with pytest.raises(ConflictError, match="期限 2025-09-24 未过"):
        close_joint(case, role="reviewer", at=at(24, 17), deemed_consent=True)
    with pytest.raises(ConflictError, match="fire 尚未作出意见"):
        close_joint(case, role="reviewer", at=at(26), deemed_consent=False)
    closed = close_joint(case, role="center_admin", at=at(25), deemed_consent=True)
    assert closed.state == IN_APPROVAL
    fire = next(sub for sub in closed.joint if sub.department == "fire")
    assert fire.decision == "deemed_consent" and fire.decided_at == at(25)
    assert walk(closed, APPROVE).state == COMPLETED


# -- 市区两级并联审批: a department consulted at another center ------------------------

CITY = "210100"
OPINION = {"center": CITY, "seq": 7, "hash": "ab" * 32}


def parallel_case():
    """A district's case consulting its own fire department and the city's planning bureau."""
    return apply(case_in(IN_REVIEW), "open_joint", role="reviewer", at=at(23), data={
        "departments": {"fire": "2025-09-30", "planning": "2025-09-30"},
        "centers": {"planning": CITY}})


def test_a_department_at_another_center_decides_only_through_its_signed_opinion():
    case = parallel_case()
    assert [(s.department, s.center) for s in case.joint] == [("fire", ""), ("planning", CITY)]
    with pytest.raises(ValidationError, match="须记录该中心签发的意见"):
        joint_decision(case, "planning", "consent", role="reviewer", at=at(24))
    with pytest.raises(ValidationError, match="不记录其他中心的意见"):
        apply(case, "joint_decide", role="reviewer", at=at(24), data={
            "department": "fire", "decision": "consent", "opinion": OPINION})
    with pytest.raises(ValidationError, match="须记录该中心签发的意见"):
        apply(case, "joint_decide", role="reviewer", at=at(24), data={
            "department": "planning", "decision": "consent",
            "opinion": {**OPINION, "center": "210102"}})
    case = apply(case, "joint_decide", role="reviewer", at=at(24), data={
        "department": "planning", "decision": "consent", "opinion": OPINION})
    assert case.state == JOINT_REVIEW and joint_pending(case) == ("fire",)
    assert joint_decision(case, "fire", "consent", role="approver", at=at(25)).state == IN_APPROVAL


def test_one_side_asks_for_materials_the_other_decides_meanwhile_and_the_clock_pauses():
    case = apply(parallel_case(), "joint_supplement", role="reviewer", at=at(24), data={
        "department": "planning", "missing": ["规划设计方案"], "opinion": OPINION})
    assert case.state == SUSPENDED_SUPPLEMENT and case.resumes_to == JOINT_REVIEW
    assert case.missing == ("规划设计方案",) and case.open_pause is not None
    with pytest.raises(ConflictError, match="补正材料尚未收齐"):
        apply(case, "joint_decide", role="reviewer", at=at(24), data={
            "department": "planning", "decision": "consent", "opinion": OPINION})
    with pytest.raises(ConflictError, match="已要求补正"):
        apply(case, "joint_supplement", role="reviewer", at=at(24), data={
            "department": "planning", "missing": ["其他"], "opinion": OPINION})
    case = joint_decision(case, "fire", "consent", role="approver", at=at(25))  # 并联: goes on
    assert case.state == SUSPENDED_SUPPLEMENT and joint_pending(case) == ("planning",)
    case = apply(case, "supplement_in", role="clerk", at=at(29))
    assert case.state == JOINT_REVIEW and case.joint[1].missing == () and case.missing == ()
    # 25, 26, 28 (a Sunday worked for National Day, 调休) and 29 Sep stood still.
    assert paused_workdays(case, CAL, D(2025, 10, 10)) == 4
    case = apply(case, "joint_decide", role="reviewer", at=at(30), data={
        "department": "planning", "decision": "consent", "opinion": OPINION})
    assert case.state == IN_APPROVAL and walk(case, APPROVE).state == COMPLETED


def test_a_reviews_own_supplement_does_not_let_departments_decide():
    case = case_in(SUSPENDED_SUPPLEMENT)
    assert "joint_decide" not in available_actions(case, "reviewer")
    with pytest.raises(ConflictError):
        joint_decision(case, "fire", "consent", role="reviewer", at=at(24))


def test_consulted_centers_name_listed_departments_only():
    with pytest.raises(ValidationError, match="只能为所列会签部门指定"):
        apply(case_in(IN_REVIEW), "open_joint", role="reviewer", at=at(23), data={
            "departments": {"fire": "2025-09-30"}, "centers": {"planning": CITY}})
