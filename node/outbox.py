"""The outbox: every change at a node is written, in the same transaction as the
change, as the next event of this center's hash chain."""
from __future__ import annotations

import orjson

from node.models import OutboxEvent, database
from sync import codec, events
from sync.database import insert_rows
from sync.signing import KeyPair

COLUMNS = ("seq", "type", "record", "created_at", "payload", "prev_hash", "hash", "key_id", "sig")


def last() -> tuple[int, str]:
    """(seq, hash) of the newest event, or (0, GENESIS). Plain SQL, as ``hash_at``: read
    every sync round and every event written, where peewee's query building costs more
    than the read."""
    row = database.execute_sql(
        "SELECT seq, hash FROM outbox_event ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, events.GENESIS)


def _row(event: dict) -> tuple:
    return (event["seq"], event["type"], event["record"], event["created_at"],
            codec.canonical(event["payload"]).decode("utf-8"), event["prev_hash"],
            event["hash"], event["key_id"], event["sig"])


def emit(keys: KeyPair, center: str, type_: str, record: str, payload: dict) -> dict:
    """Append one event. Call inside the transaction that makes the change it records."""
    return emit_many(keys, center, [(type_, record, payload)])[-1]


def emit_many(keys: KeyPair, center: str, changes: list[tuple]) -> list[dict]:
    """Append events ``(type, record, payload[, created_at])`` in order, in one transaction."""
    with database.atomic():
        seq, prev_hash = last()
        made = []
        for type_, record, payload, *created_at in changes:
            seq += 1
            event = events.make(keys, origin=center, seq=seq, prev_hash=prev_hash,
                                type_=type_, record=record, payload=payload,
                                created_at=created_at[0] if created_at else None)
            prev_hash = event["hash"]
            made.append(event)
        insert_events(made)
    return made


def insert_events(made: list[dict]) -> None:
    """Store events made elsewhere (this center's own, taken back from the hub)."""
    insert_rows(database.obj, "outbox_event", COLUMNS, [_row(e) for e in made])


def as_event(row: tuple, center: str) -> dict:
    seq, type_, record, created_at, payload, prev_hash, hash_, key_id, sig = row
    return {"origin": center, "seq": seq, "type": type_, "record": record,
            "created_at": created_at, "payload": codec.loads(payload), "prev_hash": prev_hash,
            "hash": hash_, "key_id": key_id, "sig": sig}


def pending(after_seq: int, limit: int, center: str) -> list[dict]:
    """Events after ``after_seq`` in seq order, ready to send.

    The hot path of a push: plain SQL, and each payload goes out as the stored
    canonical JSON (an ``orjson.Fragment``) instead of being parsed and printed again.
    """
    cursor = database.execute_sql(
        f"SELECT {', '.join(COLUMNS)} FROM outbox_event WHERE seq > ? ORDER BY seq LIMIT ?",
        (after_seq, limit))
    return [{"origin": center, "seq": seq, "type": type_, "record": record,
             "created_at": created_at, "payload": orjson.Fragment(payload),
             "prev_hash": prev_hash, "hash": hash_, "key_id": key_id, "sig": sig}
            for seq, type_, record, created_at, payload, prev_hash, hash_, key_id, sig
            in cursor.fetchall()]


def read(after_seq: int, center: str) -> list[dict]:
    """Events after ``after_seq`` with their payloads parsed (for recovery and audit)."""
    query = (OutboxEvent.select(*[getattr(OutboxEvent, c) for c in COLUMNS])
             .where(OutboxEvent.seq > after_seq).order_by(OutboxEvent.seq).tuples())
    return [as_event(row, center) for row in query]


def backlog(acked_seq: int, last_seq: int | None = None) -> int:
    """Events the hub has not acknowledged yet: the chain's seqs run from 1 to the last
    without a gap, so no count over them (a month offline is thousands)."""
    return max(0, (last()[0] if last_seq is None else last_seq) - acked_seq)


def hash_at(seq: int) -> str | None:
    row = database.execute_sql("SELECT hash FROM outbox_event WHERE seq = ?", (seq,)).fetchone()
    return row[0] if row else None
