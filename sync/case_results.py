"""A case's result and what follows it: the decision (办结), delivery (送达), evaluation (好差评).

* ``decide`` approves or refuses with a document number (a refusal needs a
  reason); a 即办件 gets its decision at intake (``complete_immediate``). An
  approval is refused while a department of the joint approval objects.
* A decision may cite a completed case of the same matter (案例援引); the
  node adds what it found of the cited case, and the rule is checked here, in
  the node and again in the hub's replay.
* An approved 企业设立登记 carries the enterprise's registered capital
  (注册资本, 万元), counted by the hub (企业注册户数及注册资本). Decisions
  recorded before it was carried have none and still replay, so only a
  decision made now must give it (``check_new_action``).
* ``deliver`` says how the result reached the applicant; ``evaluate`` records
  the applicant's rating, once per case, and leaves the state as it is.

The transitions here are those ``sync.case_machine.apply`` runs for these
actions (``RULES``); who may take them and from which states is in its ``ACTIONS``.
"""
from __future__ import annotations

import dataclasses

from sync import case_inputs as inputs
from sync.case_labels import (BAD_REVIEWS, COMPLETED, DELIVERED, DELIVERY_METHODS,
                              EVALUATION_LEVELS, OUTCOMES, STATES)
from sync.case_state import CaseState, Decision, Delivery, Evaluation, Precedent, Refused

# Matters whose approval registers an enterprise: the decision carries its
# registered capital (注册资本, 万元), counted by the hub (企业注册户数及注册资本).
REGISTERED_CAPITAL_MATTERS = frozenset({"SY24001"})  # 企业设立登记


def check_new_action(case: CaseState, action: str, data) -> None:
    """Rules for an action taken now that a replayed one is not held to.

    Decisions of 企业设立登记 recorded before the registered capital was carried
    have none, and the hub replays them: so ``apply`` accepts a missing capital
    and the node, deciding now, calls this first.

    :raises ValidationError: an approving ``decide`` of a ``REGISTERED_CAPITAL_MATTERS``
        matter without ``registered_capital``.
    """
    if (action == "decide" and case.matter_code in REGISTERED_CAPITAL_MATTERS
            and isinstance(data, dict) and data.get("outcome") == "approved"
            and data.get("registered_capital") in (None, "")):
        inputs.fail("registered_capital", "企业设立登记准予许可必须填写注册资本（万元）")


# -- the transitions: each returns the fields that change ------------------------------

def _decide(case, at, data):
    objecting = [sub.department for sub in case.joint if sub.decision == "object"]
    if data["outcome"] == "approved" and objecting:
        raise Refused(f"联合审批部门 {'、'.join(objecting)} 不同意，不能准予",
                      "a department of the joint approval objected")
    decision = dataclasses.replace(_decision(at, data),
                                   registered_capital=_registered_capital(case, data))
    if "precedent" in data:
        decision = dataclasses.replace(decision, precedent=_precedent(case, data["precedent"]))
    return {"state": COMPLETED, "decision": decision}


def _complete_immediate(case, at, data):
    # 即办件: accepted, decided and completed in the same moment at the window.
    return {"state": COMPLETED, "accepted_at": at, "decision": _decision(at, data)}


def _decision(at, data) -> Decision:
    if data["outcome"] == "refused" and not data.get("reason"):
        inputs.fail("reason", "不予许可必须说明理由")
    return Decision(data["outcome"], data["document_number"], at, data.get("reason", ""))


def _registered_capital(case, data) -> int | None:
    capital, field = data.get("registered_capital"), "registered_capital"
    if case.matter_code not in REGISTERED_CAPITAL_MATTERS:
        if capital is not None:
            inputs.fail(field, f"只有企业设立登记（{'、'.join(sorted(REGISTERED_CAPITAL_MATTERS))}）"
                               "的决定填写注册资本")
        return None
    if data["outcome"] != "approved":
        if capital is not None:
            inputs.fail(field, "不予许可不填写注册资本")
        return None
    return capital  # None: required only of new decisions (``check_new_action``)


def _precedent(case, cited: dict) -> Precedent:
    # Only a decided case of the same matter is a precedent for this one.
    number, field = cited["number"], "precedent.number"
    if number == case.number:
        inputs.fail(field, "不能援引本办件自身")
    if cited["state"] not in (COMPLETED, DELIVERED):
        inputs.fail(field, f"办件 {number} 尚未办结（{STATES.get(cited['state'], cited['state'])}），"
                           "只能援引已办结的案例")
    if cited["matter_code"] != case.matter_code:
        inputs.fail(field, f"办件 {number} 的事项是 {cited['matter_code']}，"
                           f"与本办件的事项 {case.matter_code or '（未知）'} 不同，只能援引同一事项的案例")
    return Precedent(**cited)


def _deliver(case, at, data):
    method, waybill = data["method"], data.get("waybill", "")
    if method == "mail" and not waybill:
        inputs.fail("waybill", "邮寄送达必须填写运单号")
    if method != "mail" and waybill:
        inputs.fail("waybill", "只有邮寄送达填写运单号")
    return {"state": DELIVERED, "delivery": Delivery(method, at, waybill)}


def _evaluate(case, at, data):
    if case.evaluation is not None:
        raise Refused("本办件已评价，每件只评一次（一事一评）", "the case has already been evaluated")
    if data["level"] in BAD_REVIEWS and not data.get("comment"):
        inputs.fail("comment", "差评（不满意、非常不满意）必须填写评价意见")
    return {"evaluation": Evaluation(data["level"], at, data.get("comment", ""))}


_RESULT = {"outcome": (inputs.one_of(OUTCOMES), True),
           "document_number": (lambda value, path: inputs.text(value, path, 64), True)}
# action -> (transition, {data key: (checker, required)}), as ``sync.case_machine`` takes them.
RULES = {
    "complete_immediate": (_complete_immediate, _RESULT),
    "decide": (_decide, {**_RESULT, "precedent": (inputs.precedent, False),
                         "registered_capital": (inputs.wan_yuan, False)}),
    "deliver": (_deliver, {"method": (inputs.one_of(DELIVERY_METHODS), True),
                           "waybill": (inputs.waybill, False)}),
    "evaluate": (_evaluate, {"level": (inputs.one_of(EVALUATION_LEVELS), True),
                             "comment": (inputs.text, False)}),
}
