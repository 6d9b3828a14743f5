"""The SMS a case's action announces to its applicant, written with the action.

Called inside the transaction that records the action, so the message (an
``sms.requested`` event in the outbox) exists exactly when the action does; the
hub sends it (``sync.sms_events``). An applicant without a mobile number (an
enterprise's landline) gets none.
"""
from __future__ import annotations

import orjson

from node import outbox
from node.models import Case
from sync import sms_events, sms_templates
from sync.case_labels import OUTCOMES
from sync.signing import KeyPair
from sync.topology import load_topology

# The action → the template that tells the applicant about it.
ANNOUNCED = {"accept": "accepted", "request_supplement": "supplement_requested",
             "suspend_supplement": "supplement_requested", "complete_immediate": "completed",
             "decide": "completed"}


def _params(kind: str, row: Case, data: dict) -> dict:
    matter = sms_templates.fit(orjson.loads(row.matter)["name"])
    center = sms_templates.fit(load_topology().name_of(row.owner or row.collected_by))
    if kind == "accepted":
        return {"number": row.number, "matter": matter, "date": (row.accepted_at or "")[:10],
                "promised": row.promised_date or "以受理回执为准"}
    if kind == "supplement_requested":
        missing = data.get("missing") or data.get("materials") or []
        listed = "、".join(str(m) for m in missing) if isinstance(missing, list) else ""
        return {"number": row.number, "matter": matter, "center": center,
                "materials": sms_templates.fit(listed or "详见补正告知书")}
    return {"number": row.number, "matter": matter,
            "result": OUTCOMES.get(row.outcome or "", "已办结")}


def announce(keys: KeyPair, center: str, number: str, action: str, data: dict) -> dict | None:
    """Write the SMS ``action`` sends the applicant, if any; call in the action's transaction."""
    kind = ANNOUNCED.get(action)
    row = Case.get_or_none(Case.number == number) if kind else None
    if row is None or not sms_templates.PHONE.match(row.applicant_phone or ""):
        return None
    return outbox.emit(keys, center, sms_events.REQUESTED, "",
                       sms_events.payload(kind, row.applicant_phone, _params(kind, row, data),
                                          case=number))
