"""Rectification orders (整改) at the hub: the owning center's steps, and the appeal's decision.

A center writes its orders (``sync.rectification``); the hub keeps each order's
steps as they arrive (``rectification.action``), replayed through the same rules
as the node, so a step those rules refuse is quarantined, never applied. The
appeal (申诉) is decided here by a district admin of the center's district or a
city operator: the decision is the hub's own, kept on the order and sent to the
center in its pull stream (``rectification.appeal_decided``). An upheld appeal
takes the bad review out of the satisfaction per window (``hub.stats.satisfaction``).
"""
from __future__ import annotations

import datetime

import orjson

from hub.calendar.in_force import calendar_in_force
from hub.ledger.ownership import owners_of
from hub.ledger.registry import handles
from hub.ledger.stream import send
from hub.models import HubRectification, database
from sync import case_records
from sync import rectification as rules
from sync.database import insert_rows
from sync.errors import ConflictError, NotFound, ValidationError
from sync.topology import load_topology

DECISIONS = {"upheld": "申诉成立", "rejected": "申诉不成立"}
COLUMNS = ("number", "center", "steps", "level", "opened_at", "due", "replied_at",
           "appeal_state", "decided_by", "decided_at", "decision_note")


@handles(rules.ACTION)
def apply_steps(events: list[dict]) -> None:
    """A run of steps, in order, over orders read once and written in one statement; the
    rules refuse a step out of turn (the run is retried in halves down to it, quarantined)."""
    numbers = sorted({event["payload"]["number"] for event in events})
    rows = {row["number"]: row for row in HubRectification.select()
            .where(HubRectification.number.in_(numbers)).dicts()}
    orders = {number: rules.replay(orjson.loads(row["steps"])) for number, row in rows.items()}
    for row in rows.values():  # the appeal's state is the hub's: only an appeal sets it here
        row["appeal_state"] = ""
    holders = owners_of({case_records.record_of(number) for number in numbers})
    for event in events:
        step, origin, number = event["payload"], event["origin"], event["payload"]["number"]
        known = orders.get(number)
        order = orders[number] = rules.apply(known, step)
        if known is None:
            # Only the case's one writer, which recorded the evaluation, opens its order.
            holder = holders.get(case_records.record_of(number))
            if holder != origin:
                raise ConflictError(f"{number} is held by {holder}, not {origin}")
            rows[number] = {"number": number, "center": origin, "level": order.level,
                            "opened_at": order.opened_at, "due": order.due.isoformat(),
                            "appeal_state": "", "decided_by": "", "decided_at": "",
                            "decision_note": ""}
        row = rows[number]
        row.update(steps=orjson.dumps(list(order.steps)).decode(), replied_at=order.replied_at)
        if step["action"] == "appeal":
            row["appeal_state"] = "pending"
    insert_rows(database.obj, "hub_rectification", COLUMNS,
                [tuple(rows[number][c] for c in COLUMNS) for number in numbers],
                suffix="ON CONFLICT (number) DO UPDATE SET steps = excluded.steps, "
                       "replied_at = excluded.replied_at, appeal_state = CASE "
                       "WHEN excluded.appeal_state = 'pending' THEN 'pending' "
                       "ELSE hub_rectification.appeal_state END")


def view(row: HubRectification, calendar, today: datetime.date) -> dict:
    order = rules.replay(orjson.loads(row.steps))
    light = rules.light(order, calendar, today)
    return {"number": row.number, "center": row.center,
            "center_name": load_topology().name_of(row.center), "level": row.level,
            "comment": order.comment, "opened_at": row.opened_at, "due": row.due,
            "days": order.days, "light": light, "light_label": rules.LIGHTS[light],
            "replied_late": rules.replied_late(order, calendar), "callbacks": order.callbacks,
            "reply": order.reply, "replied_at": row.replied_at, "appeal": order.appeal,
            "appeal_state": row.appeal_state,
            "appeal_state_label": rules.APPEAL_STATES[row.appeal_state],
            "decided_by": row.decided_by, "decided_at": row.decided_at,
            "decision_note": row.decision_note}


def listing(centers: frozenset[str], today: datetime.date) -> list[dict]:
    """The orders of these centers: pending appeals first, then red, yellow, green, done."""
    calendar = calendar_in_force()
    rows = (HubRectification.select().where(HubRectification.center.in_(list(centers)))
            .order_by(HubRectification.opened_at.desc()))
    rank = {"red": 1, "yellow": 2, "green": 3, "done": 4}
    items = [view(row, calendar, today) for row in rows]
    return sorted(items, key=lambda i: (i["appeal_state"] != "pending", rank[i["light"]]))


def decide(number: str, centers: frozenset[str], decision: str, note: str, user: str,
           at: str) -> dict:
    """Decide a pending appeal, once, and tell the center.

    :raises NotFound: no order, or one outside ``centers`` (the same answer).
    :raises ValidationError: an unknown decision or no note. :raises ConflictError: no
        appeal pending (none made, or decided already).
    """
    if not isinstance(decision, str) or decision not in DECISIONS:
        raise ValidationError("decision: 请选择“申诉成立”或“申诉不成立”", field="decision")
    note = note.strip() if isinstance(note, str) else ""
    if not note or len(note) > rules.MAX_TEXT:
        raise ValidationError(f"note: 请填写审核意见（不超过 {rules.MAX_TEXT} 字）", field="note")
    with database.atomic():
        row = HubRectification.get_or_none(HubRectification.number == number)
        if row is None or row.center not in centers:
            raise NotFound(f"没有办件 {number} 的整改工单")
        decided = HubRectification.update(
            appeal_state=decision, decided_by=user, decided_at=at, decision_note=note).where(
            (HubRectification.number == number)
            & (HubRectification.appeal_state == "pending")).execute()
        if not decided:
            raise ConflictError("该工单没有待审核的申诉（未申诉或已审核）")
        send(row.center, rules.APPEAL_DECIDED, {"number": number, "decision": decision,
                                                "note": note})
    return {"number": number, "appeal_state": decision}
