"""Licences a department's business system issued itself, pushed to the hub's register
(``POST /dept/v1/licences``): 电子证照库 beside the centers' (``hub.cases.licences``).

A department pushes only licences of the types its own matters issue (the
``result_licence`` of the matters in force whose ``department`` is its own); any other
is refused (``FORBIDDEN``). A batch is checked whole before anything is written, and is
kept whole or not at all. A licence is its number and its issuer: pushed again
unchanged it changes nothing; changed (validity, holder, consent) or revoked, the
register takes the new state. A revocation is final: a revoked licence pushed without
its revocation is refused (``CONFLICT``), a new licence takes a new number.

Consent. The licence is the department's own record and always enters the register,
as a center's licence without consent does. It goes to every center's window only
when the department says the holder consented to share it (``consent``, required:
the department asks the holder when it issues, as a window does at intake, and the
hub will not guess). A shared licence that changes reaches every center again, in the
same stream as the centers' licences (``sync.licences.DEPARTMENT`` to ``*``), and so
does a withdrawn consent, which removes it from every center's register.

The centers' licences travel with their issuer's own signed event; a department
signs its request, not each licence, so its licences travel signed by the hub, which
authenticated the department's envelope (as it vouches for the centers' keys).
"""
from __future__ import annotations

import datetime

from hub.ledger.stream import EVERYONE, send_many
from hub.models import HubLicence
from sync import case_records, licences
from sync.catalog_history import load_departments
from sync.catalog_search import department_name
from sync.errors import ConflictError, Forbidden, ValidationError
from sync.identity_codes import RESIDENT_ID, check_credit_code, check_person_id

MAX_BATCH = 500
# What makes a licence: a repush that differs in any of these changes it.
_FIELDS = ("name", "holder_id_type", "holder_id_code", "holder_name", "valid_from", "valid_to",
           "consent", "revoked_at", "revoke_reason")


def licence_types(department: str, in_force: dict[str, dict]) -> set[str]:
    """The licences the department's matters in force issue, by name."""
    return {m["result_licence"]["name"] for m in in_force.values()
            if m["department"] == department and m.get("result_licence")}


def _fail(field: str, reason: str):
    raise ValidationError(f"{field}: {reason}", field=field)


def _text(item: dict, name: str, at: str, limit: int) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        _fail(f"{at}.{name}", f"应为 1 到 {limit} 个字符的文字")
    return value.strip()


def _day(value, field: str) -> str:
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        _fail(field, f"应为 YYYY-MM-DD 格式的日期，实际为 {value!r}"[:200])


def _holder(raw, at: str) -> tuple[str, str, str]:
    """(ID type, ID number, name): the shape of an applicant in ``/dept/v1/results``, and
    stored as the window stores an applicant's, so reuse finds it."""
    if not isinstance(raw, dict) or raw.get("kind") not in case_records.APPLICANT_KINDS:
        _fail(f"{at}.kind", "持证人类型应为 person（自然人）或 enterprise（法人或其他组织）")
    name = _text(raw, "name", at, 200)
    if raw["kind"] != "person":
        return RESIDENT_ID, check_credit_code(str(raw.get("id_code") or ""),
                                              field=f"{at}.id_code"), name
    id_type = raw.get("id_type") or RESIDENT_ID
    return id_type, check_person_id(id_type, str(raw.get("id_code") or ""),
                                    field=f"{at}.id_code"), name


def _checked(item, at: str, types: set[str], department: str) -> dict:
    """One pushed licence as the register's row. :raises ValidationError: naming the
    field. :raises Forbidden: a licence type the department's matters do not issue."""
    if not isinstance(item, dict):
        _fail(at, "应为一个电子证照对象")
    number = _text(item, "number", at, 40)
    if any(c.isspace() for c in number) or licences.center_numbered(number):
        _fail(f"{at}.number", "证照编号不能含空白，也不能是政务服务中心的编号格式（CENTER-DZZZ-…）")
    name = _text(item, "name", at, 200)
    if name not in types:
        raise Forbidden(f"{at}.name: 「{name}」不是本部门（{department}）事项签发的证照"
                        f"（可推送：{'、'.join(sorted(types)) or '无'}）", reason="scope")
    id_type, id_code, holder_name = _holder(item.get("holder"), f"{at}.holder")
    valid_from = _day(item.get("valid_from"), f"{at}.valid_from")
    valid_to = item.get("valid_to", "")
    if valid_to != "":
        valid_to = _day(valid_to, f"{at}.valid_to")
        if valid_to < valid_from:
            _fail(f"{at}.valid_to", "有效期截止日不能早于起始日")
    if not isinstance(item.get("consent"), bool):
        _fail(f"{at}.consent", "应为 true 或 false：持证人是否同意在全市各中心共享复用")
    revoked = item.get("revoked")
    if revoked is not None and not isinstance(revoked, dict):
        _fail(f"{at}.revoked", "撤销应为 {\"reason\": …} 或省略")
    return {"number": number, "name": name, "holder_id_type": id_type,
            "holder_id_code": id_code, "holder_name": holder_name, "valid_from": valid_from,
            "valid_to": valid_to, "consent": item["consent"],
            "revoke_reason": (_revocation(revoked, f"{at}.revoked")
                              if revoked is not None else "")}


def _revocation(revoked: dict, at: str) -> str:
    try:
        return licences.check_reason(revoked.get("reason"))
    except ValueError as exc:
        _fail(f"{at}.reason", str(exc))


def check(body: dict, department: str, in_force: dict[str, dict]) -> list[dict]:
    """Every licence of the push, checked before any is written."""
    items = body.get("licences")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        _fail("licences", f"应为 1 到 {MAX_BATCH} 个电子证照的列表")
    types = licence_types(department, in_force)
    rows, seen = [], set()
    for i, item in enumerate(items):
        row = _checked(item, f"licences[{i}]", types, department)
        if row["number"] in seen:
            _fail(f"licences[{i}].number", f"证照编号 {row['number']} 在本批中重复")
        seen.add(row["number"])
        rows.append(row)
    return rows


def push(department: str, body: dict, in_force: dict[str, dict],
         now: datetime.datetime) -> dict:
    """Register a department's licences (in the caller's transaction) and tell every
    center of those shared; what became of each.

    :raises ValidationError: a malformed field, named. :raises Forbidden: another
        department's licence type. :raises ConflictError: a number another issuer holds,
        or a revoked licence pushed as in force.
    """
    rows = check(body, department, in_force)
    held = {row.number: row for row in HubLicence.select().where(
        HubLicence.number.in_([r["number"] for r in rows]))}
    at = case_records.iso(now)
    name = department_name(department, load_departments())
    written, messages, outcomes = [], [], []
    for pushed in rows:
        old = held.get(pushed["number"])
        row = _as_registered(pushed, old, department, name, at)
        outcome = "registered" if old is None else (
            "unchanged" if all(getattr(old, f) == row[f] for f in _FIELDS) else "changed")
        shared = _shared(old, row, outcome)
        if outcome != "unchanged":
            written.append(row)
        if shared:
            messages.append((EVERYONE, licences.DEPARTMENT, {"licence": row}))
        outcomes.append({"number": row["number"], "outcome": outcome, "shared": row["consent"]
                         and row["revoked_at"] is None})
    if written:
        (HubLicence.insert_many(written)
         .on_conflict(conflict_target=[HubLicence.number],
                      preserve=[getattr(HubLicence, f) for f in _FIELDS])
         .execute())
    send_many(messages)
    return {"licences": outcomes}


def _as_registered(pushed: dict, old: HubLicence | None, department: str, name: str,
                   at: str) -> dict:
    """The register's row for a pushed licence. :raises ConflictError: see ``push``."""
    if old is not None and old.issuer != department:
        raise ConflictError(f"证照编号 {pushed['number']} 已由 {old.issuer} 签发")
    if old is not None and old.revoked_at is not None and not pushed["revoke_reason"]:
        raise ConflictError(f"电子证照 {pushed['number']} 已于 {old.revoked_at[:10]} 撤销，"
                            "撤销不可恢复：请以新编号签发")
    revoked_at = None
    if pushed["revoke_reason"]:  # the first revocation's time stays
        revoked_at = old.revoked_at if old is not None and old.revoked_at else at
    return {**pushed, "department": name, "issuer": department, "case_number": "",
            "trust_level": licences.ISSUED_LEVEL,
            "issued_at": old.issued_at if old is not None else at, "revoked_at": revoked_at}


def _shared(old: HubLicence | None, row: dict, outcome: str) -> bool:
    """Whether the centers must hear of this licence: it changed, and it is shared or was
    (a withdrawn consent removes it); a licence revoked before any center had it, never."""
    if outcome == "unchanged":
        return False
    if old is None:
        return row["consent"] and row["revoked_at"] is None
    return row["consent"] or old.consent
