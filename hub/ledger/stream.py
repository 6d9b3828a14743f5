"""The hub's ordered stream of messages to nodes, signed by the hub.

A node pulls with an exclusive cursor (the id of the last message it
applied) and gets, in id order, the messages addressed to it or to
everyone (``*``). Each message is signed by the hub's key so a node can
check it, as it can check anything relayed.
"""
from __future__ import annotations

import orjson

from hub.ledger.registry import handles
from hub.models import CenterState, HubMessage, database
from sync import codec
from sync.database import insert_rows
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


_signer: list[KeyPair] = []  # the hub's key, set once per process by ``use_keys``


def use_keys(keys: KeyPair) -> None:
    """The key ``send`` signs with: event handlers publish, and get no key passed in."""
    _signer[:] = [keys]


def send(recipient: str, type_: str, payload: dict) -> int:
    """``publish`` with this process's hub key (from an event handler)."""
    return publish(_signer[0], recipient, type_, payload)


def pull(center: str, since: int, limit: int) -> dict:
    """Messages for ``center`` after ``since``; records the cursor the node reported."""
    if limit < 1:  # SQL reads a negative LIMIT as none: the whole stream in one reply
        raise ValueError(f"limit must be at least 1, got {limit}")
    CenterState.update(pull_cursor=since).where(CenterState.code == center).execute()
    rows = list(HubMessage.select().where((HubMessage.id > since) & (
        HubMessage.recipient.in_([center, EVERYONE]))).order_by(HubMessage.id).limit(limit + 1))
    more = len(rows) > limit
    messages = [{"id": m.id, "recipient": m.recipient, "type": m.type,
                 "payload": orjson.loads(m.payload), "created_at": m.created_at, "sig": m.sig}
                for m in rows[:limit]]
    cursor = messages[-1]["id"] if messages else since
    return {"messages": messages, "cursor": cursor, "more": more}


@handles("message.applied")
def _record_receipts(events: list[dict]) -> None:
    rows = [(e["payload"]["message_id"], e["origin"], e["created_at"]) for e in events]
    insert_rows(database.obj, "message_receipt", ("message_id", "center", "applied_at"), rows,
                suffix="ON CONFLICT (message_id, center) DO NOTHING")
