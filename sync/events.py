"""Events: the one unit of change that travels, and the hash chain that orders them.

Every change at a center is an event ``(origin, seq, type, record, created_at,
payload, prev_hash, hash, key_id, sig)``. ``seq`` counts from 1 per origin
without gaps; ``hash`` is SHA-256 over ``hash_input`` (which includes
``prev_hash``), so each center's events form a chain that anyone with the
public keys can verify offline; ``sig`` is the origin's Ed25519 signature of
the hash, so an event relayed by the hub can be checked end to end.

``record`` names the one record an event changes (``"kind:key"``) or is
empty. The hub's ownership rule and its quarantine both work on it.

The vocabulary (``TYPES``) is the list of event types a center may emit;
later features add theirs with ``register``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable

from sync import codec
from sync.errors import Code, ProtocolError, SequenceError, ValidationError
from sync.signing import KeyPair, PublicKey, b64, unb64

GENESIS = "0" * 64
FIELDS = ("origin", "seq", "type", "record", "created_at", "payload", "prev_hash", "hash",
          "key_id", "sig")
MAX_RECORD_LEN = 128


@dataclass(frozen=True)
class EventType:
    name: str
    needs_record: bool
    check: Callable[[dict], str | None]  # returns a reason when the payload is wrong
    help: str
    # The record an event's payload names, which must be the event's own ``record``
    # (None: the payload names none); a receiver checks it before trusting the record.
    record_of: Callable[[dict], str | None] | None = None


TYPES: dict[str, EventType] = {}


def register(name: str, *, needs_record: bool, help: str,
             check: Callable[[dict], str | None] = lambda payload: None,
             record_of: Callable[[dict], str | None] | None = None) -> EventType:
    """Add an event type to the vocabulary (each feature registers its own)."""
    TYPES[name] = EventType(name, needs_record, check, help, record_of)
    return TYPES[name]


def record_mismatch(event: dict) -> str | None:
    """Why ``event``'s record is not the one its payload names, or None."""
    kind = TYPES.get(event.get("type"))
    if kind is None or kind.record_of is None or not isinstance(event.get("payload"), dict):
        return None
    named = kind.record_of(event["payload"])
    if named is None or named == event.get("record"):
        return None
    return f"is {event.get('record')!r} but its payload names {named!r}"


def _record_put(payload: dict) -> str | None:
    return None if isinstance(payload.get("data"), dict) else "payload.data must be an object"


def _message_applied(payload: dict) -> str | None:
    if not isinstance(payload.get("message_id"), int):
        return "payload.message_id must be an integer"
    return None


register("record.put", needs_record=True, check=_record_put,
         help="Create or replace a record owned by the origin; payload {data: {...}}.")
register("record.delete", needs_record=True, help="Delete a record owned by the origin.")
register("message.applied", needs_record=False, check=_message_applied,
         help="The node applied a message from its pull stream; payload {message_id, type}.")


def utc_now_iso() -> str:
    """The event clock: UTC, millisecond precision, ``Z`` suffix."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def hash_input(origin: str, seq: int, type_: str, record: str, created_at: str,
               prev_hash: str, payload_json: bytes) -> bytes:
    """The bytes an event's hash covers; ``payload_json`` is the canonical payload."""
    head = f"hallsync-event-v1\n{origin}\n{seq}\n{type_}\n{record}\n{created_at}\n{prev_hash}\n"
    return head.encode("utf-8") + payload_json


def event_hash(origin, seq, type_, record, created_at, prev_hash, payload_json: bytes) -> str:
    return hashlib.sha256(hash_input(origin, seq, type_, record, created_at, prev_hash,
                                     payload_json)).hexdigest()


def sig_input(event_hash_hex: str) -> bytes:
    return b"hallsync-event-sig-v1\n" + event_hash_hex.encode("ascii")


def validate_new(type_: str, record: str, payload: dict) -> None:
    """Check an event a center is about to write against the vocabulary."""
    kind = TYPES.get(type_)
    if kind is None:
        raise ProtocolError(f"unknown event type {type_!r}", code=Code.EVENT_TYPE_UNKNOWN)
    if not isinstance(payload, dict):
        raise ProtocolError("payload must be an object", code=Code.EVENT_MALFORMED)
    if kind.needs_record and not record:
        raise ProtocolError(f"{type_} needs a record", code=Code.EVENT_MALFORMED)
    if len(record) > MAX_RECORD_LEN:
        raise ProtocolError("record name too long", code=Code.EVENT_MALFORMED)
    reason = kind.check(payload)
    if reason:
        raise ProtocolError(f"{type_}: {reason}", code=Code.EVENT_MALFORMED, field=reason)


def make(keys: KeyPair, *, origin: str, seq: int, prev_hash: str, type_: str, record: str,
         payload: dict, created_at: str | None = None) -> dict:
    """Build a signed event dict, validated against the vocabulary."""
    validate_new(type_, record, payload)
    created_at = created_at or utc_now_iso()
    payload_json = codec.canonical(payload)
    if codec.has_nul(payload_json) or "\0" in record:
        # The hub refuses it (BODY_MALFORMED): refused here, the outbox never holds it.
        raise ValidationError("不能包含空字符（U+0000）", field="payload")
    digest = event_hash(origin, seq, type_, record, created_at, prev_hash, payload_json)
    return {"origin": origin, "seq": seq, "type": type_, "record": record,
            "created_at": created_at, "payload": payload, "prev_hash": prev_hash,
            "hash": digest, "key_id": keys.key_id, "sig": b64(keys.sign(sig_input(digest)))}


def verify_signature(event: dict, public: PublicKey) -> bool:
    """True when ``event['sig']`` is ``public``'s signature of the event's hash."""
    try:
        return public.verify(unb64(event["sig"]), sig_input(event["hash"]))
    except (ValueError, KeyError, TypeError):
        return False


@dataclass(frozen=True)
class ChainFault:
    seq: int
    reason: str


def check_chain(events: Iterable[dict], *, prev_hash: str = GENESIS, first_seq: int = 1,
                keys: dict[str, PublicKey] | None = None) -> ChainFault | None:
    """Walk events in seq order; return the first fault, or None when intact.

    ``payload`` may be a dict or its stored canonical JSON text. With ``keys``
    (key id → public key), each signature is checked too.
    """
    expected_seq = first_seq
    for event in events:
        seq = event["seq"]
        if seq != expected_seq:
            return ChainFault(seq, f"expected seq {expected_seq}, found {seq}")
        if event["prev_hash"] != prev_hash:
            return ChainFault(seq, "prev_hash does not match the previous event's hash")
        payload = event["payload"]
        payload_json = payload.encode("utf-8") if isinstance(payload, str) else codec.canonical(
            payload)
        computed = event_hash(event["origin"], seq, event["type"], event["record"],
                              event["created_at"], prev_hash, payload_json)
        if computed != event["hash"]:
            return ChainFault(seq, "content does not match its hash")
        if keys is not None:
            public = keys.get(event["key_id"])
            if public is None:
                return ChainFault(seq, f"signed by unknown key {event['key_id']}")
            if not verify_signature(event, public):
                return ChainFault(seq, "signature does not verify")
        prev_hash = event["hash"]
        expected_seq += 1
    return None


def require_chain(events: list[dict], *, prev_hash: str, first_seq: int) -> None:
    """``check_chain`` that raises ``SequenceError(CHAIN_BROKEN)`` naming the seq."""
    fault = check_chain(events, prev_hash=prev_hash, first_seq=first_seq)
    if fault is not None:
        raise SequenceError(f"event {fault.seq}: {fault.reason}", code=Code.CHAIN_BROKEN,
                            seq=fault.seq)
