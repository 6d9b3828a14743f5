"""电子证照库 at the hub: the register of every center's licences, and their relay.

A center's ``licence.issued`` and ``licence.revoked`` (``sync.licences``) are kept in
``HubLicence``. Only the issuer writes a licence's record: its number names the issuing
center (``sync.case_records.creator_of``), and the single-writer rule refuses any other
center's event on it (``NOT_OWNER``, in the security log) before this handler runs.

A licence whose holder consented to share it goes to every center in one message to
``*`` (``licence.shared``), and so does its revocation (``licence.revoked``), each
carrying the issuer's signed event for the receiver to check end to end. Every center,
not the holder's: any window of the city may take the holder's next application (全市
通办), and one stream row for all 204 centers costs less than a row per center and a
guess at where the holder goes next. A licence without consent stays at its issuer and
here.
"""
from __future__ import annotations

from hub.ledger.registry import handles
from hub.ledger.signed_events import KeyRing
from hub.ledger.stream import EVERYONE, send_many
from hub.models import HubLicence
from sync import licences, relay
from sync.errors import Code, ConflictError, ProtocolError

@handles(licences.ISSUED, licences.REVOKED, independent=True)  # its own table and messages
def apply_events(events: list[dict]) -> None:
    """Keep the batch's licences (one insert), then revoke and relay in the events' order."""
    for event in events:
        issuer = event["payload"].get("issuer", event["origin"])
        if issuer != event["origin"]:
            raise ProtocolError(f"{event['origin']} cannot issue a licence as {issuer}",
                                code=Code.NOT_OWNER)
    issued = [e["payload"] for e in events if e["type"] == licences.ISSUED]
    if issued:
        (HubLicence.insert_many([{name: p[name] for name in licences.COLUMNS} for p in issued])
         .on_conflict_ignore().execute())
    revoked = [e["payload"]["number"] for e in events if e["type"] == licences.REVOKED]
    held = {row.number: row for row in HubLicence.select().where(HubLicence.number.in_(revoked))}
    ring, messages = KeyRing(), []
    for event in events:
        payload = event["payload"]
        if event["type"] == licences.ISSUED:
            shared = payload["consent"]
        else:
            shared = _revoke(held.get(payload["number"]), payload)
        if shared:
            kind = licences.SHARED if event["type"] == licences.ISSUED else licences.REVOKED
            messages.append((EVERYONE, kind, {"event": relay.relayed(event),
                                              "keys": ring.of([event])}))
    send_many(messages)


def _revoke(row: HubLicence | None, payload: dict) -> bool:
    """Record a revocation; whether the centers hold the licence and must hear of it."""
    if row is None:
        raise ConflictError(f"licence {payload['number']} was never issued")
    if row.revoked_at is not None:
        return False  # the same revocation again (a replay): nothing new to tell
    HubLicence.update(revoked_at=payload["at"], revoke_reason=payload["reason"]).where(
        HubLicence.number == row.number).execute()
    return row.consent
