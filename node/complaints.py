"""投诉 at a center: complaints filed here or forwarded by the hub, answered by the center
admin within ``sync.complaints.ANSWER_DAYS`` working days.

Each complaint and its answer are this center's signed events, written in the
transaction that stores them; the answer's SMS (``complaint_answered``) goes in the same
transaction, to the complainant's mobile kept here.
"""
from __future__ import annotations

import datetime
import secrets

from node import outbox
from node.case_log import now
from node.inbox import applies
from node.models import Case, Complaint, database
from node.work_calendar import calendar_in_force
from sync import case_records, sms_events, sms_templates
from sync import complaints as rules
from sync.errors import ConflictError, NotFound, ValidationError
from sync.topology import load_topology


def _own_case(center: str, case_number: str, id_code: str) -> str:
    case_number = (case_number or "").strip()
    if not case_number:
        return ""
    case = Case.get_or_none(Case.number == case_number)
    # Another applicant's case, or one this center does not own, reads as unknown here.
    if case is None or case.applicant_id != id_code or (case.owner or center) != center:
        raise ValidationError("case_number: 未找到您本人在本中心的该办件，请核对办件编号",
                              field="case_number")
    return case_number


def file(keys, center: str, category: str, text: str, *, phone: str = "", id_code: str = "",
         case_number: str = "", channel: str = "node", complaint_id: str = "") -> Complaint:
    """Store a complaint and write its event. A complaint filed here about a case must name
    one of the citizen's own cases (``id_code``); one forwarded by the hub was checked there.

    :raises ValidationError: unknown category, empty or too long text, not their case."""
    text = rules.check_text(category, text)
    if channel == "node":
        case_number = _own_case(center, case_number, id_code)
    at = now()
    payload = {"id": complaint_id or f"{center}-{secrets.token_hex(6)}", "category": category,
               "case_number": case_number, "text": text, "filed_at": case_records.iso(at),
               "due": rules.due_day(at.date(), calendar_in_force()).isoformat(),
               "channel": channel}
    with database.atomic():
        row = Complaint.create(**payload, phone=phone)
        outbox.emit(keys, center, rules.FILED, rules.record_of(payload["id"]), payload)
    return row


def answer(keys, center: str, complaint_id: str, text: str, user: str) -> Complaint:
    """Answer once, and text the complainant. :raises NotFound, ValidationError,
    ConflictError: answered already."""
    text = text.strip() if isinstance(text, str) else ""
    if not text or len(text) > rules.MAX_ANSWER:
        raise ValidationError(f"answer: 请填写答复内容（不超过 {rules.MAX_ANSWER} 字）",
                              field="answer")
    at = case_records.iso(now())
    with database.atomic():
        done = Complaint.update(answer=text, answered_by=user, answered_at=at).where(
            (Complaint.id == complaint_id) & Complaint.answered_at.is_null()).execute()
        if not done:
            if Complaint.get_or_none(Complaint.id == complaint_id) is None:
                raise NotFound(f"没有投诉 {complaint_id}")
            raise ConflictError("该投诉已答复")
        outbox.emit(keys, center, rules.ANSWERED, rules.record_of(complaint_id),
                    {"id": complaint_id, "answer": text, "user": user, "at": at})
        row = Complaint.get(Complaint.id == complaint_id)
        if sms_templates.PHONE.match(row.phone):
            outbox.emit(keys, center, sms_events.REQUESTED, "", sms_events.payload(
                "complaint_answered", row.phone,
                {"date": row.filed_at[:10], "category": rules.CATEGORIES[row.category],
                 "center": sms_templates.fit(load_topology().name_of(center))},
                case=row.case_number))
    return row


def listing(today: datetime.date, *, phone: str | None = None) -> list[dict]:
    """Every complaint (or the complainant's own), overdue first."""
    query = Complaint.select().order_by(Complaint.filed_at.desc())
    if phone is not None:
        query = query.where(Complaint.phone == phone)
    calendar = calendar_in_force()
    return rules.ordered([{**rules.view(row, calendar, today), "channel": row.channel}
                          for row in query])


@applies(rules.FORWARDED)
def apply_forwarded(message: dict, ctx) -> str:
    """A complaint filed at the hub's online hall about this center or one of its cases."""
    payload = message["payload"]
    phone = str(payload.get("phone", ""))
    try:
        file(ctx.keys, ctx.center, str(payload.get("category", "")), payload.get("text", ""),
             phone=phone if sms_templates.PHONE.match(phone) else "",
             case_number=str(payload.get("case_number", ""))[:40], channel="hub",
             complaint_id=str(payload.get("id", ""))[:40])
    except ValidationError as exc:
        return f"not recorded: {exc.detail}"
    return "recorded"
