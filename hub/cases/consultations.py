"""在线咨询 at the hub: the centers' questions and answers, the online hall's questions
forwarded to their center, and an answer published to the matter's FAQ.

The hub keeps every center's ``consultation.asked`` and ``consultation.answered`` (by
id). A question asked at the online hall gets an id of the hub's (``hub-…``) and goes
to the chosen center in its pull stream (``consultation.forwarded``), in one
transaction with its row; the center's own ``consultation.asked`` then fills in the
due day. The hub owns the catalog, so publishing an answer as a 常见问题 is a hub action:
the next catalog version amends the matter's ``faq`` (``hub.catalog.authority``), which
every center's guide page then shows.
"""
from __future__ import annotations

import datetime
import secrets

from hub.calendar.in_force import calendar_in_force
from hub.catalog import authority
from hub.ledger.registry import handles
from hub.ledger.stream import send
from hub.models import HubConsultation, database
from sync import consultation as rules
from sync import matter_codes
from sync.errors import ConflictError, NotFound, ValidationError
from sync.signing import KeyPair
from sync.topology import load_topology


@handles(rules.ASKED, rules.ANSWERED, independent=True)  # reads and writes its own table only
def apply_events(events: list[dict]) -> None:
    for event in events:
        p = event["payload"]
        if event["type"] == rules.ASKED:
            (HubConsultation.insert(id=p["id"], center=event["origin"],
                                    matter_code=p["matter_code"], department=p["department"],
                                    question=p["question"], asked_at=p["asked_at"], due=p["due"])
             .on_conflict(conflict_target=[HubConsultation.id],
                          update={HubConsultation.department: p["department"],
                                  HubConsultation.due: p["due"]}).execute())
            continue
        updated = HubConsultation.update(answer=p["answer"], answered_at=p["at"]).where(
            (HubConsultation.id == p["id"]) & (HubConsultation.center == event["origin"])
        ).execute()
        if not updated:
            raise ConflictError(f"consultation {p['id']} was never asked at {event['origin']}")


def ask(matter_code: str, center: str, question: str, phone: str, at: str) -> str:
    """A question at the online hall, forwarded to ``center``; its id."""
    matter = matter_codes.find_in(authority.in_force(), matter_code)
    if matter is None:
        raise ValidationError("matter_code: 请选择咨询的事项", field="matter_code")
    matter_code = matter["basic_code"]
    if center not in load_topology().by_code:
        raise ValidationError("center: 请选择咨询的政务服务中心", field="center")
    question = question.strip() if isinstance(question, str) else ""
    if not question or len(question) > rules.MAX_QUESTION:
        raise ValidationError(f"question: 请填写咨询内容（不超过 {rules.MAX_QUESTION} 字）",
                              field="question")
    consultation_id = f"hub-{secrets.token_hex(8)}"
    with database.atomic():
        HubConsultation.create(id=consultation_id, center=center, matter_code=matter_code,
                               question=question, asker_phone=phone, asked_at=at)
        send(center, rules.FORWARDED, {"id": consultation_id, "matter_code": matter_code,
                                       "question": question})
    return consultation_id


def view(row: HubConsultation, calendar, today: datetime.date, matters: dict) -> dict:
    state = "open" if not row.due else rules.state(
        row.answered_at is not None, datetime.date.fromisoformat(row.due), calendar, today)
    if row.answered_at is not None:
        state = "answered"
    matter = matters.get(row.matter_code)
    return {"id": row.id, "center": row.center,
            "center_name": load_topology().name_of(row.center),
            "matter_code": row.matter_code, "matter_name": matter["name"] if matter else
            row.matter_code, "question": row.question, "asked_at": row.asked_at,
            "due": row.due, "state": state, "state_label": rules.STATES[state],
            "answer": row.answer, "answered_at": row.answered_at,
            "published_version": row.published_version}


def listing(centers: frozenset[str] | None, today: datetime.date, *,
            phone: str | None = None) -> list[dict]:
    query = HubConsultation.select().order_by(HubConsultation.asked_at.desc())
    if centers is not None:
        query = query.where(HubConsultation.center.in_(list(centers)))
    if phone is not None:
        query = query.where(HubConsultation.asker_phone == phone)
    calendar, matters = calendar_in_force(), authority.in_force()
    rank = {"overdue": 0, "open": 1, "answered": 2}
    return sorted((view(row, calendar, today, matters) for row in query),
                  key=lambda item: rank[item["state"]])


def publish(consultation_id: str, author: str, keys: KeyPair, today: datetime.date) -> int:
    """Add the answered question to its matter's FAQ in the next catalog version, once.

    :raises NotFound: no such question. :raises ConflictError: not answered yet, or
        published already."""
    with database.atomic():
        row = HubConsultation.get_or_none(HubConsultation.id == consultation_id)
        if row is None:
            raise NotFound(f"没有咨询 {consultation_id}")
        if row.answered_at is None:
            raise ConflictError("该咨询尚未答复，不能发布为常见问题")
        if row.published_version is not None:
            raise ConflictError(f"该咨询已发布到第 {row.published_version} 版目录的常见问题")
        matter = authority.in_force().get(row.matter_code)
        if matter is None:
            raise ConflictError(f"事项 {row.matter_code} 已不在目录中")
        editable = {k: v for k, v in matter.items() if k not in authority.STAMPED}
        editable["faq"] = [*(editable.get("faq") or []), {"q": row.question, "a": row.answer}]
        body = authority.apply_change({"op": "amend", "author": author,
                                       "reason": f"在线咨询 {row.id} 的答复发布为常见问题",
                                       "effective_date": today.isoformat(),
                                       "matters": [editable]}, keys=keys)
        HubConsultation.update(published_version=body["version"]).where(
            HubConsultation.id == row.id).execute()
    return body["version"]
