"""A district's read-only copy of its streets' cases (督导), kept from the hub's relays.

The district asks for it with ``subscribe`` (``hallsync node supervise on``),
an event of its own. The hub then sends ``case.supervised`` messages: each
case's events exactly as their origins signed them. Each is checked here end
to end (``sync.relay.fault``: content against hash, origin's signature) and
must be a case of one of this district's own streets, acted on only by that
street or a center it was handed to; anything else is refused with
``AuthError`` and stops the stream there, as every bad message does. The copy
is ``SupervisedCase``: the state is the replay of the log through
``sync.case_records.replay``, the hub's own replay, so both agree exactly.

The subscription is the latest ``supervision.subscribe`` event in this center's
outbox: no table of its own, so ``recover`` restores it with the events.
"""
from __future__ import annotations

import datetime

import orjson

from node import outbox
from node.inbox import Context, applies
from node.models import OutboxEvent, SupervisedCase, database
from node.work_calendar import calendar_in_force
from sync import case_clock, case_machine, case_records, case_state, supervision
from sync.case_numbers import parse_case_number
from sync.errors import AuthError, Code, Forbidden, NotFound, SequenceError
from sync.relay import fault
from sync.signing import KeyPair
from sync.topology import load_topology

CASE_EVENTS = ("case.received", "case.action")


def subscribed() -> dict | None:
    """The latest subscription this center asked for (``on``, since when in China), or None."""
    row = (OutboxEvent.select(OutboxEvent.payload, OutboxEvent.created_at)
           .where(OutboxEvent.type == supervision.SUBSCRIBE)
           .order_by(OutboxEvent.seq.desc()).first())
    if row is None:
        return None
    at = datetime.datetime.fromisoformat(row.created_at.replace("Z", "+00:00"))
    return {"on": orjson.loads(row.payload)["on"], "since": case_records.iso(at)}


def subscribe(keys: KeyPair, center: str, on: bool) -> dict:
    """Ask the hub to relay (or stop relaying) the streets' case events; nothing if unchanged.

    :raises Forbidden: when this center is not a district center.
    """
    streets = supervision.streets_of(center, load_topology())
    with database.atomic():
        current = subscribed()
        changed = bool(current and current["on"]) != on
        if changed:
            outbox.emit(keys, center, supervision.SUBSCRIBE, "", {"on": on})
    return {"center": center, "on": on, "changed": changed, "streets": len(streets),
            "next": "the next sync tells the hub" if changed else "already so"}


# -- the hub's message ----------------------------------------------------------------------

def _refuse(number: str, why: str, code: Code = Code.NOT_OWNER) -> AuthError:
    return AuthError(f"supervised case {number}: {why}", code=code)


def _keep(number: str, events: list[dict], keys: dict, streets: set[str]) -> int:
    """Check one case's relayed events and add the new ones to its copy; returns how many."""
    street = parse_case_number(number).center
    if street not in streets:
        raise _refuse(number, f"{street} is not a street of this district", Code.FORBIDDEN)
    row = SupervisedCase.get_or_none(SupervisedCase.number == number)
    received = orjson.loads(row.received) if row else None
    log = orjson.loads(row.log) if row else []
    added = 0
    for event in events:
        problem = fault(event, keys)
        if problem:
            raise _refuse(number, problem, Code.SIGNATURE_INVALID)
        if event["type"] not in CASE_EVENTS or event["record"] != case_records.record_of(number):
            raise _refuse(number, f"event {event['origin']}#{event['seq']} is not of this case")
        if event["type"] == "case.received":
            if event["origin"] != street:
                raise _refuse(number, f"received by {event['origin']}, not by {street}")
            if received is None:
                received, added = _without_contact(event["payload"]), added + 1
            continue
        action = event["payload"]
        if received is None or action["n"] > len(log) + 1:
            raise SequenceError(f"supervised case {number}: action {action['n']} before "
                                f"{len(log) + 1}", code=Code.SEQUENCE_GAP,
                                expected_seq=len(log) + 1)
        if action["n"] <= len(log):
            continue  # delivered before
        # Only the street, or a center the case was handed to, ever acts on it.
        allowed = {street} | {a["data"].get("target") for a in log if a["action"] == "hand_off"}
        if event["origin"] not in allowed:
            raise _refuse(number, f"action {action['n']} by {event['origin']}, which does "
                                  "not hold the case")
        log.append(action)
        added += 1
    if added:
        _store(number, street, received, log)
    return added


def _without_contact(received: dict) -> dict:
    """The receipt as kept here: supervision needs who applied, not their ID or phone, nor
    the hash of their query code."""
    applicant = received["applicant"]
    kept = {key: value for key, value in received.items() if key != "query_hash"}
    return {**kept, "applicant": {"kind": applicant["kind"], "name": applicant["name"]}}


def _store(number: str, street: str, received: dict, log: list[dict]) -> None:
    case = case_records.replay(received, log)
    matter = received["matter"]
    # The promised day as of the last action, as the hub keeps it (hub.cases.batch.due_date).
    due = case_clock.deadline(case, calendar_in_force(), matter["promised_limit_days"],
                               today=case_clock.china_date(case.history[-1].at))
    columns = {
        "street": street, "matter_code": matter["basic_code"],
        "matter": orjson.dumps(matter).decode(), "applicant_kind": received["applicant"]["kind"],
        "applicant_name": received["applicant"]["name"],
        "green_channel": bool(received["green_channel"]), "state": case.state,
        "received_at": received["at"],
        "accepted_at": case_records.iso(case.accepted_at) if case.accepted_at else None,
        "promised_date": due.day.isoformat() if due else None,
        "decided_at": case_records.iso(case.decision.decided_at) if case.decision else None,
        "outcome": case.decision.outcome if case.decision else None,
        "document_number": case.decision.document_number if case.decision else None,
        "holder": case_machine.holder(case, street), "received": orjson.dumps(received).decode(),
        "log": orjson.dumps(log).decode()}
    (SupervisedCase.insert(number=number, **columns)
     .on_conflict(conflict_target=[SupervisedCase.number], update=columns).execute())


@applies(supervision.RELAYED, relay=True)
def _supervised(message: dict, ctx: Context) -> str:
    """Street cases relayed by the hub: each event checked, then added to the read-only copy."""
    payload = message["payload"]
    try:
        streets = set(supervision.streets_of(ctx.center, load_topology()))
    except (Forbidden, NotFound) as exc:  # this center supervises no one
        raise AuthError(f"supervised cases sent to {ctx.center}: {exc.detail}",
                        code=Code.FORBIDDEN) from None
    added = sum(_keep(item["number"], item["events"], payload.get("keys", {}), streets)
                for item in payload["cases"])
    return f"supervised {len(payload['cases'])} case(s): {added} new event(s)"


def replayed(row: SupervisedCase) -> tuple[case_state.CaseState, list[dict]]:
    """The copy's state (its receipt and log replayed) and its action log."""
    log = orjson.loads(row.log)
    return case_records.replay(orjson.loads(row.received), log), log


def load(number: str) -> tuple[SupervisedCase, case_state.CaseState, list[dict]]:
    """The copy's row, its state and its action log."""
    row = SupervisedCase.get_or_none(SupervisedCase.number == number)
    if row is None:
        raise NotFound(f"没有督导办件 {number}：该街道尚未同步此办件")
    return (row, *replayed(row))
