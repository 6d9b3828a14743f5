"""The case state machine: transitions, required data, pauses, deadlines and joint approval."""
import copy
import datetime

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sync.calendar import load_calendar
from sync.case_states import (
    HANDED_OFF,
    ACCEPTED, ACTIONS, CHINA, COMPLETED, DELIVERED, IN_APPROVAL, IN_REVIEW, JOINT_REVIEW, NOT_ACCEPTED,
    OPEN, PAUSED, RECEIVED, ROLES, SPECIAL_PROCEDURES, STATES, SUPPLEMENT_REQUESTED,
    SUSPENDED_SPECIAL, SUSPENDED_SUPPLEMENT, WITHDRAWN, apply, available_actions, china_date,
    close_joint, deadline, handling_workdays, intake_overdue, joint_decision, joint_pending,
    Precedent, new_case, open_joint, paused_workdays,
    BAD_REVIEWS, EVALUATION_CODES, SATISFIED, check_new_action,
)
from sync.catalog_schema import HANDLING_TYPES
from sync.errors import ConflictError, ValidationError

D = datetime.date
CAL = load_calendar()
UTC = datetime.timezone.utc
HOUR = datetime.timedelta(hours=1)


def at(day: int, hour: int = 10, month: int = 9) -> datetime.datetime:
    return datetime.datetime(2025, month, day, hour, tzinfo=CHINA)


def walk(case, *steps, start=None):
    """Apply ``(action, role, data)`` steps an hour apart after the case's last step."""
    when = start or case.history[-1].at
    for action, role, data in steps:
        when += HOUR
        case = apply(case, action, role=role, at=when, data=data)
    return case


ACCEPT = ("accept", "clerk", {})
REVIEW = ("start_review", "reviewer", {})
SUBMIT = ("submit_for_approval", "reviewer", {})
APPROVE = ("decide", "approver", {"outcome": "approved", "document_number": "沈市监许〔2025〕17号"})
# The shortest way to each state of a promised case.
PATHS = {
    RECEIVED: [],
    SUPPLEMENT_REQUESTED: [("request_supplement", "clerk", {"missing": ["营业执照副本"]})],
    NOT_ACCEPTED: [("not_accept", "clerk", {"reason": "不属于本机关职权范围"})],
    ACCEPTED: [ACCEPT],
    IN_REVIEW: [ACCEPT, REVIEW],
    IN_APPROVAL: [ACCEPT, REVIEW, SUBMIT],
    SUSPENDED_SUPPLEMENT: [ACCEPT, REVIEW, ("suspend_supplement", "reviewer",
                                            {"missing": ["场地平面图"]})],
    SUSPENDED_SPECIAL: [ACCEPT, REVIEW, ("start_special", "reviewer",
                                         {"kind": "site_survey", "reason": "需现场核查",
                                          "limit_days": 5})],
    JOINT_REVIEW: [ACCEPT, REVIEW, ("open_joint", "reviewer",
                                    {"departments": {"fire": "2025-09-30"}})],
    COMPLETED: [ACCEPT, REVIEW, SUBMIT, APPROVE],
    DELIVERED: [ACCEPT, REVIEW, SUBMIT, APPROVE, ("deliver", "clerk", {"method": "window"})],
    WITHDRAWN: [("withdraw", "clerk", {"reason": "申请人撤回"})],
    HANDED_OFF: [ACCEPT, ("hand_off", "clerk", {"target": "210102", "consent": True})],
}


def case_in(state, handling="promised"):
    case = walk(new_case(handling, role="clerk", at=at(22, 9)), *PATHS[state])
    assert case.state == state
    return case


def test_every_state_and_action_has_a_chinese_label():
    assert set(PATHS) == set(STATES)
    assert all(STATES.values()) and all(a.label for a in ACTIONS.values())
    assert not any("auditor" in a.roles for a in ACTIONS.values())


def test_the_main_road_from_intake_to_delivery():
    case = walk(case_in(COMPLETED), ("deliver", "clerk", {"method": "mail",
                                                          "waybill": " ea1234567890cn"}))
    assert case.state == DELIVERED
    assert case.delivery.waybill == "EA1234567890CN"
    assert case.decision.outcome == "approved" and case.decision.document_number
    assert [s.action for s in case.history] == ["receive", "accept", "start_review",
                                                "submit_for_approval", "decide", "deliver"]
    assert [s.role for s in case.history] == ["clerk", "clerk", "reviewer", "reviewer",
                                              "approver", "clerk"]


def test_immediate_matter_completes_at_intake():
    case = new_case("immediate", role="clerk", at=at(22, 9))
    assert available_actions(case, "clerk") == ["complete_immediate", "not_accept",
                                                "request_supplement", "withdraw", "hand_off"]
    with pytest.raises(ConflictError, match="即办件"):
        apply(case, "accept", role="clerk", at=at(22, 10))
    done = apply(case, "complete_immediate", role="clerk", at=at(22, 10),
                 data={"outcome": "approved", "document_number": "2025-0001"})
    assert done.state == COMPLETED
    assert done.accepted_at == done.decision.decided_at == at(22, 10)
    assert deadline(done, CAL, 0).day == D(2025, 9, 22)
    assert handling_workdays(done, CAL) == 0
    with pytest.raises(ConflictError, match="complete_immediate"):
        apply(case_in(RECEIVED), "complete_immediate", role="clerk", at=at(22, 10),
              data={"outcome": "approved", "document_number": "2025-0001"})


@pytest.mark.parametrize("state", sorted(OPEN - {HANDED_OFF}))  # in transit: nobody's yet
def test_withdrawal_is_a_side_exit_from_every_open_state(state):
    case = case_in(state)
    gone = walk(case, ("withdraw", "center_admin", {"reason": "申请人书面申请撤回"}))
    assert gone.state == WITHDRAWN and gone.withdrawal_reason == "申请人书面申请撤回"
    assert gone.open_pause is None and gone.resumes_to is None
    if state in PAUSED:
        assert gone.pauses[-1].end == gone.history[-1].at
    assert available_actions(gone, "center_admin") == []


@pytest.mark.parametrize("state", [COMPLETED, DELIVERED, NOT_ACCEPTED, WITHDRAWN])
def test_no_withdrawal_once_closed(state):
    with pytest.raises(ConflictError, match="撤件"):
        walk(case_in(state), ("withdraw", "clerk", {"reason": "申请人撤回"}))


def test_invalid_transition_names_state_and_action_in_both_languages():
    case = case_in(RECEIVED)
    with pytest.raises(ConflictError) as err:
        apply(case, "deliver", role="clerk", at=at(23), data={"method": "window"})
    assert "已收件" in err.value.detail and "送达" in err.value.detail
    assert "cannot deliver a case in state received" in err.value.detail
    assert err.value.status == 409 and err.value.extra == {"state": RECEIVED, "action": "deliver"}


@pytest.mark.parametrize("state, action, data, field, message", [
    (RECEIVED, "not_accept", {}, "reason", "必填"),
    (RECEIVED, "not_accept", {"reason": "  "}, "reason", "非空"),
    (RECEIVED, "request_supplement", {"missing": []}, "missing", "一次列出全部"),
    (RECEIVED, "request_supplement", {"missing": ["身份证", "身份证"]}, "missing[1]", "重复"),
    (RECEIVED, "accept", {"note": "x"}, "note", "不需要此字段"),
    (RECEIVED, "accept", ["x"], "data", "必须是对象"),
    (IN_REVIEW, "suspend_supplement", {}, "missing", "必填"),
    (IN_REVIEW, "start_special", {"kind": "party", "reason": "x", "limit_days": 5}, "kind", "未知"),
    (IN_REVIEW, "start_special", {"kind": "hearing", "reason": "x", "limit_days": True},
     "limit_days", "整数"),
    (IN_REVIEW, "open_joint", {"departments": {}}, "departments", "至少一个部门"),
    (IN_REVIEW, "open_joint", {"departments": {"Fire!": "2025-10-01"}}, "departments.Fire!", "部门代码"),
    (IN_REVIEW, "open_joint", {"departments": {"fire": "10/01"}}, "departments.fire", "YYYY-MM-DD"),
    (IN_REVIEW, "open_joint", {"departments": {"fire": "2025-09-01"}}, "departments.fire", "早于今天"),
    (IN_APPROVAL, "return_to_review", {}, "reason", "必填"),
    (IN_APPROVAL, "decide", {"outcome": "approved"}, "document_number", "必填"),
    (IN_APPROVAL, "decide", {"outcome": "refused", "document_number": "不许字〔2025〕3号"},
     "reason", "不予许可必须说明理由"),
    (IN_APPROVAL, "decide", {"outcome": "maybe", "document_number": "1"}, "outcome", "可选"),
    (SUSPENDED_SPECIAL, "end_special", {}, "result", "必填"),
    (JOINT_REVIEW, "joint_decide", {"department": "fire", "decision": "object"}, "reason",
     "不同意必须说明理由"),
    (JOINT_REVIEW, "joint_decide", {"department": "fire", "decision": "deemed_consent"},
     "decision", "可选"),
    (JOINT_REVIEW, "close_joint", {"deemed_consent": "yes"}, "deemed_consent", "true 或 false"),
    (COMPLETED, "deliver", {"method": "mail"}, "waybill", "邮寄送达必须填写运单号"),
    (COMPLETED, "deliver", {"method": "window", "waybill": "EA123456789CN"}, "waybill", "只有邮寄"),
    (COMPLETED, "deliver", {"method": "mail", "waybill": "顺丰"}, "waybill", "运单号"),
    (COMPLETED, "deliver", {"method": "pigeon"}, "method", "可选"),
])
def test_required_data_is_checked(state, action, data, field, message):
    case = case_in(state)
    role = sorted(ACTIONS[action].roles)[0]
    with pytest.raises(ValidationError) as err:
        apply(case, action, role=role, at=case.history[-1].at + HOUR, data=data)
    assert err.value.field == field and message in err.value.detail


def test_roles_and_the_auditor_never_writes():
    case = case_in(IN_APPROVAL)
    assert available_actions(case, "auditor") == []
    with pytest.raises(ValidationError, match="审计人员") as err:
        apply(case, "decide", role="auditor", at=at(23), data=APPROVE[2])
    assert err.value.field == "role"
    with pytest.raises(ValidationError, match="无权") as err:
        apply(case, "decide", role="clerk", at=at(23), data=APPROVE[2])
    with pytest.raises(ValidationError, match="未知的角色"):
        apply(case, "decide", role="mayor", at=at(23), data=APPROVE[2])
    with pytest.raises(ValidationError, match="未知的操作") as err:
        apply(case, "approve", role="approver", at=at(23))
    assert err.value.field == "action"
    with pytest.raises(ValidationError, match="办件类型"):
        new_case("urgent", role="clerk", at=at(22))
    with pytest.raises(ValidationError):
        new_case("promised", role="reviewer", at=at(22))


def test_time_must_be_aware_and_never_run_backwards():
    case = case_in(IN_REVIEW)
    with pytest.raises(ValidationError, match="带时区") as err:
        apply(case, "submit_for_approval", role="reviewer", at=datetime.datetime(2025, 9, 23))
    assert err.value.field == "at"
    with pytest.raises(ValidationError, match="早于上一步"):
        apply(case, "submit_for_approval", role="reviewer", at=case.history[-1].at - HOUR)
    # The same instant written in UTC is fine.
    later = apply(case, "submit_for_approval", role="reviewer", at=at(23).astimezone(UTC))
    assert later.state == IN_APPROVAL


def test_supplement_at_intake_does_not_start_the_clock():
    case = case_in(SUPPLEMENT_REQUESTED)
    assert case.missing == ("营业执照副本",) and deadline(case, CAL, 5) is None
    case = walk(case, ("supplement_in", "clerk", {}), ACCEPT, start=at(25))
    assert case.missing == () and case.pauses == ()
    # The clock starts at acceptance on the 25th: 26, 28 (make-up Sunday), 29, 30,
    # then National Day, so the 5th working day is 9 October.
    assert case.accepted_at == at(25, 12) and deadline(case, CAL, 5).day == D(2025, 10, 9)


def test_supplement_during_review_pauses_and_resumes():
    case = walk(new_case("promised", role="clerk", at=at(22, 9)), ACCEPT, REVIEW, SUBMIT)
    assert deadline(case, CAL, 5).day == D(2025, 9, 28)       # a make-up Sunday
    case = apply(case, "suspend_supplement", role="approver", at=at(23),
                 data={"missing": ["股东会决议"]})
    assert case.state == SUSPENDED_SUPPLEMENT and case.resumes_to == IN_APPROVAL
    assert deadline(case, CAL, 5, today=D(2025, 9, 24)).day == D(2025, 9, 29)
    assert paused_workdays(case, CAL, D(2025, 9, 24)) == 1
    case = apply(case, "supplement_in", role="clerk", at=at(25))
    assert case.state == IN_APPROVAL and case.missing == () and case.pauses[0].end == at(25)
    # Paused 24th and 25th (the 23rd, when the request went out, still counts).
    assert paused_workdays(case, CAL, D(2025, 12, 31)) == 2
    assert deadline(case, CAL, 5).day == D(2025, 9, 30)
    done = walk(case, APPROVE, start=at(30))
    assert handling_workdays(done, CAL) == 5


def test_special_procedure_records_kind_limit_and_result():
    case = case_in(SUSPENDED_SPECIAL)
    assert case.open_pause.kind == "site_survey" and case.open_pause.limit_days == 5
    case = apply(case, "end_special", role="reviewer", at=at(26), data={"result": "现场符合条件"})
    assert case.state == IN_REVIEW and case.pauses[0].result == "现场符合条件"
    assert case.history[-1].reason == "现场符合条件"
    assert set(SPECIAL_PROCEDURES) >= {"extension", "expert_review", "hearing", "inspection"}


def test_a_pause_opened_and_closed_the_same_day_costs_nothing():
    case = walk(case_in(IN_REVIEW), ("suspend_supplement", "reviewer", {"missing": ["委托书"]}),
                ("supplement_in", "clerk", {}))
    assert paused_workdays(case, CAL, D(2025, 12, 31)) == 0
    assert deadline(case, CAL, 5) == deadline(case_in(IN_REVIEW), CAL, 5)


def test_intake_overdue_after_five_working_days():
    case = case_in(RECEIVED)
    assert not intake_overdue(case, CAL, D(2025, 9, 28))      # 5 working days: 23-26, 28
    assert intake_overdue(case, CAL, D(2025, 9, 29))
    assert not intake_overdue(case_in(ACCEPTED), CAL, D(2025, 12, 1))


# -- joint approval -------------------------------------------------------------

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


# -- property tests -------------------------------------------------------------

def _text():
    return st.sampled_from(["材料不全", "申请人要求", "需现场核查", "股东会决议", "身份证明", "委托书"])


def valid_data(case, action, when):
    """A strategy of data that passes the action's own checks."""
    reason = {"reason": _text()}
    result = {"outcome": st.sampled_from(["approved", "refused"]),
              "document_number": st.sampled_from(["2025-001", "沈审〔2025〕9号"]), **reason}
    missing = st.lists(_text(), min_size=1, max_size=3, unique=True)
    today = china_date(when)
    due = st.integers(0, 8).map(lambda n: (today + datetime.timedelta(days=n)).isoformat())
    by_action = {
        "not_accept": reason, "return_to_review": reason, "withdraw": reason,
        "request_supplement": {"missing": missing}, "suspend_supplement": {"missing": missing},
        "start_special": {"kind": st.sampled_from(sorted(SPECIAL_PROCEDURES)), **reason,
                          "limit_days": st.integers(1, 30)},
        "end_special": {"result": _text()},
        "open_joint": {"departments": st.dictionaries(st.sampled_from(["fire", "env", "police"]),
                                                      due, min_size=1)},
        "joint_decide": {"department": st.sampled_from(_may_give_opinion(case) or ("fire",)),
                         "decision": st.sampled_from(["consent", "object"]), **reason},
        "joint_supplement": {"department": st.sampled_from(_may_give_opinion(case) or ("fire",)),
                             "missing": missing},
        "close_joint": {"deemed_consent": st.booleans()},
        "decide": result, "complete_immediate": result,
        "deliver": st.sampled_from([{"method": "window"}, {"method": "online"},
                                    {"method": "mail", "waybill": "SF1234567890"}]),
        "hand_off": st.sampled_from([{"target": "210102", "consent": True},
                                     {"target": "210100", "consent": True,
                                      "waybill": "EA123456789CN"}]),
        "return_handoff": reason,
        # 好差评: a good rating with or without a comment, a bad one (差评) always with one.
        "evaluate": st.one_of(
            st.fixed_dictionaries({"level": st.sampled_from(sorted(SATISFIED))},
                                  optional={"comment": _text()}),
            st.fixed_dictionaries({"level": st.sampled_from(sorted(BAD_REVIEWS)),
                                   "comment": _text()})),
    }
    spec = by_action.get(action, {})
    return spec if isinstance(spec, st.SearchStrategy) else st.fixed_dictionaries(spec)


def _may_give_opinion(case) -> tuple[str, ...]:
    """Departments that may decide or ask for materials now: pending, not waiting on any."""
    return tuple(sub.department for sub in case.joint if sub.decision is None and not sub.missing)


def expected_refusal(case, action, data, when) -> bool:
    """The data-dependent guards a valid-looking action may still hit."""
    if action in ("joint_decide", "joint_supplement"):
        return data["department"] not in _may_give_opinion(case)
    if action == "decide" and data["outcome"] == "approved":
        return any(sub.decision == "object" for sub in case.joint)
    if action == "close_joint":
        return any(not data["deemed_consent"] or sub.deadline >= china_date(when)
                   for sub in case.joint if sub.decision is None)
    return False


def paused_days_by_hand(case, today):
    """The set of paused days, counted day by day without the module's arithmetic."""
    days = set()
    for pause in case.pauses:
        start = china_date(pause.start)
        end = min(china_date(pause.end) if pause.end else today, today)
        day = start + datetime.timedelta(days=1)
        while day <= end:
            days.add(day)
            day += datetime.timedelta(days=1)
    return days


EXITS = {"withdraw", "not_accept"}


class CaseMachine(RuleBasedStateMachine):
    """Random sequences of actions, roles, data and time gaps against one case."""

    def __init__(self):
        super().__init__()
        self.case = None
        self.now = None
        self.deadlines = {}

    @initialize(handling=st.sampled_from(sorted(HANDLING_TYPES)),
                start=st.datetimes(min_value=datetime.datetime(2024, 1, 1),
                                   max_value=datetime.datetime(2026, 6, 30)))
    def receive(self, handling, start):
        self.now = start.replace(tzinfo=CHINA)
        self.case = new_case(handling, role="clerk", at=self.now)

    def _advance(self, minutes, in_utc):
        self.now += datetime.timedelta(minutes=minutes)
        return self.now.astimezone(UTC) if in_utc else self.now

    def _attempt(self, action, role, when, data):
        before, snapshot = self.case, copy.deepcopy(self.case)
        try:
            self.case = apply(self.case, action, role=role, at=when, data=data)
        except (ValidationError, ConflictError):
            assert self.case is before and before == snapshot
            return False
        return True

    def _allowed(self, minutes, in_utc, data, exits):
        when = self._advance(minutes, in_utc)
        choices = [(a, r) for r in sorted(ROLES) for a in available_actions(self.case, r)
                   if exits or a not in EXITS]
        if not choices:
            assert exits <= (self.case.state in (NOT_ACCEPTED, DELIVERED, WITHDRAWN))
            return
        action, role = data.draw(st.sampled_from(choices))
        payload = data.draw(valid_data(self.case, action, when))
        refused = expected_refusal(self.case, action, payload, when)
        assert self._attempt(action, role, when, payload) != refused

    @rule(minutes=st.integers(0, 7 * 24 * 60), in_utc=st.booleans(), data=st.data())
    def allowed_action(self, minutes, in_utc, data):
        self._allowed(minutes, in_utc, data, exits=True)

    # Exits end a case early; a second rule without them lets cases reach
    # review, pauses, joint approval and delivery often enough.
    @rule(minutes=st.integers(0, 3 * 24 * 60), in_utc=st.booleans(), data=st.data())
    def forward_action(self, minutes, in_utc, data):
        self._allowed(minutes, in_utc, data, exits=False)

    @rule(action=st.sampled_from(sorted(ACTIONS)), role=st.sampled_from(sorted(ROLES)),
          minutes=st.integers(0, 3 * 24 * 60), data=st.data())
    def any_action(self, action, role, minutes, data):
        when = self._advance(minutes, False)
        allowed = action in available_actions(self.case, role)
        payload = data.draw(st.one_of(valid_data(self.case, action, when),
                                      st.dictionaries(st.sampled_from(["reason", "missing", "x"]),
                                                      st.sampled_from(["", "原因", 3, None]))))
        if self._attempt(action, role, when, payload):
            assert allowed
        assert "auditor" not in {step.role for step in self.case.history}

    @rule()
    def time_never_runs_backwards(self):
        last = self.case.history[-1].at
        for action, role in [(a, r) for r in ROLES for a in available_actions(self.case, r)][:1]:
            assert not self._attempt(action, role, last - datetime.timedelta(seconds=1), {})

    @invariant()
    def the_case_is_consistent(self):
        case = self.case
        if case is None:
            return
        steps = case.history
        assert case.state in STATES and case.received_at == steps[0].at
        assert all(a.at <= b.at for a, b in zip(steps, steps[1:]))
        assert all(step.role in ACTIONS[step.action].roles for step in steps)
        starts = [s.at for s in steps if s.action in ("accept", "complete_immediate")]
        assert case.accepted_at == (starts[0] if starts else None) and len(starts) <= 1
        if case.handling == "immediate":
            assert {s.action for s in steps}.isdisjoint({"accept", "start_review"})
        # pauses: ordered, closed except a running last one exactly while suspended
        assert (case.open_pause is not None) == (case.state in PAUSED)
        assert (case.resumes_to in (IN_REVIEW, IN_APPROVAL, JOINT_REVIEW)) == (case.state in PAUSED)
        # a joint approval is paused only by a department's supplement, which it then awaits
        if case.resumes_to == JOINT_REVIEW:
            assert case.state == SUSPENDED_SUPPLEMENT and any(sub.missing for sub in case.joint)
        # ... and a department waits on materials only while the clock stands still for them
        # (a case withdrawn meanwhile keeps what was asked, on record)
        assert all(not sub.missing for sub in case.joint) or case.state in (SUSPENDED_SUPPLEMENT,
                                                                            WITHDRAWN)
        for a, b in zip(case.pauses, case.pauses[1:]):
            assert a.end is not None and a.end <= b.start
        for p in case.pauses:
            assert case.accepted_at <= p.start and (p.end is None or p.start <= p.end)
        if case.state == SUSPENDED_SUPPLEMENT:
            assert case.open_pause.kind == "supplement" and case.missing
        if case.state == SUSPENDED_SPECIAL:
            assert case.open_pause.kind in SPECIAL_PROCEDURES
        if case.state == SUPPLEMENT_REQUESTED:
            assert case.missing and case.accepted_at is None
        if case.state in (RECEIVED, ACCEPTED, IN_REVIEW, IN_APPROVAL, JOINT_REVIEW):
            assert case.missing == ()
        # results
        assert (case.decision is not None) == (case.state in (COMPLETED, DELIVERED))
        assert (case.delivery is not None) == (case.state == DELIVERED)
        assert case.evaluation is None or case.state in (COMPLETED, DELIVERED)
        assert bool(case.withdrawal_reason) == (case.state == WITHDRAWN)
        if case.delivery is not None:
            assert (case.delivery.method == "mail") == bool(case.delivery.waybill)
        if case.decision is not None and case.decision.outcome == "approved":
            assert all(sub.decision != "object" for sub in case.joint)
        if case.decision is not None and case.decision.outcome == "refused":
            assert case.decision.reason
        if case.state == JOINT_REVIEW:
            assert joint_pending(case)
        assert [s.department for s in case.joint] == sorted(s.department for s in case.joint)

    @invariant()
    def paused_days_add_up_and_the_deadline_never_moves_earlier(self):
        if self.case is None or self.case.accepted_at is None:
            return
        case, today = self.case, china_date(self.now)
        paused = paused_days_by_hand(case, today)
        assert paused_workdays(case, CAL, today) == sum(map(CAL.is_workday, paused))
        accepted = china_date(case.accepted_at)
        for n in (1, 5, 20):
            due = deadline(case, CAL, n, today=today).day
            counted = [d for d in (accepted + datetime.timedelta(days=i)
                                   for i in range(1, (due - accepted).days + 1))
                       if CAL.is_workday(d) and d not in paused]
            assert len(counted) == n and counted[-1] == due
            assert due >= self.deadlines.get(n, due)
            self.deadlines[n] = due


CaseMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
TestCaseMachine = CaseMachine.TestCase


# -- handoffs (异地代收代办) ----------------------------------------------------------

def test_a_handoff_goes_on_where_it_was_at_the_handling_center():
    accepted = case_in(ACCEPTED)
    sent = apply(accepted, "hand_off", role="clerk", at=at(22, 11),
                 data={"target": "210102", "consent": True, "waybill": "ea123456789cn"})
    assert sent.state == "handed_off" and sent.handling_center is None
    assert sent.handoffs[-1].waybill == "EA123456789CN"
    with pytest.raises(ConflictError):  # the collecting window no longer withdraws it
        apply(sent, "withdraw", role="clerk", at=at(22, 12), data={"reason": "申请人要求"})
    taken = apply(sent, "take_over", role="reviewer", at=at(23, 9))
    assert taken.state == ACCEPTED and taken.handling_center == "210102"
    assert taken.accepted_at == accepted.accepted_at  # the clock runs from the first acceptance
    assert deadline(taken, CAL, 5) == deadline(accepted, CAL, 5)


def test_a_returned_handoff_is_back_where_it_was_and_may_be_sent_again():
    sent = apply(case_in(RECEIVED), "hand_off", role="clerk", at=at(22, 11),
                 data={"target": "210103", "consent": True})
    back = apply(sent, "return_handoff", role="reviewer", at=at(22, 15),
                 data={"reason": "非本区事项，错转"})
    assert back.state == RECEIVED and back.handling_center is None
    assert back.handoffs[-1].return_reason == "非本区事项，错转"
    again = apply(back, "hand_off", role="clerk", at=at(23, 9),
                  data={"target": "210102", "consent": True})
    assert [h.target for h in again.handoffs] == ["210103", "210102"]


@pytest.mark.parametrize("data, field", [
    ({"target": "210102", "consent": False}, "consent"),
    ({"target": "和平区", "consent": True}, "target"),
    ({"consent": True}, "target"),
    ({"target": "210102", "consent": True, "waybill": "顺丰"}, "waybill"),
])
def test_a_bad_handoff_names_its_field(data, field):
    with pytest.raises(ValidationError) as err:
        apply(case_in(ACCEPTED), "hand_off", role="clerk", at=at(22, 11), data=data)
    assert err.value.field == field
