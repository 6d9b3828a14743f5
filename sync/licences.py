"""电子证照库: the licences a decision issues, shared with every center's window.

A matter whose catalog entry names a ``result_licence`` issues that licence when a
case of it is approved (``decide``, or ``complete_immediate`` for a 即办件). The
deciding center writes ``licence.issued`` on the record ``licence:<number>`` in the
decision's transaction; the number starts with the issuing center's code, so no
other center can claim it (``creator``), and only its issuer may write
``licence.revoked`` on it (the hub's single-writer rule). The hub relays a licence
whose holder consented to share it, and its revocation, to every center as the
issuer signed them.

Trust levels follow 国办函〔2016〕108号 (domain.md): A issued by the authority, B a
copy the window checked against the original, C uploaded by the applicant (the
original still checked), D the applicant's own pledge. A licence issued here is A.

A department's business system pushes the licences it issued itself to the hub
(``hub.cases.department_licences``); they are A too, numbered by the department, never
in a center's shape, and reach the centers as ``DEPARTMENT`` messages the hub signs.
"""
from __future__ import annotations

import datetime
import re

from sync import events
from sync.consultation import check_texts
from sync.identity_codes import ID_TYPES
from sync.topology import CENTER_CODE

ISSUED, REVOKED = "licence.issued", "licence.revoked"
SHARED = "licence.shared"  # the hub's message carrying a ``licence.issued`` to everyone
# The hub's message carrying a department's licence (pushed at ``/dept/v1/licences``) as
# the register now holds it: new, changed, revoked, or no longer shared (``consent`` false).
DEPARTMENT = "licence.department"
TRUST_LEVELS = {"A": "A级（发证机关签发）", "B": "B级（窗口核验）", "C": "C级（申请人上传）",
                "D": "D级（申请人承诺）"}
ISSUED_LEVEL = "A"
MAX_REASON = 500
# The fields of ``licence.issued``, as every register (node, hub) keeps them.
COLUMNS = ("number", "name", "holder_id_type", "holder_id_code", "holder_name", "valid_from",
           "valid_to", "department", "issuer", "case_number", "consent", "trust_level",
           "issued_at")
_NUMBER = re.compile(rf"(?P<center>{CENTER_CODE.pattern})-DZZZ-"
                     r"(?P<year>[0-9]{4})-(?P<seq>[0-9]{6})")


def number(center: str, year: int, seq: int) -> str:
    """A licence number: the issuing center, the year, a sequence of the center's year."""
    return f"{center}-DZZZ-{year:04d}-{seq:06d}"


def record_of(licence_number: str) -> str:
    return f"licence:{licence_number}"


def creator(record: str) -> str:
    """The center a ``licence:`` record's number names ("" when malformed: nobody)."""
    found = _NUMBER.fullmatch(record.removeprefix("licence:"))
    return found["center"] if found else ""


def valid_to(valid_from: datetime.date, years: int) -> str:
    """The last day of validity, or "" for 长期 (``years`` 0)."""
    if years == 0:
        return ""
    try:
        end = valid_from.replace(year=valid_from.year + years)
    except ValueError:  # 29 February: the term ends with February
        end = valid_from.replace(year=valid_from.year + years, day=28) + datetime.timedelta(days=1)
    return (end - datetime.timedelta(days=1)).isoformat()


def in_force(valid_from: str, valid_until: str, revoked: bool, today: datetime.date) -> bool:
    """Whether a licence may satisfy a material today: not revoked, within its term."""
    day = today.isoformat()
    return not revoked and valid_from <= day and (not valid_until or day <= valid_until)


def satisfies(level: str, accepted: str) -> bool:
    """Whether a source of trust ``level`` satisfies a material that accepts down to
    ``accepted`` (the material's ``reusable_trust_level``): A before B before C before D."""
    return level in TRUST_LEVELS and level <= accepted


def check_reason(reason) -> str:
    """The revocation's reason, stripped. :raises ValueError: empty or too long."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > MAX_REASON:
        raise ValueError(f"请填写撤销原因（不超过 {MAX_REASON} 字）")
    return text


def _issued(payload: dict) -> str | None:
    reason = check_texts(payload, (("number", 40), ("name", 200), ("holder_id_code", 32),
                                   ("holder_name", 200), ("valid_from", 10),
                                   ("department", 200), ("issuer", 12), ("case_number", 40),
                                   ("issued_at", 32)))
    if reason:
        return reason
    if not _NUMBER.fullmatch(payload["number"]):
        return "payload.number must be CENTER-DZZZ-YYYY-NNNNNN"
    if payload.get("holder_id_type") not in ID_TYPES:
        return "payload.holder_id_type must be an identity document type"
    if not isinstance(payload.get("valid_to"), str) or len(payload["valid_to"]) not in (0, 10):
        return "payload.valid_to must be a date or empty (长期)"
    if payload.get("trust_level") not in TRUST_LEVELS:
        return "payload.trust_level must be one of A, B, C, D"
    if not isinstance(payload.get("consent"), bool):
        return "payload.consent must be true or false"
    return None


def _revoked(payload: dict) -> str | None:
    return check_texts(payload, (("number", 40), ("reason", MAX_REASON), ("at", 32)))


def center_numbered(licence_number: str) -> bool:
    """Whether a number has the centers' shape: those are the centers' alone, so a
    department's licence may never take one a center will issue."""
    return bool(_NUMBER.fullmatch(licence_number))


def department_fault(licence: dict, departments) -> str | None:
    """Why the hub's ``licence.department`` message is not a department's licence, or None.

    ``departments``: the codes of ``config/departments.toml``."""
    reason = check_texts(licence, (("number", 40), ("name", 200), ("holder_id_code", 32),
                                   ("holder_name", 200), ("valid_from", 10),
                                   ("department", 200), ("issuer", 16), ("issued_at", 32)))
    if reason:
        return reason
    if licence["issuer"] not in departments:
        return f"licence.issuer {licence['issuer']!r} is not a department"
    if center_numbered(licence["number"]):
        return f"licence.number {licence['number']!r} has a center's shape"
    if licence.get("holder_id_type") not in ID_TYPES:
        return "licence.holder_id_type must be an identity document type"
    if not isinstance(licence.get("valid_to"), str) or len(licence["valid_to"]) not in (0, 10):
        return "licence.valid_to must be a date or empty (长期)"
    if licence.get("trust_level") not in TRUST_LEVELS or licence.get("case_number") != "":
        return "licence.trust_level must be one of A, B, C, D, its case_number empty"
    if not isinstance(licence.get("consent"), bool):
        return "licence.consent must be true or false"
    revoked = licence.get("revoked_at")
    if revoked is not None and (not isinstance(revoked, str)
                                or not isinstance(licence.get("revoke_reason"), str)):
        return "licence.revoked_at must come with its revoke_reason"
    return None


def _named(payload: dict) -> str | None:
    value = payload.get("number")
    return record_of(value) if isinstance(value, str) else None


events.register(ISSUED, needs_record=True, check=_issued, record_of=_named,
                help="电子证照: a licence an approval issued (number, holder, validity, issuer, "
                     "case, the holder's consent to share, trust level).")
events.register(REVOKED, needs_record=True, check=_revoked, record_of=_named,
                help="电子证照: its issuing center revoked a licence; payload {number, reason, at}.")
