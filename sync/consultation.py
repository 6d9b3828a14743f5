"""在线咨询: a citizen's question on a matter, answered by the matter's department at the
center that owns the question, within ``ANSWER_DAYS`` working day(s), else escalated.

The center writes ``consultation.asked`` (the question, its matter and department,
when it was asked and the day the answer is due) and ``consultation.answered`` on the
record ``consultation:<id>``; no event carries who asked (the asker's mobile stays
where it was asked, so only that site shows them the answer). A question asked at the
hub's online hall is forwarded to its center in the pull stream
(``consultation.forwarded``) with an id the hub chose (``hub-…``); the center writes
it as its own ``consultation.asked``. Past the due day an unanswered question is
escalated: it is shown as overdue (已超期) to the center admin and at the hub.
"""
from __future__ import annotations

import datetime

from sync import events
from sync.calendar import WorkCalendar
from sync.deadlines import remaining_workdays

ASKED, ANSWERED, FORWARDED = "consultation.asked", "consultation.answered", \
    "consultation.forwarded"
ANSWER_DAYS = 1        # 1 working day (the rule): not a local setting
MAX_QUESTION = 500
MAX_ANSWER = 1000
STATES = {"open": "待答复", "overdue": "已超期（已上报中心管理员）", "answered": "已答复"}


def record_of(consultation_id: str) -> str:
    return f"consultation:{consultation_id}"


def due_day(asked_on: datetime.date, calendar: WorkCalendar) -> datetime.date:
    return calendar.add_workdays(asked_on, ANSWER_DAYS).day


def state(answered: bool, due: datetime.date, calendar: WorkCalendar,
          today: datetime.date) -> str:
    if answered:
        return "answered"
    return "overdue" if remaining_workdays(today, due, calendar) < 0 else "open"


def check_texts(payload: dict, limits: tuple[tuple[str, int], ...]) -> str | None:
    """Why the payload is refused: the first field that is not a text of 1 to its limit
    characters (also used by ``sync.complaints``)."""
    for field, limit in limits:
        value = payload.get(field)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            return f"payload.{field} must be a text of 1 to {limit} characters"
    return None


def _asked(payload: dict) -> str | None:
    return check_texts(payload, (("id", 40), ("matter_code", 10), ("department", 32),
                                 ("question", MAX_QUESTION), ("asked_at", 32), ("due", 10),
                                 ("channel", 8)))


def _answered(payload: dict) -> str | None:
    return check_texts(payload, (("id", 40), ("answer", MAX_ANSWER), ("user", 64), ("at", 32)))


def _named(payload: dict) -> str | None:
    value = payload.get("id")
    return record_of(value) if isinstance(value, str) else None


events.register(ASKED, needs_record=True, check=_asked, record_of=_named,
                help="在线咨询: a citizen's question on a matter, owned by the answering center.")
events.register(ANSWERED, needs_record=True, check=_answered, record_of=_named,
                help="在线咨询: the department's answer to a question.")
