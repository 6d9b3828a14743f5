"""Handoffs at the hub (异地代收代办): route a case to the center that decides it,
move its ownership, and relay each side's actions to the other.

Used by the run of case events (``hub.cases.batch``) for every case action it applies,
inside the same transaction, so a routed handoff and its messages are stored
exactly once with the event that caused them:

* ``hand_off`` by the collecting center: the target gets the case with every
  signed event so far (``handoff.offer``) and becomes its owner; a target that
  is not enrolled or was revoked cannot take it, so the case goes back
  (``handoff.returned``) and stays the collecting center's.
* any later action of either center reaches the other (``case.relayed``), and
  the owner follows ``case_machine.holder``: back to the collecting center when
  the handling center returns the case or decides it.
* ``open_joint`` consulting a department at another center (并联审批): that
  center gets the case (``joint.request``) and every later action; its opinion
  comes back through ``hub.cases.parallel``.
"""
from __future__ import annotations

import datetime

import orjson
from peewee import fn

from hub.calendar.in_force import calendar_in_force
from hub.ledger.ownership import owner_of, transfer
from hub.ledger.signed_events import signed_events, signing_keys
from hub.ledger.stream import send
from hub.models import CaseHandoff, HubCase, database
from sync import case_clock, case_machine, case_records, case_state, relay
from sync.case_handoffs import (HANDOFF_DECIDED, HANDOFF_RETURNED, HANDOFF_SENT, HANDOFF_TAKEN,
                                HANDOFF_UNDELIVERABLE)
from sync.envelope import now_ms
from sync.errors import Code, ProtocolError
from sync.topology import load_topology

# The step a handling center's action settles a handoff at.
SETTLED_BY = {"take_over": HANDOFF_TAKEN, "return_handoff": HANDOFF_RETURNED}


def refuse_unless_holder(number: str, origin: str, owner: str | None) -> None:
    """Refuse a case action by a center that does not hold the case now (``owner``, as of
    the action: ``hub.ledger.apply`` checks ownership once per batch, and a handoff moves
    it in the middle of one)."""
    if owner is not None and owner != origin:
        raise ProtocolError(f"case {number} is held by {owner}, not {origin}",
                            code=Code.NOT_OWNER)


def undeliverable(target: str, collecting: str) -> str:
    """Why the hub cannot hand a case to ``target`` (in Chinese), or ""."""
    center = load_topology().by_code.get(target)
    if center is None or target == collecting:
        return f"办理中心 {target} 不是可以移交的中心"
    # Plain SQL: asked in the one writer's turn, where peewee's query building costs more.
    db = database.obj
    state = db.execute_sql("SELECT enrolled_at, revoked_at FROM center_state "
                           f"WHERE code = {db.param}", (target,)).fetchone()
    if state is None or state[0] is None:
        return f"{center.name}尚未接入，无法移交"
    if state[1] is not None:
        return f"{center.name}的接入已吊销，无法移交"
    return ""


def _other_party(case: case_state.CaseState, origin: str, collecting: str,
                 action: str) -> str | None:
    """The center to relay an action to: the other end of the current handoff."""
    last = case.handoffs[-1] if case.handoffs else None
    if last is None:
        return None
    if action == "return_handoff":
        return collecting if origin == last.target else None
    if last.taken_at is None or last.returned_at is not None:
        return None  # not (or no longer) handed: nothing for the other center to see
    return last.target if origin == collecting else collecting


def _parties(case: case_state.CaseState, origin: str, collecting: str,
             action: str) -> set[str]:
    """Every other center that holds a copy of the case: the other end of the handoff,
    and the centers its joint approval consults (``open_joint`` sends them the whole
    case instead)."""
    other = _other_party(case, origin, collecting, action)
    consulted = set() if action == "open_joint" else consulted_centers(case)
    return ({other} | consulted) - {None, origin}


def after_joint(row: HubCase, event: dict, case: case_state.CaseState) -> None:
    """Relay, consult and move ownership after an ``open_joint``, one by one: it sends the
    case's signed events, so it reads what the events before it wrote. ``hub.cases.batch``
    does the same for every other action in bulk."""
    record = event["payload"]
    number, action, origin, collecting = row.number, record["action"], event["origin"], row.center
    at = now_ms()
    for message in relays(number, event, case, collecting, signing_keys):
        send(*message)
    _consult(number, case, origin, collecting)
    holder = case_machine.holder(case, collecting)
    if holder != owner_of(case_records.record_of(number)):
        transfer(case_records.record_of(number), holder, at)
    current = latest(number)
    if settle(current, action, origin, record, at):
        current.save()


def relays(number: str, event: dict, case: case_state.CaseState, collecting: str,
           keys_of) -> list[tuple[str, str, dict]]:
    """The ``case.relayed`` messages of one action, to every other center that holds a
    copy of the case (``keys_of``: the signing keys of events, checked)."""
    parties = _parties(case, event["origin"], collecting, event["payload"]["action"])
    return [(party, "case.relayed", {"number": number, "events": [relay.relayed(event)],
                                     "keys": keys_of([event])})
            for party in sorted(parties)]


def consulted_centers(case: case_state.CaseState) -> set[str]:
    """The other centers the case's joint approval asks for an opinion (并联审批)."""
    return {sub.center for sub in case.joint if sub.center}


def _consult(number: str, case: case_state.CaseState, owner: str, collecting: str) -> None:
    """Send each center a joint approval consults the case; tell the owner of one that
    cannot get it (not enrolled, revoked)."""
    events = signed_events([number])[number]
    for center in sorted(consulted_centers(case)):
        problem = undeliverable(center, collecting)
        if problem:
            send(owner, "notice", {"title": f"办件 {number} 的会签请求无法送达",
                                   "body": f"{problem}。请改请其他部门会签，"
                                           "或期限届满后按本中心规则结束联合审批。"})
            continue
        send(center, "joint.request", {"number": number, "owner": owner, "events": events,
                                       "keys": signing_keys(events)})


def new_handoff(number: str, k: int, collecting: str, target: str, at: int,
                problem: str) -> CaseHandoff:
    """The case's ``k``-th handoff as ``hand_off`` opens it (not yet stored): sent, or
    undeliverable at once for ``problem`` (``undeliverable``)."""
    return CaseHandoff(number=number, k=k, collecting=collecting, target=target, sent_ms=at,
                       state=HANDOFF_UNDELIVERABLE if problem else HANDOFF_SENT,
                       settled_ms=at if problem else None, reason=problem)


def returned(handoff: CaseHandoff) -> tuple[str, str, dict]:
    """The message telling the collecting center an undeliverable handoff came back."""
    return (handoff.collecting, "handoff.returned",
            {"number": handoff.number, "target": handoff.target, "reason": handoff.reason})


def latest(number: str) -> CaseHandoff | None:
    """The case's current (last) handoff, if it has one."""
    return (CaseHandoff.select().where(CaseHandoff.number == number)
            .order_by(CaseHandoff.k.desc()).first())


def settle(current: CaseHandoff | None, action: str, origin: str, record: dict,
           at: int) -> bool:
    """Bring the current handoff's row up to date with an action, for the hub's pages and
    alerts; whether it changed (the caller saves it)."""
    if (current is None or current.state not in (HANDOFF_SENT, HANDOFF_TAKEN)
            or origin != current.target):
        return False
    if action == "take_over":
        current.state, current.taken_ms = HANDOFF_TAKEN, at
    elif action == "return_handoff":
        current.state, current.settled_ms = HANDOFF_RETURNED, at
        current.reason = record["data"].get("reason", "")
    elif action in ("decide", "complete_immediate", "withdraw"):
        current.state, current.settled_ms = HANDOFF_DECIDED, at
    else:
        return False
    return True


def pending(within: frozenset[str], now: int | None = None) -> list[dict]:
    """Open handoffs touching ``within`` (collecting or handling), oldest first: sent and
    not yet taken over, or taken over and not yet decided."""
    now = now or now_ms()
    rows = (CaseHandoff.select(CaseHandoff, HubCase.due_date, HubCase.state.alias("case_state"),
                               HubCase.matter)
            .join(HubCase, on=(HubCase.number == CaseHandoff.number))
            .where(CaseHandoff.state.in_([HANDOFF_SENT, HANDOFF_TAKEN]))
            .order_by(CaseHandoff.sent_ms).objects())
    name = load_topology().name_of
    return [{"number": h.number, "matter": orjson.loads(h.matter)["name"],
             "collecting": h.collecting, "collecting_name": name(h.collecting),
             "target": h.target, "target_name": name(h.target), "handoff": h.state,
             "case_state": h.case_state,
             "due_date": h.due_date, "waiting_s": (now - h.sent_ms) // 1000,
             "sent_at": _china(h.sent_ms), "taken_at": _china(h.taken_ms)}
            for h in rows if h.collecting in within or h.target in within]


def _china(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.datetime.fromtimestamp(ms / 1000, case_clock.CHINA).isoformat(
        timespec="seconds")


def conditions(now: int, settings: dict) -> dict[tuple[str, str], str]:
    """Alerts per handling center: handoffs not taken over in time, and open handed
    cases near or past their promised day (``hub.coverage.alerts`` opens and clears them)."""
    found: dict[tuple[str, str], str] = {}
    late_ms = now - settings["handoff_ack_alert_s"] * 1000
    unacked = dict(CaseHandoff.select(CaseHandoff.target, fn.COUNT(CaseHandoff.number))
                   .where((CaseHandoff.state == HANDOFF_SENT) & (CaseHandoff.sent_ms < late_ms))
                   .group_by(CaseHandoff.target).tuples())
    hours = settings["handoff_ack_alert_s"] // 3600
    for target, count in unacked.items():
        found[(target, "handoff_unacked")] = f"{count} 件移交超过 {hours} 小时未接收"
    calendar, today = calendar_in_force(), datetime.datetime.fromtimestamp(
        now / 1000, case_clock.CHINA).date()
    overdue, near = {}, {}
    open_cases = (CaseHandoff.select(CaseHandoff.target, HubCase.due_date)
                  .join(HubCase, on=(HubCase.number == CaseHandoff.number))
                  .where(CaseHandoff.state.in_([HANDOFF_SENT, HANDOFF_TAKEN])
                         & HubCase.due_date.is_null(False))
                  .tuples())
    for target, due in open_cases:
        left = calendar.workdays_between(today, datetime.date.fromisoformat(due))
        if left < 0:
            overdue[target] = overdue.get(target, 0) + 1
        elif left <= settings["handoff_due_warning_days"]:
            near[target] = near.get(target, 0) + 1
    for target in overdue.keys() | near.keys():
        parts = [f"{overdue[target]} 件已超期" if target in overdue else "",
                 f"{near[target]} 件临近期限" if target in near else ""]
        found[(target, "handoff_due")] = "移交办件" + "，".join(filter(None, parts))
    return found
