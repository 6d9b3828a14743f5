"""Electronic supervision (电子监察): a case's warnings, yellow and red cards, and irregularities.

One pure function, ``cards``, shared by node and hub, so both list the same
cards for the same case on the same day (domain.md §2.4). Each clock of an
open case gives at most one card, the highest it has reached:

* **预警** (``warning``): at most ``WARN_WITHIN`` working days remain.
* **黄牌** (``yellow``): the limit has passed and the case is still open. It is
  issued on the first working day after the limit and carries a 督办 deadline:
  the one a supervision order set (``Order``: issued at the hub by the case's
  district or the city, sent to the collecting center as ``ORDERED``), else
  ``ORDER_DAYS`` working days later.
* **红牌** (``red``): still open after that 督办 deadline.

The clocks: the promised limit (承诺办结, pauses excluded by ``sync.case_clock``),
acceptance (Art. 32: 5 working days in 已收件), each joint department's own
deadline (会签) and a running special procedure's written limit (特别程序).

Irregular handling (``irregular``), on any case, open or not: an acceptance
more than 5 working days after receipt (``late_acceptance``), and a decision
with no review step where the matter needs one (``no_review``; the state
machine prevents it, so this catches copies made under other rules).
"""
from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping

from sync import case_clock
from sync.calendar import WorkCalendar
from sync.case_labels import OPEN, PAUSED, RECEIVED, SPECIAL_PROCEDURES
from sync.case_state import CaseState
from sync.deadlines import remaining_workdays

WARN_WITHIN = 1     # 预警: the last working day and the one before it (domain.md §2.4: local policy)
ORDER_DAYS = 5      # a yellow card's 督办 period when no order set another (working days)
ORDER_MAX_DAYS = 20  # an order's deadline: 1 to 20 working days after the day it is issued
ORDERED = "supervision.ordered"  # hub → the case's collecting center, in its pull stream
INTAKE_LIMIT_DAYS = 5  # 行政许可法 Art. 32: accept or refuse within 5 working days of receipt

LEVELS = {"warning": "预警", "yellow": "黄牌", "red": "红牌", "irregular": "违规办理"}
CLOCKS = {"promised": "承诺办结时限", "intake": "受理时限", "joint": "会签时限",
          "special": "特别程序时限", "late_acceptance": "超期受理", "no_review": "未经审查即作决定"}


@dataclasses.dataclass(frozen=True, order=True)
class Order:
    """A 督办 order on a yellow card: its deadline, why, who issued it (the district's or the
    city's center code) and when (China time, ISO)."""
    due: datetime.date
    note: str
    by: str
    issued_at: str

    def as_dict(self) -> dict:
        return {"due": self.due.isoformat(), "note": self.note, "by": self.by,
                "issued_at": self.issued_at}

    @classmethod
    def from_dict(cls, data: dict) -> "Order":
        return cls(datetime.date.fromisoformat(data["due"]), data["note"], data["by"],
                   data["issued_at"])

    @classmethod
    def from_row(cls, row) -> "Order":
        """A stored order (the hub's and a node's rows have these columns)."""
        return cls(datetime.date.fromisoformat(row.due), row.note, row.by, row.issued_at)


def order_key(clock: str, department: str = "") -> str:
    """Which card an order is on, within its case: the clock (a joint one per department)."""
    return f"{clock}:{department}" if department else clock


@dataclasses.dataclass(frozen=True, order=True)
class Card:
    number: str
    clock: str                          # a CLOCKS code; ``joint`` cards name their department
    level: str                          # a LEVELS code
    limit: datetime.date | None         # the limit the clock ran to (None for irregularities)
    order_due: datetime.date | None = None  # 督办 deadline of a yellow or red card
    department: str = ""
    order: Order | None = None          # the order that set ``order_due``, if one did

    def as_dict(self) -> dict:
        return {"number": self.number, "clock": self.clock, "clock_label": CLOCKS[self.clock],
                "level": self.level, "level_label": LEVELS[self.level],
                "department": self.department,
                "limit": self.limit.isoformat() if self.limit else None,
                "order_due": self.order_due.isoformat() if self.order_due else None,
                "order": self.order.as_dict() if self.order else None}


def cards(case: CaseState, promised_days: int, calendar: WorkCalendar, today: datetime.date,
          *, orders: Mapping[str, Order] | None = None) -> list[Card]:
    """The case's cards as of ``today``, sorted; ``orders``: the case's 督办 orders by
    ``order_key``."""
    orders = orders or {}
    found = [*_irregular(case, calendar)]
    if case.state in OPEN:
        for clock, limit, department in _clocks(case, promised_days, calendar, today):
            card = _judge(case.number, clock, limit, department, calendar, today,
                          orders.get(order_key(clock, department)))
            if card is not None:
                found.append(card)
    return sorted(found)


def _clocks(case: CaseState, promised_days: int, calendar: WorkCalendar, today: datetime.date):
    """(clock, limit day, department) of each limit running now."""
    if case.state == RECEIVED:
        received = case_clock.china_date(case.history[-1].at)
        yield "intake", calendar.add_workdays(received, INTAKE_LIMIT_DAYS).day, ""
    due = case_clock.deadline(case, calendar, promised_days, today=today)
    if due is not None and case.state not in PAUSED:
        yield "promised", due.day, ""
    for sub in case.joint:
        if sub.decision is None:
            yield "joint", sub.deadline, sub.department
    pause = case.open_pause
    if pause is not None and pause.kind in SPECIAL_PROCEDURES and pause.limit_days is not None:
        started = case_clock.china_date(pause.start)
        yield "special", calendar.add_workdays(started, pause.limit_days).day, ""


def _judge(number: str, clock: str, limit: datetime.date, department: str,
           calendar: WorkCalendar, today: datetime.date,
           ordered: Order | None) -> Card | None:
    left = remaining_workdays(today, limit, calendar)
    if left > WARN_WITHIN:
        return None
    if left >= 0:
        return Card(number, clock, "warning", limit, department=department)
    issued = calendar.add_workdays(limit, 1).day
    order_due = ordered.due if ordered else calendar.add_workdays(issued, ORDER_DAYS).day
    level = "red" if today > order_due else "yellow"
    return Card(number, clock, level, limit, order_due, department, ordered)


def _irregular(case: CaseState, calendar: WorkCalendar):
    steps = case.history
    for before, step in zip(steps, steps[1:]):
        if step.action == "accept":
            waited = calendar.workdays_between(case_clock.china_date(before.at),
                                               case_clock.china_date(step.at))
            if waited > INTAKE_LIMIT_DAYS:
                yield Card(case.number, "late_acceptance", "irregular", None)
    if (case.decision is not None and case.handling != "immediate"
            and not any(s.action == "submit_for_approval" for s in steps)):
        yield Card(case.number, "no_review", "irregular", None)


def counts_line(counts: dict[str, int]) -> str:
    """"预警 2，黄牌 1，…" for the command lines of node and hub."""
    return "，".join(f"{LEVELS[k]} {v}" for k, v in counts.items())


def card_line(card: dict) -> str:
    """One listed card as the command lines of node and hub print it."""
    what = card["clock_label"] + (f"（{card['department']}）" if card["department"] else "")
    limit = f"，时限 {card['limit']}" if card["limit"] else ""
    order = f"，督办期限 {card['order_due']}" if card["order_due"] else ""
    if card["order"]:
        order += f"（{card['order']['by']} 督办：{card['order']['note']}）"
    return f"{card['level_label']} {card['number']} {what}{limit}{order}"
