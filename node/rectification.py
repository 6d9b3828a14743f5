"""整改 at the owning center: the order a bad review opens, its 回访, reply and appeal.

``open_order`` runs inside the bad evaluation's transaction (``node.evaluation``),
so the order exists exactly when the review does; each step is stored and
written as a signed ``rectification.action`` event in one transaction. The reply
sends the applicant the approved ``rectification_reply`` SMS. The hub decides an
appeal and sends the decision back (``rectification.appeal_decided``).
"""
from __future__ import annotations

import datetime

import orjson

from node import outbox, store
from node.case_log import Actor, now
from node.inbox import applies
from node.models import Case, Rectification, database
from node.settings import NODE
from node.work_calendar import calendar_in_force
from sync import case_records, sms_events, sms_templates
from sync import rectification as rules
from sync.errors import NotFound
from sync.settings import resolve
from sync.signing import KeyPair


def setting(name: str):
    """One of this node's settings, read with its data directory's configuration: an
    evaluation forwarded by the hub opens its order outside any request, under the same rule."""
    return resolve(NODE, {"data_dir": str(store.bound_dir())})[name]


def open_order(keys: KeyPair, center: str, number: str, level: str, comment: str) -> None:
    """In the bad evaluation's transaction: the order, due ``rectification_reply_days``
    working days on."""
    at, days = now(), setting("rectification_reply_days")
    due = rules.due_day(at.date(), days, calendar_in_force())
    _write(keys, center, None, number, "open", Actor("系统", "system"),
           {"level": level, "comment": comment, "days": days, "due": due.isoformat()}, at)


def _write(keys: KeyPair, center: str, order: rules.Order | None, number: str, action: str,
           actor: Actor, data: dict, at: datetime.datetime) -> rules.Order:
    step = {"number": number, "n": order.n if order else 0, "action": action,
            "user": actor.user, "at": case_records.iso(at), "data": data}
    after = rules.apply(order, step)
    steps = orjson.dumps(list(after.steps)).decode()
    if order is None:
        Rectification.create(number=number, steps=steps, opened_at=step["at"],
                             due=after.due.isoformat())
    else:
        Rectification.update(steps=steps, replied_at=after.replied_at,
                             appeal_state="pending" if action == "appeal" else
                             Rectification.appeal_state).where(
            Rectification.number == number).execute()
    outbox.emit(keys, center, rules.ACTION, rules.record_of(number), step)
    return after


def load(number: str) -> tuple[Rectification, rules.Order]:
    row = Rectification.get_or_none(Rectification.number == number)
    if row is None:
        raise NotFound(f"办件 {number} 没有整改工单")
    return row, rules.replay(orjson.loads(row.steps))


def act(keys: KeyPair, center: str, number: str, action: str, actor: Actor,
        data: dict) -> rules.Order:
    """One step by the center admin: ``callback`` {note}, ``reply`` {text}, ``appeal``
    {reason}. A reply sends the applicant the ``rectification_reply`` SMS.

    :raises NotFound: no order. :raises ValidationError, ConflictError: as ``rules.apply``.
    """
    if action == "open":
        raise NotFound("整改工单只能由差评生成")
    with database.atomic():
        _row, order = load(number)
        after = _write(keys, center, order, number, action, actor, data, now())
        if action == "reply":
            _reply_sms(keys, center, number)
    return after


def _reply_sms(keys: KeyPair, center: str, number: str) -> None:
    case = Case.get(Case.number == number)
    contact = setting("rectification_contact_phone")
    if not sms_templates.PHONE.match(case.applicant_phone or ""):
        return
    outbox.emit(keys, center, sms_events.REQUESTED, "", sms_events.payload(
        "rectification_reply", case.applicant_phone,
        {"number": number, "phone": sms_templates.fit(contact)}, case=number))


def listing(today: datetime.date) -> list[dict]:
    """Every order of this center, the open ones first (red, yellow, green), newest first."""
    calendar = calendar_in_force()
    items = []
    for row in Rectification.select().order_by(Rectification.opened_at.desc()):
        items.append(view(row, rules.replay(orjson.loads(row.steps)), calendar, today))
    order = {"red": 0, "yellow": 1, "green": 2, "done": 3}
    return sorted(items, key=lambda i: order[i["light"]])


def view(row: Rectification, order: rules.Order, calendar, today: datetime.date) -> dict:
    light = rules.light(order, calendar, today)
    return {"number": order.number, "level": order.level, "comment": order.comment,
            "opened_at": order.opened_at, "days": order.days, "due": order.due.isoformat(),
            "light": light, "light_label": rules.LIGHTS[light],
            "replied_late": rules.replied_late(order, calendar),
            "callbacks": order.callbacks, "reply": order.reply, "replied_at": order.replied_at,
            "appeal": order.appeal, "appeal_state": row.appeal_state,
            "appeal_state_label": rules.APPEAL_STATES[row.appeal_state],
            "appeal_note": row.appeal_note,
            "steps": [{**s, "label": rules.ACTIONS[s["action"]]} for s in order.steps]}


@applies(rules.APPEAL_DECIDED)
def apply_appeal_decided(message: dict, _ctx) -> str:
    """The hub's decision on this center's appeal: upheld or rejected, with its note."""
    payload = message["payload"]
    state = payload.get("decision")
    if state not in ("upheld", "rejected"):
        return f"not applied: unknown decision {state!r}"
    done = Rectification.update(appeal_state=state, appeal_note=str(payload.get("note", ""))).where(
        Rectification.number == str(payload.get("number", ""))).execute()
    return "applied" if done else "not applied: no such order"
