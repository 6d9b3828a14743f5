"""The hub's ordered stream of messages to nodes, signed by the hub.

A node pulls with an exclusive cursor (the id of the last message it
applied) and gets, in id order, the messages addressed to it or to
everyone (``*``). Each message is signed by the hub's key so a node can
check it, as it can check anything relayed.
"""
from __future__ import annotations

from typing import Callable

import orjson

from hub.ledger.registry import handles
from hub.models import HubMessage, database
from sync import codec
from sync.database import insert_rows, is_postgresql
from sync.events import utc_now_iso
from sync.signing import KeyPair, b64

EVERYONE = "*"


def message_signing_bytes(message_id: int, recipient: str, type_: str, created_at: str,
                          payload_json: bytes) -> bytes:
    head = f"hallsync-message-v1\n{message_id}\n{recipient}\n{type_}\n{created_at}\n"
    return head.encode("utf-8") + payload_json


def publish(keys: KeyPair, recipient: str, type_: str, payload: dict) -> int:
    """Append a signed message to the stream; returns its id."""
    payload_json = codec.canonical(payload)
    created_at = utc_now_iso()
    with database.atomic():
        message = HubMessage.create(recipient=recipient, type=type_,
                                    payload=payload_json.decode("utf-8"), created_at=created_at,
                                    sig="")
        sig = keys.sign(message_signing_bytes(message.id, recipient, type_, created_at,
                                              payload_json))
        HubMessage.update(sig=b64(sig)).where(HubMessage.id == message.id).execute()
    return message.id


def publish_many(keys: KeyPair, messages: list[tuple[str, str, dict]]) -> list[int]:
    """Append (recipient, type, payload) messages in this order, signed in memory and
    inserted together; returns their ids. Ids are taken first, as each signature covers one."""
    if not messages:
        return []
    created_at = utc_now_iso()
    with database.atomic():
        ids = _next_ids(len(messages))
        rows = []
        for message_id, (recipient, type_, payload) in zip(ids, messages):
            payload_json = codec.canonical(payload)
            sig = keys.sign(message_signing_bytes(message_id, recipient, type_, created_at,
                                                  payload_json))
            rows.append((message_id, recipient, type_, payload_json.decode("utf-8"), created_at,
                         b64(sig)))
        insert_rows(database.obj, "hub_message",
                    ("id", "recipient", "type", "payload", "created_at", "sig"), rows)
    return ids


def _next_ids(count: int) -> list[int]:
    """``count`` new message ids, ascending. PostgreSQL: from the id's sequence, safe with
    concurrent writers. SQLite: after the largest, as its rowid would be; the caller's
    transaction holds the only write lock."""
    if is_postgresql(database.obj):
        cursor = database.execute_sql(
            "SELECT nextval(pg_get_serial_sequence('hub_message', 'id')) "
            "FROM generate_series(1, %s)", (count,))
        return sorted(value for (value,) in cursor.fetchall())
    last = database.execute_sql("SELECT COALESCE(MAX(id), 0) FROM hub_message").fetchone()[0]
    return list(range(last + 1, last + 1 + count))


_signer: list[Callable[[], KeyPair]] = []  # the hub's key now, set once per process


def use_keys(current: Callable[[], KeyPair]) -> None:
    """Where ``send`` gets the key it signs with (``HubKeyFile.current``: the key after a
    rotation too): event handlers publish, and get no key passed in."""
    _signer[:] = [current]


def send(recipient: str, type_: str, payload: dict) -> int:
    """``publish`` with this process's hub key (from an event handler)."""
    return publish(_signer[0](), recipient, type_, payload)


def send_many(messages: list[tuple[str, str, dict]]) -> list[int]:
    """``publish_many`` with this process's hub key (from an event handler)."""
    if not messages:  # nothing to sign: no key needed (a process that never set one)
        return []
    return publish_many(_signer[0](), messages)


def pull(center: str, since: int, limit: int) -> dict:
    """Messages for ``center`` after ``since``; records the cursor the node reported."""
    if limit < 1:  # SQL reads a negative LIMIT as none: the whole stream in one reply
        raise ValueError(f"limit must be at least 1, got {limit}")
    db, p = database.obj, database.obj.param  # plain SQL: every pull of every node
    db.execute_sql(f"UPDATE center_state SET pull_cursor = {p} WHERE code = {p}",
                   (since, center))
    rows = db.execute_sql(
        "SELECT id, recipient, type, payload, created_at, sig FROM hub_message "
        f"WHERE id > {p} AND recipient IN ({p}, {p}) ORDER BY id LIMIT {p}",
        (since, center, EVERYONE, limit + 1)).fetchall()
    more = len(rows) > limit
    messages = [{"id": id_, "recipient": recipient, "type": type_,
                 "payload": orjson.loads(payload), "created_at": created_at, "sig": sig}
                for id_, recipient, type_, payload, created_at, sig in rows[:limit]]
    cursor = messages[-1]["id"] if messages else since
    return {"messages": messages, "cursor": cursor, "more": more}


@handles("message.applied", independent=True)
def _record_receipts(events: list[dict]) -> None:
    rows = [(e["payload"]["message_id"], e["origin"], e["created_at"]) for e in events]
    insert_rows(database.obj, "message_receipt", ("message_id", "center", "applied_at"), rows,
                suffix="ON CONFLICT (message_id, center) DO NOTHING")
