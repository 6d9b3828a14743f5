"""The case state machine: states, roles, transitions, required data and time, at random too."""
import copy
import dataclasses
import datetime

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sync.case_clock import CHINA, china_date, deadline, handling_workdays, paused_workdays
from sync.case_joint import joint_pending
from sync.case_labels import (ACCEPTED, BAD_REVIEWS, COMPLETED, DELIVERED, HANDED_OFF, IN_APPROVAL,
                              IN_REVIEW, JOINT_REVIEW, NOT_ACCEPTED, OPEN, PAUSED, RECEIVED, ROLES,
                              SATISFIED, SPECIAL_PROCEDURES, STATES, SUPPLEMENT_REQUESTED,
                              SUSPENDED_SPECIAL, SUSPENDED_SUPPLEMENT, WITHDRAWN)
from sync.case_machine import ACTIONS, apply, available_actions, new_case
from sync.catalog_schema import HANDLING_TYPES
from sync.errors import ConflictError, ValidationError
from tests.sync.case_walks import APPROVE, CAL, D, HOUR, PATHS, UTC, at, case_in, walk


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


def test_changed_copies_as_dataclasses_replace_does():
    case = case_in(COMPLETED)
    changes = {"state": WITHDRAWN, "withdrawal_reason": "申请人撤回", "history": case.history[:1]}
    copied = case.changed(**changes)
    assert copied == dataclasses.replace(case, **changes)
    assert copied.withdrawal_reason == "申请人撤回" and case.withdrawal_reason == ""
    with pytest.raises(dataclasses.FrozenInstanceError):
        copied.state = RECEIVED
    with pytest.raises(TypeError, match="no field stat"):
        case.changed(stat=RECEIVED)
