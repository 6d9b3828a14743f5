"""电子证照库 at a node: the licences this center issues and revokes, and those the hub
shares from every center (``sync.licences``).

* At intake, a matter whose catalog names a ``result_licence`` fixes in the case's
  record what an approval will issue and whether the applicant consents to share it
  (``terms``); the approval (``decide`` or ``complete_immediate``) issues it in the
  decision's transaction (``node.case_log`` calls ``issue``), here at the deciding
  center, which may be another than the collecting one.
* ``revoke``: only the issuing center, once, with a reason; the row and the event in
  one transaction.
* The hub's ``licence.shared`` and ``licence.revoked`` messages carry the issuer's
  signed events, checked end to end here before they are kept.
* The hub's ``licence.department`` messages carry a department's licence (pushed by its
  business system at the hub) as the hub's register holds it, vouched for by the hub's
  signature: kept, replaced when it changes or is revoked, removed when its holder no
  longer consents to share it.
* ``held`` is what ``node.reuse`` reads: the licences of a person in force today.
"""
from __future__ import annotations

import datetime

from node import outbox
from node.inbox import Context, applies
from node.models import Licence, database
from sync import case_records, licences, relay
from sync.catalog_history import load_departments
from sync.catalog_search import department_name
from sync.errors import (AuthError, Code, ConflictError, Forbidden, NotFound, ProtocolError,
                         ValidationError)
from sync.identity_codes import ID_TYPES, RESIDENT_ID, check_resident_id
from web.pagination import PER_PAGE, Page, page, page_count, page_number


def terms(matter: dict, consent) -> dict | None:
    """What an approval of the case will issue, as the case's record keeps it (None: no
    licence). :raises ValidationError: a consent that is not true/false, or given for a
    matter that issues no licence."""
    if consent is not None and not isinstance(consent, bool):
        raise ValidationError("licence_consent: 是否同意共享电子证照应为 true 或 false",
                              field="licence_consent")
    result = matter.get("result_licence")
    if result is None:
        if consent:
            raise ValidationError(f"licence_consent: 事项 {matter['basic_code']} 办结不产生电子证照",
                                  field="licence_consent")
        return None
    return {**result, "consent": bool(consent)}


def issues(action: str, data) -> bool:
    """Whether this action approves the case, and so issues its licence if it has one."""
    return (action in ("decide", "complete_immediate") and isinstance(data, dict)
            and data.get("outcome") == "approved")


def _next_number(center: str, year: int) -> str:
    prefix = licences.number(center, year, 0)[:-6]
    issued = Licence.select().where(Licence.number.startswith(prefix)).count()
    return licences.number(center, year, issued + 1)


def issue(keys, center: str, received: dict, decided_at: datetime.datetime) -> dict | None:
    """Write the case's licence, if its matter issues one, and its ``licence.issued`` event
    (in the caller's transaction: the decision's)."""
    if "licence" not in received:
        return None
    terms_, applicant, matter = received["licence"], received["applicant"], received["matter"]
    day = decided_at.date()
    payload = {"number": _next_number(center, day.year), "name": terms_["name"],
               "holder_id_type": applicant.get("id_type") or RESIDENT_ID,
               "holder_id_code": applicant["id_code"], "holder_name": applicant["name"],
               "valid_from": day.isoformat(),
               "valid_to": licences.valid_to(day, terms_["valid_years"]),
               "department": department_name(matter["department"], load_departments()),
               "issuer": center, "case_number": received["number"],
               "consent": terms_["consent"], "trust_level": licences.ISSUED_LEVEL,
               "issued_at": case_records.iso(decided_at)}
    _keep(payload)
    outbox.emit(keys, center, licences.ISSUED, licences.record_of(payload["number"]), payload)
    return payload


def _keep(payload: dict) -> None:
    fields = {name: payload[name] for name in licences.COLUMNS}
    Licence.insert(**fields).on_conflict_ignore().execute()


def revoke(keys, center: str, number: str, reason, at: datetime.datetime) -> dict:
    """Revoke a licence this center issued.

    :raises NotFound: no such licence here. :raises ConflictError: issued by another
        center, or revoked already. :raises ValidationError: no reason."""
    try:
        reason = licences.check_reason(reason)
    except ValueError as exc:
        raise ValidationError(f"reason: {exc}", field="reason") from None
    with database.atomic():
        row = Licence.get_or_none(Licence.number == number)
        if row is None:
            raise NotFound(f"没有电子证照 {number}")
        if row.issuer != center:
            raise Forbidden(f"电子证照 {number} 由 {row.issuer} 签发，只有签发中心可以撤销")
        if row.revoked_at is not None:
            raise ConflictError(f"电子证照 {number} 已于 {row.revoked_at[:10]} 撤销")
        payload = {"number": number, "reason": reason, "at": case_records.iso(at)}
        Licence.update(revoked_at=payload["at"], revoke_reason=reason).where(
            Licence.number == number).execute()
        outbox.emit(keys, center, licences.REVOKED, licences.record_of(number), payload)
    return view(Licence.get(Licence.number == number), at.date())


def held(id_type: str, id_code: str, today: datetime.date) -> list[Licence]:
    """The person's licences in force today (not revoked, within their term)."""
    rows = Licence.select().where((Licence.holder_id_type == id_type)
                                  & (Licence.holder_id_code == id_code)
                                  & Licence.revoked_at.is_null())
    return [row for row in rows
            if licences.in_force(row.valid_from, row.valid_to, False, today)]


def holder_id_label(id_type: str, id_code: str) -> str:
    """The holder's document as a clerk reads it. An enterprise's licence keeps its credit
    code under the resident-ID type, as its case's applicant does (``node.reuse.person``)."""
    if id_type == RESIDENT_ID:
        try:
            check_resident_id(id_code)
        except ValidationError:
            return "统一社会信用代码"
    return ID_TYPES.get(id_type, id_type)


def view(row: Licence, today: datetime.date) -> dict:
    state = ("revoked" if row.revoked_at is not None else
             "valid" if licences.in_force(row.valid_from, row.valid_to, False, today)
             else "expired")
    return {"number": row.number, "name": row.name, "holder_name": row.holder_name,
            "holder_id_type": row.holder_id_type, "holder_id_code": row.holder_id_code,
            "holder_id_label": holder_id_label(row.holder_id_type, row.holder_id_code),
            "valid_from": row.valid_from, "valid_to": row.valid_to,
            "department": row.department, "issuer": row.issuer,
            "case_number": row.case_number, "consent": row.consent,
            "trust_level": row.trust_level, "issued_at": row.issued_at,
            "state": state, "state_label": STATES[state],
            "revoked_at": row.revoked_at, "revoke_reason": row.revoke_reason}


STATES = {"valid": "有效", "expired": "已过期", "revoked": "已撤销"}
# The staff who read the register (/licences/, GET /api/licences); a center admin revokes.
READERS = ("clerk", "reviewer", "approver", "center_admin", "auditor")
MAX_HOLDER = 32  # the longest identity number the register keeps


def holding(holder, today: datetime.date, args) -> tuple[str, Page]:
    """The identity number normalised, and a page of the licences this center holds for it
    (its own, and other centers' and departments' shared with it), newest first, whatever
    their state. ``args``: the query's ``?page=``.

    :raises ValidationError: no number, or a page out of range."""
    code = holder.strip().upper() if isinstance(holder, str) else ""
    if not code or len(code) > MAX_HOLDER:
        raise ValidationError(f"holder: 请填写持证人的证件号码或统一社会信用代码（不超过 "
                              f"{MAX_HOLDER} 位）", field="holder")
    query = Licence.select().where(Licence.holder_id_code == code)
    total = query.count()
    number = page_number(args, page_count(total))
    rows = (query.order_by(Licence.issued_at.desc(), Licence.number.desc())
            .limit(PER_PAGE).offset((number - 1) * PER_PAGE))
    return code, page([view(row, today) for row in rows], number, total)


def issued_here(center: str, today: datetime.date) -> list[dict]:
    """The licences this center issued, newest first."""
    return [view(row, today) for row in Licence.select().where(Licence.issuer == center)
            .order_by(Licence.issued_at.desc(), Licence.number.desc())]


# -- the hub's messages -------------------------------------------------------------

def _checked(message: dict, type_: str) -> dict:
    """The issuer's event a message carries, verified end to end, on its licence's record."""
    payload = message["payload"]
    event = payload.get("event") or {}
    problem = relay.fault(event, payload.get("keys", {}))
    if problem:
        raise AuthError(f"licence: {problem}", code=Code.SIGNATURE_INVALID)
    number = event["payload"].get("number", "")
    if (event["type"] != type_ or event["record"] != licences.record_of(number)
            or licences.creator(event["record"]) != event["origin"]):
        raise AuthError(f"{event['origin']}#{event['seq']} is not {type_} of a licence it "
                        "issued", code=Code.NOT_OWNER)
    return event


@applies(licences.SHARED, relay=True)
def _shared(message: dict, _ctx: Context) -> str:
    event = _checked(message, licences.ISSUED)
    payload = event["payload"]
    if payload.get("issuer") != event["origin"]:
        raise AuthError(f"licence {payload['number']} names issuer {payload.get('issuer')!r}, "
                        f"signed by {event['origin']}", code=Code.NOT_OWNER)
    _keep(payload)
    return f"licence {payload['number']} of {event['origin']} kept"


@applies(licences.REVOKED, relay=True)
def _revoked(message: dict, _ctx: Context) -> str:
    event = _checked(message, licences.REVOKED)
    payload = event["payload"]
    updated = Licence.update(revoked_at=payload["at"], revoke_reason=payload["reason"]).where(
        (Licence.number == payload["number"]) & (Licence.issuer == event["origin"])
        & Licence.revoked_at.is_null()).execute()
    return f"licence {payload['number']} revoked" if updated else \
        f"licence {payload['number']} not held here or revoked already"


# Refused and recorded, never stopping the stream (as a relay): a licence this node cannot
# take (a department its departments file lacks, say) must not hold back the revocations
# and catalog versions behind it, which a stopped stream would.
@applies(licences.DEPARTMENT, relay=True)
def _department(message: dict, _ctx: Context) -> str:
    licence = message["payload"].get("licence")
    problem = (licences.department_fault(licence, load_departments())
               if isinstance(licence, dict) else "payload.licence must be an object")
    if problem:
        raise ProtocolError(f"licence.department: {problem}", code=Code.EVENT_MALFORMED)
    number, issuer = licence["number"], licence["issuer"]
    row = Licence.get_or_none(Licence.number == number)
    if row is not None and row.issuer != issuer:
        raise AuthError(f"licence {number} is {row.issuer}'s, not {issuer}'s", code=Code.NOT_OWNER)
    if not licence["consent"]:  # the holder withdrew consent: no window reuses it any more
        Licence.delete().where(Licence.number == number).execute()
        return f"licence {number} of {issuer} no longer shared"
    fields = {name: licence[name]
              for name in licences.COLUMNS + ("revoked_at", "revoke_reason")}
    (Licence.insert(**fields).on_conflict(conflict_target=[Licence.number],
                                          preserve=[getattr(Licence, f) for f in fields])
     .execute())
    return f"licence {number} of {issuer} kept"
