"""Electronic supervision at a node: the cards of the cases this center collected.

The same ``sync.cards.cards`` the hub runs on its copies (``hub.cases.cards``), so a
center and the city list the same cards. Two queries whatever the number of cases:
the rows, then every action of those rows, replayed in memory.
"""
from __future__ import annotations

import datetime
from collections import defaultdict

import orjson

from node import store
from node.models import Case, CaseAction
from sync import case_records
from sync.calendar import WorkCalendar, load_calendar
from sync.cards import LEVELS, Card, cards
from sync.topology import load_topology


def center_cards(today: datetime.date, calendar: WorkCalendar | None = None) -> list[Card]:
    """Every card of this center's own cases (collected here) as of ``today``, sorted."""
    calendar = calendar or load_calendar()
    center = store.state().center
    rows = list(Case.select(Case.number, Case.matter, Case.received)
                .where((Case.collected_by == center) & ~Case.consulted))
    logs = defaultdict(list)
    for a in (CaseAction.select().join(Case, on=(CaseAction.number == Case.number))
              .where((Case.collected_by == center) & ~Case.consulted)
              .order_by(CaseAction.number, CaseAction.n)):
        logs[a.number].append({"n": a.n, "action": a.action, "role": a.role, "user": a.user,
                               "at": a.at, "data": orjson.loads(a.data)})
    found = []
    for row in rows:
        case = case_records.replay(orjson.loads(row.received), logs[row.number])
        found += cards(case, orjson.loads(row.matter)["promised_limit_days"], calendar, today)
    return sorted(found)


def listing(today: datetime.date) -> dict:
    """``node cards``: this center's cards, counted per level (as ``hub cards`` lists a center)."""
    center = store.state().center
    found = center_cards(today)
    return {"center": center, "name": load_topology().name_of(center), "as_of": today.isoformat(),
            "counts": {level: sum(c.level == level for c in found) for level in LEVELS},
            "cards": [c.as_dict() for c in found]}
