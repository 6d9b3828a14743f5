"""Parallel approval across levels at the hub (市区两级并联审批): consulted opinions,
the consultations still waiting, and their alerts.

A center consulted in another center's joint approval (``hub.cases.handoffs`` sent
it the case) gives its opinion as its own signed event on its own record
(``joint.opinion``, record ``opinion:<number>:<department>``). The hub checks
it comes from the center the joint approval names for that department and
passes it, signature intact, to the case's owner, which records it
(``node.parallel``); the owner's record then reaches everyone as any action.
"""
from __future__ import annotations

import datetime

from hub.calendar.in_force import calendar_in_force
from hub.cases.copies import state_of
from hub.cases.handoffs import consulted_centers
from hub.ledger.ownership import owner_of
from hub.ledger.registry import handles
from hub.ledger.signed_events import signing_keys
from hub.ledger.stream import send
from hub.models import HubCase, HubCaseAction
from sync import case_clock, case_labels, case_records, relay
from sync.errors import Code, ProtocolError
from sync.topology import load_topology


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
    joint = HubCaseAction.select(HubCaseAction.number).where(HubCaseAction.action == "open_joint")
    rows = HubCase.select().where(HubCase.number.in_(joint) & HubCase.state.in_(
        [case_labels.JOINT_REVIEW, case_labels.SUSPENDED_SUPPLEMENT]))
    found = []
    for row in rows:
        number = row.number
        case, holder = state_of(row), owner_of(case_records.record_of(number))
        if not ({holder} | consulted_centers(case)) & within:
            continue
        for sub in case.joint:
            if sub.center and sub.decision is None:
                found.append({"number": number, "department": sub.department,
                              "center": sub.center, "holder": holder,
                              "deadline": sub.deadline.isoformat(), "missing": list(sub.missing)})
    return sorted(found, key=lambda item: (item["deadline"], item["number"]))


def conditions(now: int, settings: dict) -> dict[tuple[str, str], str]:
    """Alerts per consulted center: opinions it owes near or past their deadline (the same
    ``handoff_due_warning_days`` as handed cases; ``hub.coverage.alerts`` opens and clears them)."""
    calendar = calendar_in_force()
    today = datetime.datetime.fromtimestamp(now / 1000, case_clock.CHINA).date()
    late: dict[str, list[int]] = {}
    for item in open_consultations(frozenset(load_topology().by_code)):
        left = calendar.workdays_between(today, datetime.date.fromisoformat(item["deadline"]))
        if left <= settings["handoff_due_warning_days"]:
            counts = late.setdefault(item["center"], [0, 0])
            counts[0 if left < 0 else 1] += 1
    found = {}
    for center, (overdue, near) in late.items():
        parts = [f"{overdue} 项已过会签期限" if overdue else "",
                 f"{near} 项临近会签期限" if near else ""]
        found[(center, "consult_due")] = "并联审批意见" + "，".join(filter(None, parts))
    return found
