"""整改 (rectification) of a bad review: the order a 不满意 or 非常不满意 evaluation opens.

The owning center writes it, one ``rectification.action`` event per step on the
record ``rectification:<number>``; node and hub replay the same steps through
``apply`` so both hold the same order:

* ``open``, with the bad evaluation, in its transaction: the level, the comment
  and the reply period in force (``days`` working days, the node's
  ``rectification_reply_days``) and the day it is due, so the hub replays the
  rule the center applied.
* ``callback`` (回访): the center admin's note of calling the applicant back; any
  number, before the reply.
* ``reply`` (整改答复): once, after at least one 回访; the applicant gets an SMS.
* ``appeal`` (申诉): once, the center admin's case that the review is unfounded;
  a district or city admin decides it at the hub (``hub.cases.rectifications``),
  and an upheld appeal takes the review out of the satisfaction per window.

The light (``light``): the time used is the working days wholly past since the
order opened; ``yellow`` once 80% of the period is used (the due day itself, for 5
days), ``red`` past the due day (100%); ``done`` once replied. An appeal does not
stop the clock: the reply is owed until the appeal is upheld.

Who rated is never part of the order: the applicant is ``申请人`` in the case, and
the order names no one but the staff who wrote each step.
"""
from __future__ import annotations

import dataclasses
import datetime

from sync import events
from sync.calendar import WorkCalendar
from sync.case_labels import BAD_REVIEWS
from sync.deadlines import remaining_workdays
from sync.errors import ConflictError, ValidationError

ACTION = "rectification.action"
APPEAL_DECIDED = "rectification.appeal_decided"  # hub → owning center, in its pull stream
ACTIONS = {"open": "生成整改工单", "callback": "回访", "reply": "整改答复", "appeal": "申诉"}
LIGHTS = {"green": "办理中", "yellow": "临近期限", "red": "已超期", "done": "已答复"}
APPEAL_STATES = {"": "未申诉", "pending": "申诉待审", "upheld": "申诉成立",
                 "rejected": "申诉不成立"}
YELLOW_AT = 0.8   # share of the period used that turns an order yellow
MAX_TEXT = 500


def record_of(number: str) -> str:
    return f"rectification:{number}"


@dataclasses.dataclass(frozen=True)
class Order:
    number: str
    level: str
    comment: str
    opened_at: str          # China time, ISO
    days: int               # the reply period in working days
    due: datetime.date      # the last day of the period
    steps: tuple = ()       # every step's record, ``open`` first
    callbacks: int = 0
    replied_at: str | None = None
    reply: str = ""
    appeal: str = ""        # the appeal's reason, "" when none

    @property
    def n(self) -> int:
        return len(self.steps)


def _text(data: dict, field: str, label: str) -> str:
    text = data.get(field)
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise ValidationError(f"{field}: 请填写{label}", field=field)
    if len(text) > MAX_TEXT:
        raise ValidationError(f"{field}: {label}不能超过 {MAX_TEXT} 字", field=field)
    return text


def apply(order: Order | None, step: dict) -> Order:
    """The order after one step ``{number, n, action, user, at, data}``.

    :raises ValidationError: a malformed step. :raises ConflictError: a step the order's
        state does not allow (a second reply, a reply before any 回访, …).
    """
    action, data = step.get("action"), step.get("data")
    if action not in ACTIONS or not isinstance(data, dict):
        raise ValidationError(f"action: 未知的整改步骤 {action!r}", field="action")
    expected = order.n if order else 0
    if step.get("n") != expected:
        raise ConflictError(f"整改步骤序号应为 {expected}，收到 {step.get('n')!r}")
    if action == "open":
        if order is not None:
            raise ConflictError("本办件已有整改工单")
        if data.get("level") not in BAD_REVIEWS:
            raise ValidationError("level: 只有差评（不满意、非常不满意）生成整改工单", field="level")
        days = data.get("days")
        if not isinstance(days, int) or days < 1:
            raise ValidationError("days: 答复时限须为正整数（工作日）", field="days")
        try:
            due = datetime.date.fromisoformat(str(data.get("due")))
        except ValueError:
            raise ValidationError("due: 须为日期 YYYY-MM-DD", field="due") from None
        return Order(step["number"], data["level"], str(data.get("comment") or ""),
                     str(step.get("at")), days, due, (step,))
    if order is None:
        raise ConflictError("没有整改工单")
    steps = order.steps + (step,)
    if action == "appeal":
        if order.appeal:
            raise ConflictError("本工单已申诉，每件只能申诉一次")
        return dataclasses.replace(order, steps=steps, appeal=_text(data, "reason", "申诉理由"))
    if order.replied_at is not None:
        raise ConflictError("本工单已答复")
    if action == "callback":
        _text(data, "note", "回访情况")
        return dataclasses.replace(order, steps=steps, callbacks=order.callbacks + 1)
    if not order.callbacks:
        raise ConflictError("请先回访申请人，再答复")
    return dataclasses.replace(order, steps=steps, replied_at=str(step.get("at")),
                               reply=_text(data, "text", "整改答复"))


def replay(steps: list[dict]) -> Order:
    order = None
    for step in steps:
        order = apply(order, step)
    if order is None:
        raise ValidationError("没有整改步骤")
    return order


def due_day(opened: datetime.date, days: int, calendar: WorkCalendar) -> datetime.date:
    """The last working day of a reply period of ``days`` working days opened on ``opened``."""
    return calendar.add_workdays(opened, days).day


def light(order: Order, calendar: WorkCalendar, today: datetime.date) -> str:
    """``done``, ``red`` past the due day, ``yellow`` at 80% of the period used, else ``green``."""
    if order.replied_at is not None:
        return "done"
    left = remaining_workdays(today, order.due, calendar)
    if left < 0:
        return "red"
    used = order.days - left - 1  # working days wholly past; today is still usable
    return "yellow" if used >= YELLOW_AT * order.days else "green"


def replied_late(order: Order, calendar: WorkCalendar) -> bool:
    if order.replied_at is None:
        return False
    return datetime.date.fromisoformat(order.replied_at[:10]) > order.due


def _check(payload: dict) -> str | None:
    if not isinstance(payload.get("number"), str) or not isinstance(payload.get("n"), int):
        return "payload.number must be a string and payload.n an integer"
    if payload.get("action") not in ACTIONS or not isinstance(payload.get("data"), dict):
        return f"payload.action must be one of {', '.join(ACTIONS)} with an object data"
    if not isinstance(payload.get("user"), str) or not isinstance(payload.get("at"), str):
        return "payload.user and payload.at must be strings"
    return None


def _named(payload: dict) -> str | None:
    number = payload.get("number")
    return record_of(number) if isinstance(number, str) else None


events.register(ACTION, needs_record=True, check=_check, record_of=_named,
                help="One step of a bad review's rectification order (整改): open, 回访, "
                     "reply, appeal.")
