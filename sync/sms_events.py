"""``sms.requested``: a center asks the hub to send one SMS, in the change it announces.

A node has no gateway account: the city's one account is the hub's. So a node
writes the message as an event of its own chain, in the same transaction as
the change it announces (an acceptance, a 补正 notice, a completion); the
message exists exactly when the change does, and reaches the hub with the push.
The hub's id for it, sent to the provider as the message's own id, is
``{origin}-{seq}``: unique city-wide and the same on every retry.

Payload: ``{kind, phone, params, case, expires_at}``; ``kind`` names a template of
``sync.sms_templates``, ``expires_at`` (UTC, the event clock's format, or
``""``) the moment after which the message is dropped rather than sent late
(an appointment reminder).
"""
from __future__ import annotations

from sync import events, sms_templates

REQUESTED = "sms.requested"


def out_id(origin: str, seq: int) -> str:
    """Our id of a center's message: the provider's out-id, the same on every retry."""
    return f"{origin}-{seq}"


def payload(kind: str, phone: str, params: dict, *, case: str = "",
            expires_at: str = "") -> dict:
    return {"kind": kind, "phone": phone, "params": params, "case": case,
            "expires_at": expires_at}


def _check(payload: dict) -> str | None:
    reason = sms_templates.check(payload.get("kind"), payload.get("phone"),
                                 payload.get("params"))
    if reason:
        return reason
    if not isinstance(payload.get("case"), str) or len(payload["case"]) > 40:
        return "case: must be a case number or empty"
    if not isinstance(payload.get("expires_at"), str) or len(payload["expires_at"]) > 32:
        return "expires_at: must be a UTC time or empty"
    return None


events.register(REQUESTED, needs_record=False, check=_check,
                help="Send one SMS through the hub's gateway account; payload {kind, phone, "
                     "params, case, expires_at}.")
