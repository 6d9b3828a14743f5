"""Apply the hub's messages, in order, exactly once.

Each message is applied in one transaction together with the cursor and a
``message.applied`` event, so a node killed at any point either has all
three or none. A message this node cannot verify or does not understand
stops the stream (the cursor stays) instead of being skipped: skipping a
catalog version or a handoff would be worse than waiting for an upgrade.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import orjson

from node import outbox, store
from node.models import HubSetting, KnownKey, Notice, RefusedMessage, database
from node.settings import NODE, REMOTE
from sync import codec
from sync.database import insert_rows
from sync.errors import AuthError, Code, ConfigError, HallsyncError, ProtocolError
from sync.signing import KeyPair, PublicKey, unb64



@dataclass(frozen=True)
class Context:
    """What an applier needs besides the message: to write this center's own events."""

    keys: KeyPair
    center: str


Applier = Callable[[dict, Context], str]
INBOX_COLUMNS = ("id", "type", "created_at", "applied_ms", "outcome")
APPLIERS: dict[str, Applier] = {}
# Types that carry other centers' signed events, each checked end to end. One that fails
# is its origin's fault and will fail again: it is refused and the stream goes on, so
# catalog versions, revocations and notices behind it still arrive.
RELAYS: set[str] = set()


def applies(message_type: str, *, relay: bool = False) -> Callable[[Applier], Applier]:
    """Register how this node applies one type of hub message (returns an outcome text);
    ``relay``: its messages carry other centers' events."""
    def register(fn: Applier) -> Applier:
        APPLIERS[message_type] = fn
        if relay:
            RELAYS.add(message_type)
        return fn
    return register


def message_signing_bytes(message: dict) -> bytes:
    head = (f"hallsync-message-v1\n{message['id']}\n{message['recipient']}\n"
            f"{message['type']}\n{message['created_at']}\n")
    return head.encode("utf-8") + codec.canonical(message["payload"])


def verify_message(message: dict, hub_keys: list[PublicKey]) -> None:
    """Signed by one of the hub's keys (a message published before a rotation keeps the
    old key's signature)."""
    try:
        sig, signed = unb64(message["sig"]), message_signing_bytes(message)
        ok = any(key.verify(sig, signed) for key in hub_keys)
    except (KeyError, ValueError, TypeError):
        ok = False
    if not ok:
        raise AuthError(f"message {message.get('id')} is not signed by the hub",
                        code=Code.SIGNATURE_INVALID)


def apply_message(message: dict, *, keys: KeyPair, center: str, hub_keys: list[PublicKey],
                  now_ms: int) -> str:
    """Verify and apply one message with its cursor and its ``message.applied`` event."""
    verify_message(message, hub_keys)
    applier = APPLIERS.get(message["type"])
    if applier is None:
        raise ProtocolError(f"message {message['id']} has type {message['type']!r}, which this "
                            "node does not know: upgrade hallsync", code=Code.EVENT_TYPE_UNKNOWN)
    # Plain SQL for the steps every message takes: a district applies a relay a round.
    with database.atomic():
        if database.execute_sql("SELECT 1 FROM inbox_message WHERE id = ?",
                                (message["id"],)).fetchone():
            outcome = "already applied"
        else:
            outcome = _apply_or_refuse(applier, message, Context(keys, center), now_ms)
            insert_rows(database.obj, "inbox_message", INBOX_COLUMNS,
                        [(message["id"], message["type"], message["created_at"], now_ms,
                          outcome)])
            outbox.emit(keys, center, "message.applied", "",
                        {"message_id": message["id"], "type": message["type"],
                         "outcome": outcome})
        store.update_state(pull_cursor=message["id"])
    return outcome


def _apply_or_refuse(applier: Applier, message: dict, ctx: Context, now_ms: int) -> str:
    """Apply a message; a relay whose content does not hold is refused, with why, instead."""
    try:
        with database.atomic():  # a savepoint: a refused relay leaves nothing behind
            return applier(message, ctx)
    except HallsyncError as exc:
        if message["type"] not in RELAYS:
            raise  # the stream waits on it (a newer catalog, say, needs this one first)
        record_refusal(message, exc, now_ms)
        return f"refused: {exc.code.value}: {exc.detail}"[:500]


@applies("notice")
def _notice(message: dict, _ctx: Context) -> str:
    payload = message["payload"]
    Notice.create(message_id=message["id"], title=str(payload.get("title", ""))[:200],
                  body=str(payload.get("body", "")), created_at=message["created_at"])
    return "shown"


@applies("settings")
def _settings(message: dict, _ctx: Context) -> str:
    """Settings the hub may change remotely; anything else is refused by name."""
    by_name = {s.name: s for s in NODE}
    applied, refused = [], []
    for name, raw in sorted(message["payload"].get("settings", {}).items()):
        setting = by_name.get(name)
        try:
            if name not in REMOTE or setting is None:
                raise ConfigError(name, raw, "cannot be set by the hub")
            value = setting.parse(raw)
            reason = setting.check(value) if setting.check else None
            if reason:
                raise ConfigError(name, raw, reason)
        except ConfigError as exc:
            refused.append(str(exc))
            continue
        (HubSetting.insert(name=name, value=orjson.dumps(value).decode(), message_id=message["id"])
         .on_conflict_replace().execute())
        applied.append(name)
    return "; ".join(filter(None, [f"applied {', '.join(applied)}" if applied else "",
                                   f"refused {'; '.join(refused)}" if refused else ""]))


@applies("key.revoked")
def _key_revoked(message: dict, _ctx: Context) -> str:
    key_ids = message["payload"].get("key_ids", [])
    KnownKey.update(revoked=True).where(KnownKey.key_id.in_(key_ids)).execute()
    return f"revoked {', '.join(key_ids)} of {message['payload'].get('center', '')}"


def record_refusal(message: dict, error, now_ms: int) -> None:
    """Remember why a message was refused (its latest refusal), for people and the hub."""
    (RefusedMessage.insert(id=message.get("id", 0), type=str(message.get("type", ""))[:64],
                           code=error.code.value, detail=error.detail[:2000], at_ms=now_ms)
     .on_conflict_replace().execute())


def hub_settings() -> dict:
    """Settings the hub set for this node (name → value)."""
    return {row.name: orjson.loads(row.value) for row in HubSetting.select()}
