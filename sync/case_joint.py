"""Joint approval (联合审批, 并联审批): departments give their opinions on one case in parallel.

In review, ``open_joint`` names each department with its own deadline and the
case waits in ``joint_review``. Each department consents or objects
(``joint_decide``; an objection needs a reason and later forbids approval);
the last one moves the case on to approval. A department may instead ask for
materials (``joint_supplement``): the clock pauses for them, and the other
departments go on deciding meanwhile. ``close_joint`` ends the joint approval
early; departments silent past their deadline are then deemed to consent,
where the handling center's rule says so (the action records which rule).

A joint approval may consult a department at another center (市区两级并联审批:
a district handling the case asks a city department, ``open_joint``'s
``centers``). That center never writes the case: it signs its own opinion
(``joint.opinion``), the hub relays it, and the case's owner records it as
``joint_decide`` or ``joint_supplement`` naming the opinion's event, which the
state machine requires for such a department and refuses for any other.

The transitions here are those ``sync.case_machine.apply`` runs for these
actions (``RULES``); who may take them and from which states is in its ``ACTIONS``.
"""
from __future__ import annotations

import dataclasses

from sync import case_inputs as inputs
from sync.case_clock import china_date, suspend
from sync.case_labels import IN_APPROVAL, JOINT_DECISIONS, JOINT_REVIEW, SUSPENDED_SUPPLEMENT
from sync.case_state import CaseState, Refused, SubApproval


def joint_pending(case: CaseState) -> tuple[str, ...]:
    """The departments of the joint approval that have not decided yet."""
    return tuple(sub.department for sub in case.joint if sub.decision is None)


def fits_pause(action: str, case: CaseState) -> bool:
    """False for a department's opinion while the case waits on a review's own supplement.

    Department opinions go on during a supplement only when it paused the joint
    approval (a department asked for it).
    """
    if action in ("joint_decide", "joint_supplement") and case.state == SUSPENDED_SUPPLEMENT:
        return case.resumes_to == JOINT_REVIEW
    return True


# -- the transitions: each returns the fields that change ------------------------------

def _open_joint(case, at, data):
    today = china_date(at)
    departments, centers = data["departments"], data.get("centers", {})
    for department, due in departments.items():
        if due < today:
            inputs.fail(f"departments.{department}", f"会签期限 {due.isoformat()} 早于今天")
    for department in centers:
        if department not in departments:
            inputs.fail(f"centers.{department}", "会签中心只能为所列会签部门指定")
    return {"state": JOINT_REVIEW, "joint": tuple(
        SubApproval(department, due, center=centers.get(department, ""))
        for department, due in sorted(departments.items()))}


def _consulted(case, data) -> SubApproval:
    """The pending department an opinion is for, its origin checked (并联: signed there)."""
    department = data["department"]
    sub = next((sub for sub in case.joint if sub.department == department), None)
    if sub is None or sub.decision is not None:
        raise Refused(f"部门 {department} {'已作出意见' if sub else '不在本次联合审批中'}",
                      f"department {department} has already decided or is not consulted")
    given_by = data["opinion"]["center"] if "opinion" in data else ""
    if sub.center and given_by != sub.center:
        inputs.fail("opinion", f"部门 {department} 在 {sub.center} 会签，须记录该中心签发的意见")
    if not sub.center and given_by:
        inputs.fail("opinion", f"部门 {department} 在本中心会签，不记录其他中心的意见")
    return sub


def _joint_decide(case, at, data):
    if data["decision"] == "object" and not data.get("reason"):
        inputs.fail("reason", "不同意必须说明理由")
    sub = _consulted(case, data)
    if sub.missing:
        raise Refused(f"部门 {sub.department} 要求的补正材料尚未收齐",
                      f"department {sub.department} waits on its supplement")
    joint = tuple(dataclasses.replace(sub, decision=data["decision"], decided_at=at,
                                      reason=data.get("reason", ""))
                  if sub.department == data["department"] else sub for sub in case.joint)
    if case.state == SUSPENDED_SUPPLEMENT:
        return {"joint": joint}  # the pause goes on: another department waits on materials
    done = all(sub.decision is not None for sub in joint)
    return {"joint": joint, "state": IN_APPROVAL if done else JOINT_REVIEW}


def _joint_supplement(case, at, data):
    """One department asks for materials: the clock pauses, the others may still decide."""
    sub = _consulted(case, data)
    if sub.missing:
        raise Refused(f"部门 {sub.department} 已要求补正",
                      f"department {sub.department} already waits on a supplement")
    missing = data["missing"]
    joint = tuple(dataclasses.replace(s, missing=missing) if s is sub else s for s in case.joint)
    if case.state == SUSPENDED_SUPPLEMENT:
        return {"joint": joint, "missing": tuple(dict.fromkeys(case.missing + missing))}
    return {**suspend(SUSPENDED_SUPPLEMENT)(case, at, data), "joint": joint}


def _close_joint(case, at, data):
    today, joint = china_date(at), []
    for sub in case.joint:
        if sub.decision is None:
            if not data["deemed_consent"]:
                raise Refused(f"部门 {sub.department} 尚未作出意见",
                              f"department {sub.department} has not decided")
            if sub.deadline >= today:
                raise Refused(f"部门 {sub.department} 的会签期限 {sub.deadline.isoformat()} 未过",
                              f"department {sub.department} is still within its deadline")
            sub = dataclasses.replace(sub, decision="deemed_consent", decided_at=at)
        joint.append(sub)
    return {"state": IN_APPROVAL, "joint": tuple(joint)}


# A department states consent or objection; deemed consent comes only from close_joint.
_STATED_DECISIONS = {k: JOINT_DECISIONS[k] for k in ("consent", "object")}
# action -> (transition, {data key: (checker, required)}), as ``sync.case_machine`` takes them.
RULES = {
    "open_joint": (_open_joint, {"departments": (inputs.departments, True),
                                 "centers": (inputs.consulted_centers, False)}),
    "joint_decide": (_joint_decide, {"department": (inputs.department, True),
                                     "decision": (inputs.one_of(_STATED_DECISIONS), True),
                                     "opinion": (inputs.opinion, False)}),
    "joint_supplement": (_joint_supplement, {"department": (inputs.department, True),
                                             "missing": (inputs.materials, True),
                                             "opinion": (inputs.opinion, False)}),
    "close_joint": (_close_joint, {"deemed_consent": (inputs.boolean, True)}),
}
