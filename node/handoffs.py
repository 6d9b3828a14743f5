"""Handoffs at a node (异地代收代办): a case collected here and decided there.

The collecting center hands a case off in the transaction that receives it
(with 收件即受理, the ``receipt_is_acceptance`` setting, after accepting it, so
the clock runs from this first acceptance). The hub moves the case's
ownership to the handling center and sends it the case with the collecting
center's signed events (``handoff.offer``); from then on every action of
either side reaches the other (``case.relayed``), each checked end to end with
its origin's signature. ``Case.owner`` follows ``case_machine.holder`` exactly
as the hub's ownership does, so a center never acts on a case the other holds.
A handoff the hub cannot deliver (a revoked or never enrolled target) comes
back (``handoff.returned``) and is recorded here as returned.
"""
from __future__ import annotations

import orjson

from node.case_log import Actor, load, record_action, refresh, store_materials
from node.inbox import Context, applies
from node.models import Case, CaseAction, CatalogMatter, database
from sync import case_labels, case_records, case_state, relay
from sync.case_numbers import parse_case_number
from sync.catalog_scope import acceptance, decides_here
from sync.errors import AuthError, Code, NotFound, ProtocolError, SequenceError
from sync.topology import load_topology

# What only the deciding center does; a collecting center never takes these.
PROCESSING = frozenset({"start_review", "submit_for_approval", "return_to_review",
                        "suspend_supplement", "start_special", "end_special", "open_joint",
                        "joint_decide", "joint_supplement", "close_joint", "decide",
                        "complete_immediate"})


def collecting_center(number: str) -> str:
    """The center that received the case: its number begins with that center's code."""
    return parse_case_number(number).center


def actions_here(row: Case, matter: dict, actions: list[str], center: str) -> list[str]:
    """Of the state machine's ``actions``, those this center may take on the case."""
    if row.owner != center:
        return []  # handed to (or held by) the other center
    if decides_here(matter, center, load_topology()):
        return [a for a in actions if a != "hand_off"]
    return [a for a in actions if a not in PROCESSING]


def check_can_act(row: Case, action: str, center: str) -> None:
    """Refuse an action on a case another center holds, or one a collecting center never takes."""
    if row.owner != center:
        raise ProtocolError(f"办件 {row.number} 已移交 {row.owner} 办理，本中心不能操作",
                            code=Code.NOT_OWNER)
    matter = orjson.loads(row.matter)
    if action in PROCESSING and not decides_here(matter, center, load_topology()):
        raise ProtocolError(f"事项 {matter['name']} 由其他中心办理，本中心只收件并移交",
                            code=Code.NOT_OWNER)


def described(case: case_state.CaseState, row: Case) -> dict:
    """Where the case is collected and decided, and each handoff, for pages and the API."""
    topology = load_topology()
    here = collecting_center(row.number)
    decided_by = deciding_center(row, case, topology)
    name = topology.name_of
    return {"collecting": here, "collecting_name": name(here), "decided_by": decided_by,
            "decided_by_name": name(decided_by),
            "steps": [{"target": h.target, "target_name": name(h.target),
                       "sent_at": case_records.iso(h.sent_at), "waybill": h.waybill,
                       "taken_at": case_records.iso(h.taken_at) if h.taken_at else None,
                       "returned_at": case_records.iso(h.returned_at) if h.returned_at else None,
                       "return_reason": h.return_reason} for h in case.handoffs]}


def deciding_center(row: Case, case: case_state.CaseState, topology) -> str:
    """The center that decides the case: the collecting one, or where it is (to be) handed."""
    here = collecting_center(row.number)
    if decides_here(orjson.loads(row.matter), here, topology):
        return here
    if case.handoffs:
        return case.handoffs[-1].target
    # Not handed yet (the window's own formal check first): as the catalog routes it now.
    listed = CatalogMatter.get_or_none(CatalogMatter.code == row.matter_code)
    if listed is None:
        return here
    return acceptance(orjson.loads(listed.data), listed.status, here, topology).decided_by or here


# -- the hub's messages -------------------------------------------------------------

def _verified(payload: dict, origins: set[str]) -> list[dict]:
    """The relayed events, each checked against its origin's signature."""
    number, keys = payload["number"], payload.get("keys", {})
    for event in payload["events"]:
        problem = relay.fault(event, keys)
        if problem:
            raise AuthError(f"handoff of {number}: {problem}", code=Code.SIGNATURE_INVALID)
        if event["origin"] not in origins or event["record"] != case_records.record_of(number):
            raise AuthError(f"handoff of {number}: event {event['origin']}#{event['seq']} is "
                            f"not an event of this case's centers", code=Code.NOT_OWNER)
    return payload["events"]


def append_relayed(payload: dict, origins: set[str]) -> int:
    """Check the hub's relayed events of a case (each signed by one of ``origins``) and add
    those this center does not have yet; returns how many were new."""
    return _append(payload["number"], _verified(payload, origins))


def _append(number: str, events: list[dict]) -> int:
    # Plain SQL: a district applies relays every round, and peewee's query building cost
    # more than these reads.
    have = database.execute_sql("SELECT COUNT(*) FROM case_action WHERE number = ?",
                                (number,)).fetchone()[0]
    added, actions = 0, []
    for event in events:
        if event["type"] == "case.received":
            if not database.execute_sql('SELECT 1 FROM "case" WHERE number = ?',
                                        (number,)).fetchone():
                _store_relayed_receipt(event["payload"])
                added += 1
            continue
        record = event["payload"]
        if record["n"] <= have:
            continue  # a duplicate: already here
        if record["n"] != have + 1:
            raise SequenceError(f"case {number}: action {record['n']} before {have + 1}",
                                code=Code.SEQUENCE_GAP, expected_seq=have + 1)
        actions.append({"number": number, "n": record["n"], "action": record["action"],
                        "role": record["role"], "user": record["user"], "at": record["at"],
                        "data": orjson.dumps(record["data"]).decode()})
        have += 1
    if actions:  # one statement, however many actions the relay carries
        CaseAction.insert_many(actions).execute()
    return added + len(actions)


def _store_relayed_receipt(received: dict) -> None:
    applicant = received["applicant"]
    number = received["number"]
    Case.create(number=number, matter_code=received["matter"]["basic_code"],
                matter=orjson.dumps(received["matter"]).decode(),
                applicant_kind=applicant["kind"], applicant_name=applicant["name"],
                applicant_id=applicant["id_code"], applicant_phone=applicant["phone"],
                green_channel=received["green_channel"], state=case_labels.RECEIVED,
                received_at=received["at"], received=orjson.dumps(received).decode(),
                collected_by=collecting_center(number), owner=collecting_center(number))
    store_materials(number, received["materials"])


@applies("handoff.offer", relay=True)
def _offer(message: dict, ctx: Context) -> str:
    """A case handed to this center: the collecting center's events, checked, then kept."""
    payload = message["payload"]
    number = payload["number"]
    added = append_relayed(payload, {collecting_center(number), ctx.center})
    refresh(number)
    return f"handoff of {number} from {collecting_center(number)}: {added} new"


@applies("case.relayed", relay=True)
def _relayed(message: dict, ctx: Context) -> str:
    """The other center's action on a case both hold a part of."""
    payload = message["payload"]
    number = payload["number"]
    try:
        _row, case, _actions = _loaded(number)
    except NotFound:
        raise ProtocolError(f"case {number} is not known here", code=Code.NOT_FOUND) from None
    handler = case.handoffs[-1].target if case.handoffs else ctx.center
    added = append_relayed(payload, {collecting_center(number), handler})
    refresh(number)
    return f"case {number}: {added} new action(s)"


@applies("handoff.returned", relay=True)
def _returned(message: dict, ctx: Context) -> str:
    """The hub could not deliver our handoff: record it as returned, with the hub's reason."""
    payload = message["payload"]
    number = payload["number"]
    _row, case, _actions = _loaded(number)
    last = case.handoffs[-1] if case.handoffs else None
    if case.state != case_labels.HANDED_OFF or last is None or last.target != payload["target"]:
        return f"handoff of {number} already settled"
    record_action(ctx.keys, ctx.center, number, case, "return_handoff",
                  Actor("市政务服务中心（自动）", "center_admin"), {"reason": payload["reason"]})
    return f"handoff of {number} to {payload['target']} returned: {payload['reason']}"


def _loaded(number: str):
    return load(number)
