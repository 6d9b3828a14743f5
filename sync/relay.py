"""Events the hub relays from one center to another, checked end to end.

A relayed event keeps its origin's hash and signature. The hub's message that
carries it is signed by the hub and names the origin's public key, so the
receiver trusts the hub only for "this key is that center's"; the content it
checks itself: the hash recomputed from the event's fields, and the origin's
signature of that hash. An event the hub (or anyone on the way) altered fails.
"""
from __future__ import annotations

from sync import codec
from sync.events import event_hash, verify_signature
from sync.signing import PublicKey

FIELDS = ("origin", "seq", "type", "record", "created_at", "payload", "prev_hash", "hash",
          "key_id", "sig")


def relayed(event: dict) -> dict:
    """An event as it travels: its signed fields only (the payload as an object)."""
    return {name: event[name] for name in FIELDS}


def fault(event: dict, keys: dict[str, str]) -> str | None:
    """Why ``event`` is not its origin's authentic event, or None.

    ``keys``: key id → base64 public key, as the hub's signed message names them.
    """
    missing = [name for name in FIELDS if name not in event]
    if missing:
        return f"relayed event lacks {', '.join(missing)}"
    computed = event_hash(event["origin"], event["seq"], event["type"], event["record"],
                          event["created_at"], event["prev_hash"],
                          codec.canonical(event["payload"]))
    if computed != event["hash"]:
        return f"event {event['origin']}#{event['seq']}: content does not match its hash"
    public = keys.get(event["key_id"])
    if public is None:
        return f"event {event['origin']}#{event['seq']}: signed by unknown key {event['key_id']}"
    if not verify_signature(event, PublicKey.from_b64(public)):
        return f"event {event['origin']}#{event['seq']}: the origin's signature does not verify"
    return None
