"""在线咨询 at a center: questions asked here or forwarded by the hub, answered by staff.

Each question and its answer are this center's signed events (``sync.consultation``),
written in the transaction that stores them. A question is routed to its matter's
department (shown on the staff list); unanswered past its due day it is escalated to
the center admin (shown as overdue, counted on the list's head).
"""
from __future__ import annotations

import datetime
import secrets

from node import outbox
from node.case_log import now
from node.catalog import matters_in_force
from node.inbox import applies
from node.models import Consultation, database
from node.work_calendar import calendar_in_force
from sync import case_records
from sync import consultation as rules
from sync import matter_codes
from sync.errors import ConflictError, NotFound, ValidationError


def ask(keys, center: str, matter_code: str, question: str, *, phone: str = "",
        channel: str = "node", consultation_id: str = "") -> Consultation:
    """Store a question and write its event. :raises ValidationError: no such matter in
    force, or an empty or too long question."""
    matter = matter_codes.find_in(matters_in_force(), matter_code)
    if matter is None:
        raise ValidationError("matter_code: 请选择咨询的事项", field="matter_code")
    question = question.strip() if isinstance(question, str) else ""
    if not question or len(question) > rules.MAX_QUESTION:
        raise ValidationError(f"question: 请填写咨询内容（不超过 {rules.MAX_QUESTION} 字）",
                              field="question")
    at = now()
    payload = {"id": consultation_id or f"{center}-{secrets.token_hex(6)}",
               "matter_code": matter["basic_code"], "department": matter["department"],
               "question": question, "asked_at": case_records.iso(at),
               "due": rules.due_day(at.date(), calendar_in_force()).isoformat(),
               "channel": channel}
    with database.atomic():
        row = Consultation.create(**payload, asker_phone=phone)
        outbox.emit(keys, center, rules.ASKED, rules.record_of(payload["id"]), payload)
    return row


def answer(keys, center: str, consultation_id: str, text: str, user: str) -> Consultation:
    """Answer once. :raises NotFound, ValidationError, ConflictError: answered already."""
    text = text.strip() if isinstance(text, str) else ""
    if not text or len(text) > rules.MAX_ANSWER:
        raise ValidationError(f"answer: 请填写答复内容（不超过 {rules.MAX_ANSWER} 字）",
                              field="answer")
    at = case_records.iso(now())
    with database.atomic():
        done = Consultation.update(answer=text, answered_by=user, answered_at=at).where(
            (Consultation.id == consultation_id) & Consultation.answered_at.is_null()).execute()
        if not done:
            if Consultation.get_or_none(Consultation.id == consultation_id) is None:
                raise NotFound(f"没有咨询 {consultation_id}")
            raise ConflictError("该咨询已答复")
        outbox.emit(keys, center, rules.ANSWERED, rules.record_of(consultation_id),
                    {"id": consultation_id, "answer": text, "user": user, "at": at})
    return Consultation.get(Consultation.id == consultation_id)


def view(row: Consultation, calendar, today: datetime.date, matters: dict) -> dict:
    state = rules.state(row.answered_at is not None, datetime.date.fromisoformat(row.due),
                        calendar, today)
    matter = matters.get(row.matter_code)
    return {"id": row.id, "matter_code": row.matter_code,
            "matter_name": matter["name"] if matter else row.matter_code,
            "department": row.department, "question": row.question, "channel": row.channel,
            "asked_at": row.asked_at, "due": row.due, "state": state,
            "state_label": rules.STATES[state], "answer": row.answer,
            "answered_at": row.answered_at}


def listing(today: datetime.date, *, phone: str | None = None,
            departments: list[str] | None = None) -> list[dict]:
    """Every question (or the asker's own, or those to ``departments``): overdue first, then
    open, then answered."""
    query = Consultation.select().order_by(Consultation.asked_at.desc())
    if phone is not None:
        query = query.where(Consultation.asker_phone == phone)
    if departments is not None:
        query = query.where(Consultation.department.in_(departments))
    calendar, matters = calendar_in_force(), matters_in_force()
    rank = {"overdue": 0, "open": 1, "answered": 2}
    return sorted((view(row, calendar, today, matters) for row in query),
                  key=lambda item: rank[item["state"]])


@applies(rules.FORWARDED)
def apply_forwarded(message: dict, ctx) -> str:
    """A question asked at the hub's online hall about a matter this center answers."""
    payload = message["payload"]
    try:
        ask(ctx.keys, ctx.center, str(payload.get("matter_code", "")),
            payload.get("question", ""), channel="hub",
            consultation_id=str(payload.get("id", ""))[:40])
    except ValidationError as exc:
        return f"not recorded: {exc.detail}"
    return "recorded"
