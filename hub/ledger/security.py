"""Authenticate a node's envelope against the hub's key table, and log refusals."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from hub.identity import HUB_ID
from hub.models import SecurityEvent, SeenNonce, database
from sync import envelope as env
from sync.errors import AuthError, Code, HallsyncError, ProtocolError
from sync.signing import PublicKey

UNAUTHENTICATED_BUCKET_MS = 60_000


def check_size(body: bytes, settings: dict) -> None:
    if len(body) > settings["max_body_bytes"]:
        raise ProtocolError(f"body of {len(body)} bytes exceeds {settings['max_body_bytes']}",
                            code=Code.BODY_TOO_LARGE, status=413)


@dataclass(frozen=True)
class SenderKey:
    """A key as ``authenticate`` judges it: whose it is, and whether it may still sign."""

    owner: str
    public_key: str
    usable: bool


def node_key(key_id: str) -> SenderKey | None:
    """A center's key (a retired one, replaced by rotation, no longer signs). Plain SQL, as
    on every path a request of every node takes: peewee's query building would cost more
    than the lookup."""
    db = database.obj
    row = db.execute_sql("SELECT center, public_key, revoked_ms, retired_ms FROM node_key "
                         f"WHERE key_id = {db.param}", (key_id,)).fetchone()
    if row is None:
        return None
    center, public_key, revoked_ms, retired_ms = row
    return SenderKey(center, public_key, revoked_ms is None and retired_ms is None)


def authenticate(headers, body: bytes, *, method: str, path: str, settings: dict,
                 now_ms: int | None = None,
                 key_of: Callable[[str], SenderKey | None] = node_key) -> env.Envelope:
    """Verify a request's envelope (reads only; the caller consumes the nonce when it writes);
    ``key_of``: where the sender's keys are (a center's by default; a department's system).

    :raises AuthError: KEY_UNKNOWN, KEY_REVOKED, DIGEST_MISMATCH, SIGNATURE_INVALID,
        CLOCK_SKEW or WRONG_RECIPIENT; ``ProtocolError`` for a malformed one.
    """
    envelope = env.read_headers(headers, method=method, path=path)
    check_size(body, settings)
    key = key_of(envelope.key_id)
    if key is None or key.owner != envelope.sender:
        raise AuthError(f"key {envelope.key_id} is not enrolled for {envelope.sender}",
                        code=Code.KEY_UNKNOWN)
    if not key.usable:
        raise AuthError(f"key {envelope.key_id} was revoked; re-enroll",
                        code=Code.KEY_REVOKED)
    env.verify(envelope, body, PublicKey.from_b64(key.public_key),
               skew_s=settings["clock_skew_s"], now=now_ms)
    if envelope.recipient != HUB_ID:
        raise AuthError(f"envelope is addressed to {envelope.recipient!r}, not the hub",
                        code=Code.WRONG_RECIPIENT)
    return envelope


def consume_nonce(key_id: str, nonce: str, at_ms: int) -> None:
    """Remember a nonce; a second use within the skew window is refused. One statement,
    inside the request's transaction: a nonce already there inserts no row."""
    db = database.obj
    inserted = db.execute_sql(
        f"INSERT INTO seen_nonce (key_id, nonce, seen_ms) VALUES ({db.param}, {db.param}, "
        f"{db.param}) ON CONFLICT (key_id, nonce) DO NOTHING", (key_id, nonce, at_ms)).rowcount
    if inserted != 1:
        raise AuthError("nonce was already used", code=Code.NONCE_REUSED)


def forget_old_nonces(settings: dict, now_ms: int) -> int:
    """Drop nonces older than twice the skew: their messages are refused by time anyway."""
    horizon = now_ms - 2 * settings["clock_skew_s"] * 1000
    return SeenNonce.delete().where(SeenNonce.seen_ms < horizon).execute()


def log_refusal(error: HallsyncError, *, center: str = "", key_id: str = "", path: str = "",
                remote: str = "", now_ms: int | None = None) -> None:
    """Write one security-log row for a refused message of ``center`` (it authenticated)."""
    SecurityEvent.create(at_ms=now_ms or env.now_ms(), center=center[:64], key_id=key_id[:64],
                         code=error.code.value, detail=error.detail[:2000], path=path[:64],
                         remote=remote[:64])


def log_unauthenticated(error: HallsyncError, *, claimed: str, key_id: str = "",
                        path: str = "", remote: str = "", now_ms: int | None = None) -> None:
    """Log a refusal of a message that did not prove its sender: against no center (anyone
    can write a center's name), and one row per address, code and minute, so a flood
    cannot grow the log faster than that."""
    now_ms = now_ms or env.now_ms()
    minute = now_ms - now_ms % UNAUTHENTICATED_BUCKET_MS
    remote, code = remote[:64], error.code.value
    repeated = (SecurityEvent.update(repeats=SecurityEvent.repeats + 1)
                .where((SecurityEvent.center == "") & (SecurityEvent.remote == remote)
                       & (SecurityEvent.code == code) & (SecurityEvent.at_ms >= minute))
                .execute())
    if not repeated:
        SecurityEvent.create(at_ms=now_ms, center="", key_id=key_id[:64], code=code,
                             detail=f"claimed sender {claimed[:32]!r}: {error.detail}"[:2000],
                             path=path[:64], remote=remote)
