"""Push: store a node's events under a unique (origin, seq), apply each once, ack.

This is the hub's hot path, so it works on plain dicts and tuples and writes
with one ``executemany`` per batch. Everything a push changes — the events,
what applying them wrote, the origin's head — commits in one transaction, so
a hub killed mid-apply has either all of a batch or none of it.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from hub.ledger import apply
from hub.models import Event, database
from sync import codec
from sync.database import insert_rows, is_postgresql
from sync.errors import Code, ProtocolError, SequenceError
from sync.events import GENESIS, hash_input, record_mismatch
from sync.faults import crash_point

EVENT_COLUMNS = ("origin", "seq", "type", "record", "created_at", "payload", "prev_hash", "hash",
                 "key_id", "sig", "received_ms", "state", "error_code", "error_detail")
SIGNATURE_B64_LEN = 88  # an Ed25519 signature, 64 bytes, in standard base64
_BASE64 = re.compile(r"[A-Za-z0-9+/]{86}==")
_LIMITS = {"origin": 16, "type": 64, "record": 128, "created_at": 32, "prev_hash": 64,
           "hash": 64, "key_id": 16, "sig": 128}


def head_of(origin: str, *, lock: bool = False) -> tuple[int, str]:
    """(seq, hash) of the end of ``origin``'s contiguous chain at the hub. Plain SQL: read
    twice a push and once a heartbeat."""
    db = database.obj
    lock_row = " FOR UPDATE" if lock and is_postgresql(db) else ""
    row = db.execute_sql(f"SELECT seq, hash FROM origin_head WHERE origin = {db.param}"
                         f"{lock_row}", (origin,)).fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def _malformed(index: int, name: str, why: str = "is missing or malformed") -> ProtocolError:
    return ProtocolError(f"events[{index}].{name} {why}", code=Code.EVENT_MALFORMED,
                         field=f"events[{index}].{name}")


def _check_shape(sender: str, events) -> None:
    """Types and sizes of every field, and that every event is the sender's own.

    Written as plain comparisons, not a schema library: it runs for every event
    of every push.
    """
    if type(events) is not list:
        raise ProtocolError("body.events must be a list", code=Code.BODY_MALFORMED)
    for index, event in enumerate(events):
        if type(event) is not dict:
            raise ProtocolError(f"events[{index}] is not an object", code=Code.EVENT_MALFORMED)
        for name, limit in _LIMITS.items():
            value = event.get(name)
            if type(value) is not str or len(value) > limit:
                raise _malformed(index, name)
        if type(event.get("seq")) is not int:
            raise _malformed(index, "seq", "must be an integer")
        if type(event.get("payload")) is not dict:
            raise _malformed(index, "payload", "must be an object")
        mismatch = record_mismatch(event)
        if mismatch:
            raise _malformed(index, "record", mismatch)
        if event["origin"] != sender:
            raise ProtocolError(f"events[{index}] has origin {event['origin']!r}; "
                                f"{sender} may only push its own events",
                                code=Code.ORIGIN_MISMATCH, status=403, seq=event["seq"])


def _diverged(detail: str, head_seq: int) -> SequenceError:
    return SequenceError(detail + "; the node was restored from an older backup: run "
                         "`hallsync node recover` (or re-enroll)", code=Code.NODE_DIVERGED,
                         expected_seq=head_seq + 1, head_seq=head_seq)


def _check_duplicates(origin: str, dups: list[dict], head_seq: int) -> None:
    """Events the hub already holds must be the very same (same hash)."""
    if not dups:
        return
    stored = dict(Event.select(Event.seq, Event.hash).where(
        (Event.origin == origin) & (Event.seq.between(dups[0]["seq"], dups[-1]["seq"]))).tuples())
    for event in dups:
        if stored.get(event["seq"]) != event["hash"]:
            raise _diverged(f"event {event['seq']} differs from the one the hub holds",
                            head_seq)


def _chain(events: list[dict], prev_hash: str, first_seq: int, now_ms: int) -> list[list]:
    """Verify the chain of new events; return their rows (as applied: ``commit``)."""
    rows = []
    seq = first_seq
    for event in events:
        if event["seq"] != seq:
            raise SequenceError(f"events are not contiguous: expected {seq}, found {event['seq']}",
                                code=Code.SEQUENCE_GAP, expected_seq=seq)
        if event["prev_hash"] != prev_hash:
            raise SequenceError(f"event {seq}: prev_hash does not match event {seq - 1}",
                                code=Code.CHAIN_BROKEN, seq=seq)
        try:
            payload_json = codec.canonical(event["payload"])  # no floats, no ints past 64 bits
        except ProtocolError as exc:
            raise ProtocolError(f"event {seq}: payload: {exc.detail}", code=Code.EVENT_MALFORMED,
                                field="payload", seq=seq) from None
        digest = hashlib.sha256(hash_input(event["origin"], seq, event["type"], event["record"],
                                           event["created_at"], prev_hash,
                                           payload_json)).hexdigest()
        if digest != event["hash"]:
            raise SequenceError(f"event {seq}: content does not match its hash",
                                code=Code.CHAIN_BROKEN, seq=seq)
        rows.append([event["origin"], seq, event["type"], event["record"], event["created_at"],
                     payload_json.decode("utf-8"), prev_hash, digest, event["key_id"],
                     event["sig"], now_ms, apply.APPLIED, "", ""])
        prev_hash = digest
        seq += 1
    return rows


def _log_refused(events: list[dict], now_ms: int) -> None:
    """Writes refused by the ownership rule go to the security log, like refused messages."""
    rows = [(now_ms, e["origin"], "", e["error_code"], f"event {e['seq']}: {e['error_detail']}",
             "/sync/v1/push", "", 1) for e in events if e["state"] == apply.REFUSED]
    insert_rows(database.obj, "security_event",
                ("at_ms", "center", "key_id", "code", "detail", "path", "remote", "repeats"), rows)


@dataclass
class Prepared:
    """A push checked and chained outside the write lock, on the head read then."""

    sender: str
    events: list[dict]
    head: tuple[int, str]
    split: int = 0                  # events[:split] the hub already held
    rows: list[list] | None = None  # rows of the new ones; None when not contiguous


def _plan(prepared: Prepared, now_ms: int) -> Prepared:
    head_seq, head_hash = prepared.head
    events = prepared.events
    prepared.split = next((i for i, e in enumerate(events) if e["seq"] > head_seq), len(events))
    new = events[prepared.split:]
    contiguous = not new or new[0]["seq"] == head_seq + 1
    prepared.rows = _chain(new, head_hash, head_seq + 1, now_ms) if contiguous else None
    return prepared


def _check_signatures_shape(sender: str, events: list[dict]) -> None:
    """Each event's own signature is well formed and by one of its origin's keys.

    The push's envelope, verified once, already proves the sender sent every event of
    the body; an event's own signature is what lets it travel alone (a relay), so it is
    verified before the hub relays it. Here, at no cost per event, nothing may be stored
    that could never verify: a malformed signature or another center's key id.
    """
    db = database.obj
    own_keys = {key for (key,) in db.execute_sql(
        f"SELECT key_id FROM node_key WHERE center = {db.param}", (sender,))}
    for index, event in enumerate(events):
        if event["key_id"] not in own_keys:
            raise _malformed(index, "key_id", f"is not a key of {sender}")
        sig = event["sig"]
        if len(sig) != SIGNATURE_B64_LEN or not _BASE64.fullmatch(sig):
            raise _malformed(index, "sig", "is not the base64 of a 64-byte signature")


def prepare(sender: str, body, *, settings: dict, now_ms: int) -> Prepared:
    """The CPU-heavy part of a push, which needs no lock: shape, origin, hashes, chain, and
    what the handlers can work out of the new events ahead (``apply.work_ahead``).

    :raises ProtocolError: malformed events or events of another origin.
    :raises SequenceError: CHAIN_BROKEN.
    """
    events = body.get("events") if isinstance(body, dict) else None
    _check_shape(sender, events)
    _check_signatures_shape(sender, events)
    if len(events) > settings["max_events_per_push"]:
        raise ProtocolError(f"{len(events)} events exceed {settings['max_events_per_push']} "
                            "per push", code=Code.BODY_TOO_LARGE, status=413)
    prepared = _plan(Prepared(sender, events, head_of(sender)), now_ms)
    if prepared.rows is not None:
        apply.work_ahead(events[prepared.split:])
    return prepared


@dataclass
class Stored:
    """A push stored, its origin's head moved, its new events not applied yet."""

    events: list[dict]  # the new ones, in seq order
    acked: tuple[int, str]


def store(prepared: Prepared, *, now_ms: int) -> Stored:
    """Inside the caller's write transaction: store a prepared push's new events and move
    its origin's head; ``apply_stored`` applies them, in the same transaction.

    Stored before they are applied, so a handler finds a case's events of this push among
    the stored ones (a handoff sends them); stored as applied, since nearly all are, and
    the few that are not are marked after.

    :raises SequenceError: SEQUENCE_GAP (with ``expected_seq``), NODE_DIVERGED.
    """
    sender = prepared.sender
    head = head_of(sender, lock=True)
    if head != prepared.head:  # another push of this origin committed meanwhile
        prepared = _plan(Prepared(sender, prepared.events, head), now_ms)
    head_seq, head_hash = head
    _check_duplicates(sender, prepared.events[:prepared.split], head_seq)
    new = prepared.events[prepared.split:]
    if prepared.rows is None:
        raise SequenceError(f"expected seq {head_seq + 1}, got {new[0]['seq']}",
                            code=Code.SEQUENCE_GAP, expected_seq=head_seq + 1,
                            head_seq=head_seq, head_hash=head_hash)
    if new:
        rows = prepared.rows
        insert_rows(database.obj, "event", EVENT_COLUMNS, rows)
        head_seq, head_hash = rows[-1][1], rows[-1][7]
        insert_rows(database.obj, "origin_head", ("origin", "seq", "hash"),
                    [(sender, head_seq, head_hash)],
                    suffix="ON CONFLICT (origin) DO UPDATE SET seq = excluded.seq, "
                           "hash = excluded.hash")
    return Stored(new, (head_seq, head_hash))


def apply_stored(pushes: list[Stored], *, now_ms: int) -> list[dict]:
    """Apply the new events of stored pushes, of one origin or several, together (each
    handler's run spans them); each push's reply: its ack and the problems of its events
    not applied."""
    events = [event for push in pushes for event in push.events]
    if events:
        apply.apply_events(events, now_ms)
        unapplied = [event for event in events if event["state"] != apply.APPLIED]
        apply.store_states(unapplied)
        _log_refused(unapplied, now_ms)
        crash_point("hub.mid_apply")
    return [{"acked_seq": push.acked[0], "acked_hash": push.acked[1],
             "problems": [{"seq": e["seq"], "state": e["state"], "code": e["error_code"],
                           "detail": e["error_detail"][:500]}
                          for e in push.events if e["state"] != apply.APPLIED]}
            for push in pushes]


def commit(prepared: Prepared, *, now_ms: int) -> dict:
    """Inside the caller's write transaction: store, apply and acknowledge a prepared push.

    :raises SequenceError: SEQUENCE_GAP (with ``expected_seq``), NODE_DIVERGED.
    """
    return apply_stored([store(prepared, now_ms=now_ms)], now_ms=now_ms)[0]


def receive_push(sender: str, body: dict, *, settings: dict, now_ms: int) -> dict:
    """Prepare and commit one push in its own transaction; returns the ack body."""
    prepared = prepare(sender, body, settings=settings, now_ms=now_ms)
    with database.atomic():
        return commit(prepared, now_ms=now_ms)


def events_of(origin: str, from_seq: int, limit: int) -> list[dict]:
    """An origin's stored events from ``from_seq`` on (for a node's recovery, and audit)."""
    query = (Event.select().where((Event.origin == origin) & (Event.seq >= from_seq))
             .order_by(Event.seq).limit(limit))
    return [apply.stored_event(row) for row in query]
