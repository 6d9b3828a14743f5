"""Handoffs (异地代收代办): a case collected at one center and handled at another.

A handoff moves the processing to the center that decides the matter: the
collecting center hands off (``hand_off``, with 收件即受理 after accepting, so
the clock already runs), the handling center takes it over (``take_over``) or
returns it, misrouted (``return_handoff``), and goes on from where it was.
``sync.case_machine.holder`` says which center may act on the case meanwhile;
the hub moves the case's ownership with each step (``hub.handoffs``).

The hub keeps a row per handoff (``hub.models.CaseHandoff``) whose state moves
with the case's actions, as the hub sees them::

    hand_off ─► HANDOFF_SENT ─ take_over ─► HANDOFF_TAKEN ─ decide ─► HANDOFF_DECIDED
                HANDOFF_SENT ─ return_handoff ─► HANDOFF_RETURNED
    hand_off ─► HANDOFF_UNDELIVERABLE   (the target is not an enrolled, unrevoked center:
                                        the hub keeps the case where it is)

``HANDOFF_DECIDED`` means the handling center settled the case: ``decide``,
``complete_immediate`` or ``withdraw``. The values are stored: never change one.
"""
from __future__ import annotations

import dataclasses

from sync import case_inputs as inputs
from sync.case_labels import HANDED_OFF
from sync.case_state import Handoff

HANDOFF_SENT, HANDOFF_TAKEN = "sent", "taken"
HANDOFF_RETURNED, HANDOFF_DECIDED, HANDOFF_UNDELIVERABLE = "returned", "decided", "undeliverable"


# -- the transitions: each returns the fields that change ------------------------------

def _hand_off(case, at, data):
    if data["consent"] is not True:
        inputs.fail("consent", "移交须经申请人同意共享申请材料")
    return {"state": HANDED_OFF, "handoffs": case.handoffs + (
        Handoff(data["target"], at, case.state, data.get("waybill", "")),)}


def _settle_handoff(case, **changes):
    last = dataclasses.replace(case.handoffs[-1], **changes)
    return {"state": last.resumes_to, "handoffs": case.handoffs[:-1] + (last,)}


# action -> (transition, {data key: (checker, required)}), as ``sync.case_machine`` takes them.
RULES = {
    "hand_off": (_hand_off, {"target": (inputs.center_code, True),
                             "consent": (inputs.boolean, True),
                             "waybill": (inputs.waybill, False)}),
    "take_over": (lambda case, at, data: _settle_handoff(case, taken_at=at), {}),
    "return_handoff": (lambda case, at, data: _settle_handoff(
        case, returned_at=at, return_reason=data["reason"]), {"reason": (inputs.text, True)}),
}
