"""投诉: a citizen's complaint about one of their cases or about a center's window,
routed to the center admin of the center concerned, answered within ``ANSWER_DAYS``
working days, counted at the hub.

The center writes ``complaint.filed`` (category, text, the case if any, when it was
filed and the day the answer is due) and ``complaint.answered`` on the record
``complaint:<id>``; no event says who complained (the complainant's mobile stays at
the center, which sends the answer's SMS, and at the hub if filed there). A complaint
filed at the hub's online hall goes to the center concerned in its pull stream
(``complaint.forwarded``, with the complainant's mobile, as ``appointment.forwarded``
carries the booker's: the center calls back and texts the answer); about a case,
that is the center that owns the case.
"""
from __future__ import annotations

import datetime

from sync import events
from sync.calendar import WorkCalendar
from sync.consultation import check_texts
from sync.consultation import state as answer_state
from sync.errors import ValidationError

FILED, ANSWERED, FORWARDED = "complaint.filed", "complaint.answered", "complaint.forwarded"
# 5 working days: domain.md names 办事互动 (GB/T 39046-2020) but no answer time; five
# working days is the common 12345 hotline rule for a complaint's first answer.
ANSWER_DAYS = 5
MAX_TEXT = 500
MAX_ANSWER = 1000
CATEGORIES = {"attitude": "服务态度", "time_limit": "办理时限", "fee": "违规收费",
              "materials": "材料要求", "other": "其他"}
STATES = {"open": "待答复", "overdue": "已超期", "answered": "已答复"}


def record_of(complaint_id: str) -> str:
    return f"complaint:{complaint_id}"


def due_day(filed_on: datetime.date, calendar: WorkCalendar) -> datetime.date:
    return calendar.add_workdays(filed_on, ANSWER_DAYS).day


def answered_late(answered_at: str | None, due: str) -> bool:
    """Answered after the due day (China dates: both are ISO texts with the China offset)."""
    return answered_at is not None and bool(due) and answered_at[:10] > due


def check_text(category: str, text, limit: int = MAX_TEXT) -> str:
    """The complaint's text, stripped. :raises ValidationError: unknown category, empty or
    too long text (also the hub's check)."""
    if category not in CATEGORIES:
        raise ValidationError("category: 请选择投诉类别", field="category")
    text = text.strip() if isinstance(text, str) else ""
    if not text or len(text) > limit:
        raise ValidationError(f"text: 请填写投诉内容（不超过 {limit} 字）", field="text")
    return text


def view(row, calendar, today: datetime.date) -> dict:
    """A complaint as the pages and the API show it (the hub's rows too: same columns)."""
    answered = row.answered_at is not None
    # At the hub a forwarded complaint has no due day until its center's event arrives.
    state = ("answered" if answered else "open") if not row.due else answer_state(
        answered, datetime.date.fromisoformat(row.due), calendar, today)
    return {"id": row.id, "category": row.category,
            "category_label": CATEGORIES.get(row.category, row.category),
            "case_number": row.case_number, "text": row.text, "filed_at": row.filed_at,
            "due": row.due, "state": state, "state_label": STATES[state],
            "answer": row.answer, "answered_at": row.answered_at,
            "answered_late": answered_late(row.answered_at, row.due)}


def ordered(items: list[dict]) -> list[dict]:
    """Overdue first, then open, then answered (each newest first already)."""
    rank = {"overdue": 0, "open": 1, "answered": 2}
    return sorted(items, key=lambda item: rank[item["state"]])


def _filed(payload: dict) -> str | None:
    reason = check_texts(payload, (("id", 40), ("category", 16), ("text", MAX_TEXT),
                                   ("filed_at", 32), ("due", 10), ("channel", 8)))
    if reason:
        return reason
    if payload["category"] not in CATEGORIES:
        return f"payload.category must be one of {sorted(CATEGORIES)}"
    case = payload.get("case_number")
    if not isinstance(case, str) or len(case) > 40:
        return "payload.case_number must be a case number or empty"
    return None


def _answered(payload: dict) -> str | None:
    return check_texts(payload, (("id", 40), ("answer", MAX_ANSWER), ("user", 64), ("at", 32)))


def _named(payload: dict) -> str | None:
    value = payload.get("id")
    return record_of(value) if isinstance(value, str) else None


events.register(FILED, needs_record=True, check=_filed, record_of=_named,
                help="投诉: a citizen's complaint about a case or a window, owned by its center.")
events.register(ANSWERED, needs_record=True, check=_answered, record_of=_named,
                help="投诉: the center admin's answer to a complaint.")
