"""Electronic supervision at the hub: the cards of its case copies, by center.

The same ``sync.cards.cards`` a node runs on its own cases (``node.cards``), so the
city lists exactly the cards each center lists. Two queries whatever the number of
cases: the copies, then all their actions, replayed in memory.
"""
from __future__ import annotations

import datetime
from collections import defaultdict

import orjson

from hub.calendar.in_force import calendar_in_force
from hub.models import OPEN_LITERAL, HubCase, HubCaseAction, HubSupervisionOrder
from sync import case_records
from sync.calendar import WorkCalendar
from sync.cards import LEVELS, Card, Order, cards, order_key
from sync.topology import load_topology


def hub_cards(today: datetime.date, centers: list[str] | None = None,
              calendar: WorkCalendar | None = None, *, open_only: bool = False,
              department: str | None = None, matter: str | None = None,
              number: str | None = None) -> dict[str, list[Card]]:
    """Each center's cards as of ``today`` (``centers``: only those; ``open_only``: of open
    cases only, the sliver the figures read by their partial index; ``department`` /
    ``matter`` / ``number``: of those cases only), sorted; centers without a card are left
    out. The 督办 orders issued here set their cards' deadlines. Three statements whatever
    the number of cases: the copies, their actions, their orders (and which calendar is in
    force, unless ``calendar`` is given)."""
    calendar = calendar or calendar_in_force()
    rows = HubCase.select(HubCase.number, HubCase.center, HubCase.matter, HubCase.received)
    actions = HubCaseAction.select().join(HubCase, on=(HubCaseAction.number == HubCase.number))
    orders = HubSupervisionOrder.select().join(
        HubCase, on=(HubSupervisionOrder.number == HubCase.number))
    conditions = [HubCase.center.in_(centers)] if centers is not None else []
    if open_only:
        conditions.append(OPEN_LITERAL)
    if department:
        conditions.append(HubCase.department == department)
    if matter:
        conditions.append(HubCase.matter_code == matter)
    if number:
        conditions.append(HubCase.number == number)
    for condition in conditions:
        rows, actions, orders = (rows.where(condition), actions.where(condition),
                                 orders.where(condition))
    logs = defaultdict(list)
    for a in actions.order_by(HubCaseAction.number, HubCaseAction.n):
        logs[a.number].append({"n": a.n, "action": a.action, "role": a.role, "user": a.user,
                               "at": a.at, "data": orjson.loads(a.data)})
    ordered = defaultdict(dict)
    for o in orders:
        ordered[o.number][order_key(o.clock, o.department)] = Order.from_row(o)
    found = defaultdict(list)
    for row in rows:
        case = case_records.replay(orjson.loads(row.received), logs[row.number])
        found[row.center] += cards(case, orjson.loads(row.matter)["promised_limit_days"],
                                   calendar, today, orders=ordered[row.number])
    return {center: sorted(found[center]) for center in sorted(found) if found[center]}


def listing(center: str | None, today: datetime.date, *, level: str | None = None,
            open_only: bool = False) -> dict:
    """``hub cards`` and the ``/cards`` page: the cards of ``center`` and every center below
    it (default the city), counted per level and listed per center; ``level``: only those;
    ``open_only``: of open cases only (what a supervisor acts on, read by the partial index
    of open cases, where the closed cases' irregular handling needs every case replayed).

    :raises NotFound: (CENTER_UNKNOWN) when no center has this code.
    """
    topology = load_topology()
    root = topology.get(center or topology.hub.code)
    by_center = {code: [c for c in found if level in (None, c.level)]
                 for code, found in hub_cards(today, topology.subtree(root.code),
                                              open_only=open_only).items()}
    by_center = {code: found for code, found in by_center.items() if found}
    centers = [{"code": code, "name": topology.name_of(code), "counts": counts(found),
                "cards": [c.as_dict() for c in found]} for code, found in by_center.items()]
    return {"center": root.code, "name": root.name, "as_of": today.isoformat(),
            "totals": counts([c for found in by_center.values() for c in found]),
            "centers": centers}


def counts(found: list[Card]) -> dict[str, int]:
    """Cards per level (``sync.cards.LEVELS``), every level present."""
    return {level: sum(c.level == level for c in found) for level in LEVELS}


def open_counts(centers: list[str] | None, today: datetime.date, **filters) -> dict[str, dict]:
    """Cards of open cases now, counted per level, per center (``centers``: only those,
    None: every one); ``filters``: ``department`` / ``matter``, as the figures take them."""
    return {center: counts(found) for center, found in
            hub_cards(today, centers, open_only=True, **filters).items()}
