"""Push: store a node's events under a unique (origin, seq), apply each once, ack.

This is the hub's hot path, so it works on plain dicts and tuples and writes
with one ``executemany`` per batch. Everything a push changes — the events,
what applying them wrote, the origin's head — commits in one transaction, so
a hub killed mid-apply has either all of a batch or none of it.
"""
from __future__ import annotations

import hashlib

import orjson

from hub import apply
from hub.models import Event, OriginHead, database
from sync.database import insert_rows, is_postgresql
from sync.errors import Code, ProtocolError, SequenceError
from sync.events import GENESIS, hash_input
from sync.faults import crash_point

EVENT_COLUMNS = ("origin", "seq", "type", "record", "created_at", "payload", "prev_hash", "hash",
                 "key_id", "sig", "received_ms", "state", "error_code", "error_detail")
_STR_FIELDS = ("origin", "type", "record", "created_at", "prev_hash", "hash", "key_id", "sig")
_LIMITS = {"origin": 16, "type": 64, "record": 128, "created_at": 32, "prev_hash": 64,
           "hash": 64, "key_id": 16, "sig": 128}


def head_of(origin: str, *, lock: bool = False) -> tuple[int, str]:
    """(seq, hash) of the end of ``origin``'s contiguous chain at the hub."""
    query = OriginHead.select(OriginHead.seq, OriginHead.hash).where(OriginHead.origin == origin)
    if lock and is_postgresql(database.obj):
        query = query.for_update()
    row = query.tuples().first()
    return (row[0], row[1]) if row else (0, GENESIS)


def _check_shape(sender: str, events) -> None:
    if not isinstance(events, list):
        raise ProtocolError("body.events must be a list", code=Code.BODY_MALFORMED)
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise ProtocolError(f"events[{index}] is not an object", code=Code.EVENT_MALFORMED)
        for name in _STR_FIELDS:
            value = event.get(name)
            if not isinstance(value, str) or len(value) > _LIMITS[name]:
                raise ProtocolError(f"events[{index}].{name} is missing or malformed",
                                    code=Code.EVENT_MALFORMED, field=f"events[{index}].{name}")
        if not isinstance(event.get("seq"), int) or isinstance(event["seq"], bool):
            raise ProtocolError(f"events[{index}].seq must be an integer",
                                code=Code.EVENT_MALFORMED, field=f"events[{index}].seq")
        if not isinstance(event.get("payload"), dict):
            raise ProtocolError(f"events[{index}].payload must be an object",
                                code=Code.EVENT_MALFORMED, field=f"events[{index}].payload")
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
    """Verify the chain of new events; return their rows (state filled in later)."""
    rows = []
    seq = first_seq
    for event in events:
        if event["seq"] != seq:
            raise SequenceError(f"events are not contiguous: expected {seq}, found {event['seq']}",
                                code=Code.SEQUENCE_GAP, expected_seq=seq)
        if event["prev_hash"] != prev_hash:
            raise SequenceError(f"event {seq}: prev_hash does not match event {seq - 1}",
                                code=Code.CHAIN_BROKEN, seq=seq)
        payload_json = orjson.dumps(event["payload"], option=orjson.OPT_SORT_KEYS)
        digest = hashlib.sha256(hash_input(event["origin"], seq, event["type"], event["record"],
                                           event["created_at"], prev_hash,
                                           payload_json)).hexdigest()
        if digest != event["hash"]:
            raise SequenceError(f"event {seq}: content does not match its hash",
                                code=Code.CHAIN_BROKEN, seq=seq)
        rows.append([event["origin"], seq, event["type"], event["record"], event["created_at"],
                     payload_json.decode("utf-8"), prev_hash, digest, event["key_id"],
                     event["sig"], now_ms, "", "", ""])
        prev_hash = digest
        seq += 1
    return rows


def _log_refused(origin: str, problems: list[dict], now_ms: int) -> None:
    """Writes refused by the ownership rule go to the security log, like refused messages."""
    rows = [(now_ms, origin, "", p["code"], f"event {p['seq']}: {p['detail']}", "/sync/v1/push",
             "") for p in problems if p["state"] == apply.REFUSED]
    insert_rows(database.obj, "security_event",
                ("at_ms", "center", "key_id", "code", "detail", "path", "remote"), rows)


def receive_push(sender: str, body: dict, *, settings: dict, now_ms: int) -> dict:
    """Store and apply one push from ``sender``; returns the ack body.

    :raises ProtocolError: malformed events or events of another origin (nothing stored).
    :raises SequenceError: SEQUENCE_GAP (with ``expected_seq``), CHAIN_BROKEN, NODE_DIVERGED.
    """
    events = body.get("events") if isinstance(body, dict) else None
    _check_shape(sender, events)
    if len(events) > settings["max_events_per_push"]:
        raise ProtocolError(f"{len(events)} events exceed {settings['max_events_per_push']} "
                            "per push", code=Code.BODY_TOO_LARGE, status=413)
    with database.atomic():
        head_seq, head_hash = head_of(sender, lock=True)
        split = next((i for i, e in enumerate(events) if e["seq"] > head_seq), len(events))
        _check_duplicates(sender, events[:split], head_seq)
        new = events[split:]
        problems = []
        if new:
            if new[0]["seq"] != head_seq + 1:
                raise SequenceError(f"expected seq {head_seq + 1}, got {new[0]['seq']}",
                                    code=Code.SEQUENCE_GAP, expected_seq=head_seq + 1,
                                    head_seq=head_seq, head_hash=head_hash)
            rows = _chain(new, head_hash, head_seq + 1, now_ms)
            apply.apply_events(sender, new, now_ms)
            for row, event in zip(rows, new):
                row[11], row[12], row[13] = event["state"], event["error_code"], event["error_detail"]
                if event["state"] != apply.APPLIED:
                    problems.append({"seq": event["seq"], "state": event["state"],
                                     "code": event["error_code"],
                                     "detail": event["error_detail"][:500]})
            insert_rows(database.obj, "event", EVENT_COLUMNS, rows)
            _log_refused(sender, problems, now_ms)
            crash_point("hub.mid_apply")
            head_seq, head_hash = rows[-1][1], rows[-1][7]
            (OriginHead.insert(origin=sender, seq=head_seq, hash=head_hash)
             .on_conflict(conflict_target=[OriginHead.origin],
                          update={OriginHead.seq: head_seq, OriginHead.hash: head_hash})
             .execute())
    return {"acked_seq": head_seq, "acked_hash": head_hash, "problems": problems}


def stored_event(row: Event) -> dict:
    """An event as it travels, rebuilt from the hub's row."""
    return {"origin": row.origin, "seq": row.seq, "type": row.type, "record": row.record,
            "created_at": row.created_at, "payload": orjson.loads(row.payload),
            "prev_hash": row.prev_hash, "hash": row.hash, "key_id": row.key_id, "sig": row.sig}


def events_of(origin: str, from_seq: int, limit: int) -> list[dict]:
    """An origin's stored events from ``from_seq`` on (for a node's recovery, and audit)."""
    query = (Event.select().where((Event.origin == origin) & (Event.seq >= from_seq))
             .order_by(Event.seq).limit(limit))
    return [stored_event(row) for row in query]
