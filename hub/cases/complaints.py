"""投诉 at the hub: the centers' complaints and answers (counted in the figures), and the
online hall's complaints forwarded to the center concerned.

The hub keeps every center's ``complaint.filed`` and ``complaint.answered`` (by id). A
complaint filed at the online hall gets an id of the hub's (``hub-…``) and goes to its
center in the pull stream (``complaint.forwarded``), in one transaction with its row:
about a case, the center that owns the case; else the center the citizen chose. The
center's own ``complaint.filed`` then fills in the due day.
"""
from __future__ import annotations

import datetime
import secrets
from collections import Counter

from hub.calendar.in_force import calendar_in_force
from hub.ledger.registry import handles
from hub.ledger.stream import send
from hub.models import HubCase, HubComplaint, database
from sync import complaints as rules
from sync.deadlines import remaining_workdays
from sync.errors import ConflictError, ValidationError
from sync.topology import load_topology

COUNTS = ("received", "answered", "answered_late", "open_overdue")


@handles(rules.FILED, rules.ANSWERED, independent=True)  # reads and writes its own table only
def apply_events(events: list[dict]) -> None:
    for event in events:
        p = event["payload"]
        if event["type"] == rules.FILED:
            (HubComplaint.insert(id=p["id"], center=event["origin"], category=p["category"],
                                 case_number=p["case_number"], text=p["text"],
                                 filed_at=p["filed_at"], due=p["due"])
             .on_conflict(conflict_target=[HubComplaint.id],
                          update={HubComplaint.due: p["due"],
                                  HubComplaint.filed_at: p["filed_at"]}).execute())
            continue
        updated = HubComplaint.update(answer=p["answer"], answered_at=p["at"]).where(
            (HubComplaint.id == p["id"]) & (HubComplaint.center == event["origin"])).execute()
        if not updated:
            raise ConflictError(f"complaint {p['id']} was never filed at {event['origin']}")


def _center_of(case_number: str, center: str, id_code: str) -> tuple[str, str]:
    """The case (checked as the citizen's own) and the center it goes to."""
    case_number = (case_number or "").strip()
    if case_number:
        case = HubCase.get_or_none(HubCase.number == case_number)
        if case is None or case.applicant_id != id_code:
            raise ValidationError("case_number: 未找到您本人的该办件，请核对办件编号",
                                  field="case_number")
        return case_number, case.center
    if center not in load_topology().by_code:
        raise ValidationError("center: 请选择投诉的政务服务中心，或填写办件编号", field="center")
    return "", center


def file(category: str, text: str, *, case_number: str, center: str, phone: str,
         id_code: str, at: str) -> HubComplaint:
    """A complaint at the online hall, forwarded to its center.

    :raises ValidationError: unknown category, empty or too long text, not the citizen's
        case, no center."""
    text = rules.check_text(category, text)
    case_number, center = _center_of(case_number, center, id_code)
    with database.atomic():
        row = HubComplaint.create(id=f"hub-{secrets.token_hex(8)}", center=center,
                                  category=category, case_number=case_number, text=text,
                                  phone=phone, filed_at=at)
        send(center, rules.FORWARDED, {"id": row.id, "category": category,
                                       "case_number": case_number, "text": text,
                                       "phone": phone})
    return row


def listing(centers: frozenset[str] | None, today: datetime.date, *,
            phone: str | None = None) -> list[dict]:
    query = HubComplaint.select().order_by(HubComplaint.filed_at.desc())
    if centers is not None:
        query = query.where(HubComplaint.center.in_(list(centers)))
    if phone is not None:
        query = query.where(HubComplaint.phone == phone)
    calendar, names = calendar_in_force(), load_topology().name_of
    return rules.ordered([{**rules.view(row, calendar, today), "center": row.center,
                           "center_name": names(row.center)} for row in query])


def counts(centers: list[str] | None, start: datetime.date, end: datetime.date,
           today: datetime.date) -> dict[str, Counter]:
    """Per center, the complaints filed from ``start`` to ``end`` (China days): received,
    answered, answered after their due day, and still open past it on ``today``."""
    query = HubComplaint.select(HubComplaint.center, HubComplaint.due,
                                HubComplaint.answered_at).where(
        (HubComplaint.filed_at >= start.isoformat())
        & (HubComplaint.filed_at < (end + datetime.timedelta(days=1)).isoformat()))
    if centers is not None:
        query = query.where(HubComplaint.center.in_(centers))
    calendar = calendar_in_force()
    found: dict[str, Counter] = {}
    for center, due, answered_at in query.tuples():
        tally = found.setdefault(center, Counter())
        tally["received"] += 1
        if answered_at is not None:
            tally["answered"] += 1
            tally["answered_late"] += rules.answered_late(answered_at, due)
        elif due and remaining_workdays(today, datetime.date.fromisoformat(due), calendar) < 0:
            tally["open_overdue"] += 1
    return found


def total(found: dict[str, Counter], centers: list[str]) -> dict[str, int]:
    summed = Counter({name: 0 for name in COUNTS})
    for code in centers:
        summed.update(found.get(code, {}))
    return {name: summed[name] for name in COUNTS}
