"""The case (办件) state machine, shared by hub and node.

Every change of a case goes through ``apply(case, action, role=, at=, data=)``,
which checks the role, the transition and the action's data and returns a new
immutable ``CaseState`` (or raises and changes nothing). The node records each
applied action as an event; the hub replays the same events through the same
function, so both always agree on where a case is. (docs: domain.md §2.3)

::

    received ─ accept ─────────────► accepted ─ start_review ─► in_review
    received ─ complete_immediate ─► completed                   (即办件 only; no review)
    received ─ request_supplement ─► supplement_requested ─ supplement_in ─► received
    received, supplement_requested ─ not_accept ─► not_accepted
    in_review ─ submit_for_approval ─► in_approval ─ return_to_review ─► in_review
    in_review, in_approval ─ suspend_supplement ─► suspended_supplement ─ supplement_in ─► (back)
    in_review, in_approval ─ start_special ─► suspended_special ─ end_special ─► (back)
    in_review ─ open_joint ─► joint_review ─ joint_decide (the last one), close_joint ─► in_approval
    joint_review ─ joint_supplement ─► suspended_supplement ─ supplement_in ─► joint_review
                 (the other departments go on deciding meanwhile: joint_decide)
    in_approval ─ decide ─► completed (办结) ─ deliver ─► delivered (送达)
                 (may cite a completed case of the same matter: 案例援引)
    completed, delivered ─ evaluate ─► (unchanged)   (好差评: once per case)
    any open state but handed_off ─ withdraw ─► withdrawn (撤件)
    received, accepted ─ hand_off ─► handed_off ─ take_over, return_handoff ─► (back)

This module holds the table of actions (who may take each, from which
states), ``apply`` and the transitions of intake and review. The rest lives
beside its subject, in modules that need none of this one: the codes and
their Chinese names (``sync.case_labels``), ``CaseState`` and its parts
(``sync.case_state``), pauses and the deadline (``sync.case_clock``), joint
approval (``sync.case_joint``), the decision and after (``sync.case_results``),
handoffs and the states of the hub's handoff rows (``sync.case_handoffs``).
"""
from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from typing import NamedTuple

from sync import case_handoffs, case_joint, case_results
from sync import case_inputs as inputs
from sync.case_clock import resume, suspend
from sync.case_labels import (ACCEPTED, COMPLETED, DELIVERED, EVALUATION_LEVELS, HANDED_OFF,
                              IN_APPROVAL, IN_REVIEW, JOINT_DECISIONS, JOINT_REVIEW,
                              NOT_ACCEPTED, OPEN, RECEIVED, ROLES, SPECIAL_PROCEDURES, STATES,
                              SUPPLEMENT_REQUESTED, SUSPENDED_SPECIAL, SUSPENDED_SUPPLEMENT,
                              WITHDRAWN)
from sync.case_state import CaseState, Refused, Step
from sync.catalog_schema import HANDLING_TYPES
from sync.errors import ConflictError


class Action(NamedTuple):
    label: str
    roles: frozenset[str]
    sources: frozenset[str]


def _action(label: str, roles: str, sources) -> Action:
    return Action(label, frozenset(roles.split()), frozenset(sources))


RECEIVE = "receive"
ACTIONS = {
    RECEIVE: _action("收件", "clerk", ()),
    "accept": _action("受理", "clerk", {RECEIVED}),
    "complete_immediate": _action("即办办结", "clerk approver", {RECEIVED}),
    "not_accept": _action("不予受理", "clerk approver", {RECEIVED, SUPPLEMENT_REQUESTED}),
    "request_supplement": _action("一次性告知补正", "clerk", {RECEIVED}),
    "supplement_in": _action("补正材料收齐", "clerk reviewer",
                             {SUPPLEMENT_REQUESTED, SUSPENDED_SUPPLEMENT}),
    "start_review": _action("开始审查", "reviewer center_admin", {ACCEPTED}),
    "submit_for_approval": _action("审查通过，报送审批", "reviewer", {IN_REVIEW}),
    "return_to_review": _action("审批退回审查", "approver", {IN_APPROVAL}),
    "suspend_supplement": _action("审查中要求补正（暂停计时）", "reviewer approver",
                                  {IN_REVIEW, IN_APPROVAL}),
    "start_special": _action("启动特别程序（暂停计时）", "reviewer approver",
                             {IN_REVIEW, IN_APPROVAL}),
    "end_special": _action("特别程序结束", "reviewer approver", {SUSPENDED_SPECIAL}),
    "open_joint": _action("发起联合审批", "reviewer", {IN_REVIEW}),
    # While one department waits on a supplement, the others go on (并联).
    "joint_decide": _action("部门会签意见", "reviewer approver",
                            {JOINT_REVIEW, SUSPENDED_SUPPLEMENT}),
    "joint_supplement": _action("会签部门要求补正（暂停计时）", "reviewer approver",
                                {JOINT_REVIEW, SUSPENDED_SUPPLEMENT}),
    "close_joint": _action("结束联合审批", "reviewer center_admin", {JOINT_REVIEW}),
    "decide": _action("审批决定（办结）", "approver", {IN_APPROVAL}),
    "deliver": _action("送达", "clerk", {COMPLETED}),
    "withdraw": _action("撤件", "clerk center_admin", OPEN - {HANDED_OFF}),
    "hand_off": _action("移交办理中心", "clerk", {RECEIVED, ACCEPTED}),
    "take_over": _action("接收移交", "clerk reviewer", {HANDED_OFF}),
    "return_handoff": _action("退回移交", "clerk reviewer center_admin", {HANDED_OFF}),
    # The applicant's own: by a one-time link (SMS) or on the window's evaluation pad, never
    # chosen by staff (node.evaluation). A clerk's role stays valid only so that cases
    # rated that way before still replay.
    "evaluate": _action("好差评（申请人评价）", "applicant clerk", {COMPLETED, DELIVERED}),
}


def new_case(handling: str, *, role: str, at: datetime.datetime, reason: str = "",
             number: str = "", matter_code: str = "") -> CaseState:
    """A case just received (已收件) for a matter of the given handling type.

    ``number`` and ``matter_code`` name the case and its matter; a decision can
    cite a precedent only when they are known.
    """
    _check_role(RECEIVE, role)
    if handling not in HANDLING_TYPES:
        inputs.fail("handling", f"未知的办件类型 {handling!r}，可选：{', '.join(HANDLING_TYPES)}")
    return CaseState(RECEIVED, handling, (Step(RECEIVE, _check_at(at, None), role, reason),),
                     number=number, matter_code=matter_code)


def apply(case: CaseState, action: str, *, role: str, at: datetime.datetime,
          data: dict | None = None) -> CaseState:
    """The case after ``action``; nothing changes when it is refused.

    :raises ValidationError: unknown action or role, a role not allowed the
        action, a naive or backward ``at``, or bad ``data`` (``field`` names it).
    :raises ConflictError: the action is not allowed in the case's state.
    """
    if action not in ACTIONS:
        applied = [name for name in ACTIONS if name in _RULES]  # all but RECEIVE (new_case)
        inputs.fail("action", f"未知的操作 {action!r}，可选：{', '.join(applied)}")
    _check_role(action, role)
    at = _check_at(at, case.history[-1].at)
    if case.state not in ACTIONS[action].sources or not case_joint.fits_pause(action, case):
        raise _conflict(case, action)
    if not _fits_handling(action, case):
        raise _conflict(case, action, "即办件当场办结，其他办件受理后审查",
                        "immediate matters complete at intake, others are accepted and reviewed")
    handler, spec = _RULES[action]
    data = _check_data(action, spec, data)
    try:
        changes = handler(case, at, data)
    except Refused as refused:
        raise _conflict(case, action, refused.why_zh, refused.why_en) from None
    step = Step(action, at, role, data.get("reason") or _summary(action, data))
    return case.changed(**changes, history=case.history + (step,))


def holder(case: CaseState, collecting: str) -> str:
    """The center that may act on the case now (its owner at the hub): the handling
    center from the handoff until it decides or returns it, else the collecting one."""
    last = case.handoffs[-1] if case.handoffs else None
    if last is None or last.returned_at is not None or case.decision is not None:
        return collecting
    return last.target


def available_actions(case: CaseState, role: str) -> list[str]:
    """The actions ``role`` may try on ``case`` now (data checks may still refuse them)."""
    return [name for name, action in ACTIONS.items()
            if role in action.roles and case.state in action.sources
            and case_joint.fits_pause(name, case) and _fits_handling(name, case)
            and not (name == "evaluate" and case.evaluation)]


def _fits_handling(action: str, case: CaseState) -> bool:
    # Immediate matters (即办件) complete at intake with no review chain; every
    # other matter must be accepted first so that its clock starts.
    if action == "accept":
        return case.handling != "immediate"
    if action == "complete_immediate":
        return case.handling == "immediate"
    return True


# -- joint approval by name (``sync.case_joint`` has its rules) ------------------------

def open_joint(case: CaseState, departments: dict[str, datetime.date], *, role: str,
               at: datetime.datetime, reason: str = "") -> CaseState:
    """Start a joint approval: each department (code → its own deadline) decides in parallel."""
    return apply(case, "open_joint", role=role, at=at,
                 data={"departments": departments, "reason": reason})


def joint_decision(case: CaseState, department: str, decision: str, *, role: str,
                   at: datetime.datetime, reason: str = "") -> CaseState:
    """Record one department's consent or objection; the last one moves the case to approval."""
    return apply(case, "joint_decide", role=role, at=at,
                 data={"department": department, "decision": decision, "reason": reason})


def close_joint(case: CaseState, *, role: str, at: datetime.datetime,
                deemed_consent: bool) -> CaseState:
    """End a joint approval; with ``deemed_consent`` departments silent past their deadline consent.

    ``deemed_consent`` is the rule in force where the case is handled (the node's
    ``joint_deemed_consent`` setting, never the caller's choice); the event records
    it, so the hub replays the rule that applied.
    """
    return apply(case, "close_joint", role=role, at=at, data={"deemed_consent": deemed_consent})


# -- checks of the caller's input ----------------------------------------------

def _conflict(case: CaseState, action: str, why_zh: str = "", why_en: str = "") -> ConflictError:
    detail = (f"当前状态「{STATES[case.state]}」不能执行「{ACTIONS[action].label}」"
              f"{'：' + why_zh if why_zh else ''} "
              f"(cannot {action} a case in state {case.state}{': ' + why_en if why_en else ''})")
    return ConflictError(detail, state=case.state, action=action)


def _check_role(action: str, role: str) -> None:
    if role not in ROLES:
        inputs.fail("role", f"未知的角色 {role!r}，可选：{', '.join(ROLES)}")
    if role not in ACTIONS[action].roles:
        inputs.fail("role", f"角色「{ROLES[role]}」无权执行「{ACTIONS[action].label}」")


def _check_at(at, last: datetime.datetime | None) -> datetime.datetime:
    # A naive datetime has no China date: hub (UTC) and node would disagree.
    if not isinstance(at, datetime.datetime) or at.utcoffset() is None:
        inputs.fail("at", f"必须是带时区的时间，实际为 {at!r}")
    if last is not None and at < last:
        inputs.fail("at", f"时间 {at.isoformat()} 早于上一步 {last.isoformat()}")
    return at


def _check_data(action: str, spec: dict, data) -> dict:
    data = {} if data is None else data
    if not isinstance(data, dict):
        inputs.fail("data", "必须是对象")
    spec = {"reason": (inputs.text, False), **spec}
    for key in data:
        if key not in spec:
            inputs.fail(str(key), f"「{ACTIONS[action].label}」不需要此字段")
    checked = {}
    for key, (check, required) in spec.items():
        value = data.get(key)
        if value is None or value == "":
            if required:
                inputs.fail(key, "必填")
            continue
        checked[key] = check(value, key)
    return checked


# -- the transitions of intake and review: each returns the fields that change ------------

def _supplement_in(case, at, data):
    if case.state == SUPPLEMENT_REQUESTED:
        return {"state": RECEIVED, "missing": ()}
    joint = tuple(dataclasses.replace(sub, missing=()) for sub in case.joint)
    return {**resume(case, at), "missing": (), "joint": joint}


def _withdraw(case, at, data):
    changes = resume(case, at) if case.open_pause else {}
    return {**changes, "state": WITHDRAWN, "resumes_to": None,
            "withdrawal_reason": data["reason"]}


_REASON = {"reason": (inputs.text, True)}
# action -> (transition returning the fields that change, {data key: (checker, required)}),
# here and in the modules of joint approval, results and handoffs. Every action also
# takes an optional "reason", the "why" of its history step.
_RULES: dict[str, tuple[Callable, dict[str, tuple[Callable, bool]]]] = {
    "accept": (lambda case, at, data: {"state": ACCEPTED, "accepted_at": at}, {}),
    "not_accept": (lambda case, at, data: {"state": NOT_ACCEPTED}, _REASON),
    "request_supplement": (lambda case, at, data: {"state": SUPPLEMENT_REQUESTED,
                                                   "missing": data["missing"]},
                           {"missing": (inputs.materials, True)}),
    "supplement_in": (_supplement_in, {}),
    "start_review": (lambda case, at, data: {"state": IN_REVIEW}, {}),
    "submit_for_approval": (lambda case, at, data: {"state": IN_APPROVAL}, {}),
    "return_to_review": (lambda case, at, data: {"state": IN_REVIEW}, _REASON),
    "suspend_supplement": (suspend(SUSPENDED_SUPPLEMENT), {"missing": (inputs.materials, True)}),
    "start_special": (suspend(SUSPENDED_SPECIAL),
                      {"kind": (inputs.one_of(SPECIAL_PROCEDURES), True),
                       "reason": (inputs.text, True), "limit_days": (inputs.limit_days, True)}),
    "end_special": (lambda case, at, data: resume(case, at, data["result"]),
                    {"result": (inputs.text, True)}),
    "withdraw": (_withdraw, _REASON),
    **case_joint.RULES, **case_results.RULES, **case_handoffs.RULES,
}


def _summary(action: str, data: dict) -> str:
    """The history's "why" when the action's data has no reason of its own."""
    if action == "joint_supplement":
        return f"{data['department']} 要求补正：" + "、".join(data["missing"])
    if "missing" in data:
        return "需补正：" + "、".join(data["missing"])
    if action == "end_special":
        return data["result"]
    if action == "open_joint":
        return "联合审批：" + "、".join(sorted(data["departments"]))
    if action == "joint_decide":
        return f"{data['department']}：{JOINT_DECISIONS[data['decision']]}"
    if action == "evaluate":
        return "评价：" + EVALUATION_LEVELS[data["level"]]
    if action == "hand_off":
        return f"移交 {data['target']} 办理" + (f"，原件邮寄 {data['waybill']}"
                                                if data.get("waybill") else "")
    return ""
