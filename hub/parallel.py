"""Parallel approval across levels at the hub (市区两级并联审批): consulted opinions.

A center consulted in another center's joint approval (``hub.handoffs`` sent
it the case) gives its opinion as its own signed event on its own record
(``joint.opinion``, record ``opinion:<number>:<department>``). The hub checks
it comes from the center the joint approval names for that department and
passes it, signature intact, to the case's owner, which records it
(``node.parallel``); the owner's record then reaches everyone as any action.
"""
from __future__ import annotations

from hub.apply import handles, owner_of
from hub.cases import state_of
from hub.handoffs import consulted_centers
from hub.models import HubCase, HubCaseAction
from hub.signed_events import signing_keys
from hub.stream import send
from sync import case_records, case_states, relay
from sync.errors import Code, ProtocolError


@handles("joint.opinion")
def opinion(events: list[dict]) -> None:
    for event in events:
        given = event["payload"]
        number, department = given.get("number"), given.get("department")
        row = HubCase.get_or_none(HubCase.number == number)
        if row is None:
            raise ProtocolError(f"opinion on unknown case {number!r}", code=Code.NOT_FOUND)
        sub = next((s for s in state_of(row).joint if s.department == department), None)
        if sub is None or sub.center != event["origin"]:
            raise ProtocolError(f"{event['origin']} is not consulted on {number} for "
                                f"{department!r}", code=Code.NOT_OWNER)
        send(owner_of(case_records.record_of(number)), "joint.opinion",
             {"event": relay.relayed(event), "keys": signing_keys([event])})


def open_consultations(within: frozenset[str]) -> list[dict]:
    """Joint approvals waiting on a department at another center, touching ``within``
    (the handling or the consulted center), soonest deadline first."""
    numbers = (HubCaseAction.select(HubCaseAction.number).distinct()
               .join(HubCase, on=(HubCase.number == HubCaseAction.number))
               .where((HubCaseAction.action == "open_joint")
                      & HubCase.state.in_([case_states.JOINT_REVIEW,
                                           case_states.SUSPENDED_SUPPLEMENT])).tuples())
    found = []
    for (number,) in numbers:
        row = HubCase.get(HubCase.number == number)
        case, holder = state_of(row), owner_of(case_records.record_of(number))
        if not ({holder} | consulted_centers(case)) & within:
            continue
        for sub in case.joint:
            if sub.center and sub.decision is None:
                found.append({"number": number, "department": sub.department,
                              "center": sub.center, "holder": holder,
                              "deadline": sub.deadline.isoformat(), "missing": list(sub.missing)})
    return sorted(found, key=lambda item: (item["deadline"], item["number"]))
