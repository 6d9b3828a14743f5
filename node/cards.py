"""Electronic supervision at a node: the cards of the cases this center collected.

The same ``sync.cards.cards`` the hub runs on its copies (``hub.cases.cards``), so a
center and the city list the same cards. Three queries whatever the number of cases:
the rows, every action of those rows, replayed in memory, and the 督办 orders the hub
sent on their yellow cards (``sync.cards.ORDERED``, applied here from the pull stream).
"""
from __future__ import annotations

import datetime
from collections import defaultdict

import orjson

from node import store
from node.inbox import Context, applies
from node.models import Case, CaseAction, SupervisionOrder
from node.work_calendar import calendar_in_force
from sync import case_records
from sync.calendar import WorkCalendar
from sync.cards import CLOCKS, LEVELS, ORDERED, Card, Order, cards, order_key
from sync.topology import load_topology


def center_cards(today: datetime.date, calendar: WorkCalendar | None = None) -> list[Card]:
    """Every card of this center's own cases (collected here) as of ``today``, sorted."""
    calendar = calendar or calendar_in_force()
    center = store.state().center
    rows = list(Case.select(Case.number, Case.matter, Case.received)
                .where((Case.collected_by == center) & ~Case.consulted))
    logs = defaultdict(list)
    for a in (CaseAction.select().join(Case, on=(CaseAction.number == Case.number))
              .where((Case.collected_by == center) & ~Case.consulted)
              .order_by(CaseAction.number, CaseAction.n)):
        logs[a.number].append({"n": a.n, "action": a.action, "role": a.role, "user": a.user,
                               "at": a.at, "data": orjson.loads(a.data)})
    ordered = defaultdict(dict)
    for o in SupervisionOrder.select():  # on cases collected here, or handed here (unused)
        ordered[o.number][order_key(o.clock, o.department)] = Order.from_row(o)
    found = []
    for row in rows:
        case = case_records.replay(orjson.loads(row.received), logs[row.number])
        found += cards(case, orjson.loads(row.matter)["promised_limit_days"], calendar, today,
                       orders=ordered[row.number])
    return sorted(found)


@applies(ORDERED)
def apply_order(message: dict, ctx: Context) -> str:
    """The hub's 督办 order on a yellow card of a case collected here, so this center's
    cards take its deadline as the hub's do, or handed here, whose page shows it."""
    payload = message["payload"]
    try:
        order = Order.from_dict(payload)
        clock, department, number = payload["clock"], payload["department"], payload["number"]
    except (KeyError, TypeError, ValueError) as exc:
        return f"not applied: malformed order ({exc})"
    if clock not in CLOCKS:
        return f"not applied: unknown clock {clock!r}"
    if Case.get_or_none(Case.number == number) is None:
        return f"not applied: no case {number} here"
    (SupervisionOrder.insert(number=number, clock=clock, department=department,
                             due=order.due.isoformat(), note=order.note, by=order.by,
                             issued_at=order.issued_at, message_id=message["id"])
     .on_conflict_replace().execute())
    return "applied"


def orders_of(number: str) -> list[dict]:
    """The 督办 orders on one case's cards, for its page: which clock, by when, why."""
    return [{"clock": CLOCKS[o.clock] + (f"（{o.department}）" if o.department else ""),
             "due": o.due, "note": o.note, "by": load_topology().name_of(o.by),
             "issued_at": o.issued_at}
            for o in SupervisionOrder.select().where(SupervisionOrder.number == number)
            .order_by(SupervisionOrder.issued_at)]


def listing(today: datetime.date) -> dict:
    """``node cards``: this center's cards, counted per level (as ``hub cards`` lists a center)."""
    center = store.state().center
    found = center_cards(today)
    return {"center": center, "name": load_topology().name_of(center), "as_of": today.isoformat(),
            "counts": {level: sum(c.level == level for c in found) for level in LEVELS},
            "cards": [c.as_dict() for c in found]}
