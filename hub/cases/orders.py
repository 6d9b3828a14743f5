"""督办 orders (supervision orders) on yellow cards, issued at the hub.

A district admin (for its district's centers) or a city operator (for every center)
orders a case's yellow card done by a working day of their choosing, with a note. The
order is the hub's own record (one per card: a card ordered once keeps that deadline,
and goes red after it, ``sync.cards``); it is sent, in the same transaction, to the
center that collected the case (``sync.cards.ORDERED`` in its pull stream), whose
cards are the ones it lists, so node and hub list the same cards, and to the center
that holds it now if it was handed on (the order is about that center's work).
"""
from __future__ import annotations

import datetime

from peewee import IntegrityError

from hub.calendar.in_force import calendar_in_force
from hub.cases.cards import hub_cards
from hub.ledger.ownership import owner_of
from hub.ledger.stream import send
from hub.models import HubCase, HubSupervisionOrder, database
from sync.calendar import WorkCalendar
from sync.cards import CLOCKS, ORDER_MAX_DAYS, ORDERED, Order, order_key
from sync.case_numbers import parse_case_number
from sync.case_records import record_of
from sync.errors import ConflictError, Forbidden, NotFound, ValidationError

MAX_NOTE = 500


def check(form, today: datetime.date, calendar: WorkCalendar) -> tuple[str, str, datetime.date,
                                                                      str]:
    """(clock, department, due, note) of an order's form or JSON body, or the first field
    that is wrong, named in Chinese."""
    clock, department = form.get("clock"), form.get("department") or ""
    if not isinstance(clock, str) or clock not in CLOCKS:
        raise ValidationError("clock: 请选择要督办的时限", field="clock")
    if not isinstance(department, str) or len(department) > 32:
        raise ValidationError("department: 会签部门代码不正确", field="department")
    raw = form.get("due")
    try:
        due = datetime.date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        due = None
    if due is None:
        raise ValidationError(f"due: 督办期限应写作年-月-日，实际为 {raw!r}", field="due")
    last = calendar.add_workdays(today, ORDER_MAX_DAYS).day
    if not today < due <= last or not calendar.is_workday(due):
        raise ValidationError(f"due: 督办期限应为今天之后 {ORDER_MAX_DAYS} 个工作日内的一个工作日"
                              f"（{today.isoformat()} 之后，至迟 {last.isoformat()}）", field="due")
    note = form.get("note").strip() if isinstance(form.get("note"), str) else ""
    if not note or len(note) > MAX_NOTE:
        raise ValidationError(f"note: 请填写督办意见（不超过 {MAX_NOTE} 字）", field="note")
    return clock, department, due, note


def issue(number: str, form, *, scope: frozenset[str], by: str, user: str,
          today: datetime.date, at: str) -> dict:
    """Order the yellow card ``form`` names (``clock``, ``department``) of case ``number``
    done by ``due``, with ``note``; returns the card as it now stands.

    :raises ValidationError: a malformed number or field (named). :raises NotFound: no
        such case. :raises Forbidden: its collecting center is outside ``scope``.
    :raises ConflictError: the card is not a yellow one without an order.
    """
    calendar = calendar_in_force()
    parse_case_number(number, field="number")
    clock, department, due, note = check(form, today, calendar)
    row = HubCase.get_or_none(HubCase.number == number)
    if row is None:
        raise NotFound(f"市中心没有办件 {number}")
    if row.center not in scope:
        raise Forbidden(f"办件 {number} 不在本账号的管理范围内，不能督办", reason="scope")
    card = _card(number, row.center, clock, department, today, calendar)
    order = Order(due, note, by, at)
    try:
        with database.atomic():
            HubSupervisionOrder.create(number=number, clock=clock, department=department,
                                       center=row.center, due=due.isoformat(), note=note, by=by,
                                       issued_by=user, issued_at=at)
            message = {"number": number, "clock": clock, "department": department,
                       **order.as_dict()}
            # The collecting center lists the case's cards; one it is handed to does the
            # work the order is about, and is told too.
            for center in sorted({row.center, owner_of(record_of(number))} - {None}):
                send(center, ORDERED, message)
    except IntegrityError:  # another admin ordered it in between
        raise ConflictError(f"办件 {number} 的{CLOCKS[clock]}黄牌已督办") from None
    return {**card.as_dict(), "order_due": due.isoformat(), "order": order.as_dict()}


def _card(number: str, center: str, clock: str, department: str, today: datetime.date,
          calendar: WorkCalendar):
    """The case's yellow card on this clock that no order set yet, or why not (409)."""
    found = hub_cards(today, [center], calendar, number=number).get(center, [])
    card = next((c for c in found if order_key(c.clock, c.department)
                 == order_key(clock, department)), None)
    what = CLOCKS[clock] + (f"（{department}）" if department else "")
    if card is None or card.level not in ("yellow", "red"):
        raise ConflictError(f"办件 {number} 的{what}没有黄牌，无需督办")
    if card.order is not None:
        raise ConflictError(f"办件 {number} 的{what}黄牌已督办，期限 {card.order.due.isoformat()}")
    if card.level == "red":
        raise ConflictError(f"办件 {number} 的{what}已是红牌：督办期限已过，不能再督办")
    return card
