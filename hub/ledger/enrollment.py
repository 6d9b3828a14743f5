"""Enrollment tokens, node keys, rotation and revocation.

A token is ``<center>.<hub key id>.<secret>``: the operator hands it to the
center out of band, and the node checks that the hub answering its
enrollment holds the key the token names before pinning it. The hub stores only the token's
SHA-256. A node proves it holds its new key by sealing the enrollment
request with it.
"""
from __future__ import annotations

import hashlib
import secrets

from hub.ledger.ingest import head_of
from hub.ledger.stream import EVERYONE, publish
from hub.models import CenterState, EnrollToken, NodeKey, database
from sync import envelope as env
from sync.errors import AuthError, Code, ConflictError, NotFound, ProtocolError, ValidationError
from sync.signing import KeyPair, PublicKey, rotation_bytes, unb64
from sync.topology import load_topology


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def make_token(center: str, *, hub_keys: KeyPair, ttl_s: int, now_ms: int) -> str:
    """A one-time enrollment token for ``center``, valid for ``ttl_s`` seconds."""
    load_topology().get(center)  # raises NotFound(CENTER_UNKNOWN)
    token = f"{center}.{hub_keys.key_id}.{secrets.token_urlsafe(24)}"
    EnrollToken.create(token_hash=_token_hash(token), center=center, created_ms=now_ms,
                       expires_ms=now_ms + ttl_s * 1000)
    return token


def enroll(headers, raw_body: bytes, *, path: str, settings: dict, hub_keys: KeyPair,
           now_ms: int) -> tuple[env.Envelope, dict]:
    """Register a node's public key with a token; returns its envelope and the reply body."""
    envelope = env.read_headers(headers, method="POST", path=path)
    body = env.unpack(raw_body, settings["max_inflated_bytes"])
    if not isinstance(body, dict) or not isinstance(body.get("token"), str) \
            or not isinstance(body.get("public_key"), str):
        raise ValidationError("enroll needs token and public_key", field="token")
    public = _public_key(body["public_key"])
    if public.key_id != envelope.key_id:
        raise AuthError("envelope is not signed by the key being enrolled",
                        code=Code.SIGNATURE_INVALID)
    env.verify(envelope, raw_body, public, skew_s=settings["clock_skew_s"], now=now_ms)
    with database.atomic():
        token = EnrollToken.get_or_none(EnrollToken.token_hash == _token_hash(body["token"]))
        if token is None or token.center != envelope.sender:
            raise AuthError("enrollment token is not valid for this center",
                            code=Code.TOKEN_INVALID)
        if token.used_ms is not None:
            raise AuthError("enrollment token was already used", code=Code.TOKEN_USED)
        if token.expires_ms < now_ms:
            raise AuthError("enrollment token has expired", code=Code.TOKEN_EXPIRED)
        if body["token"].split(".")[1:2] != [hub_keys.key_id]:
            raise AuthError("enrollment token names a hub key replaced since (a rotation): "
                            "make a new token", code=Code.TOKEN_EXPIRED)
        center = token.center
        EnrollToken.update(used_ms=now_ms).where(
            EnrollToken.token_hash == token.token_hash).execute()
        # A center has one live key: re-enrolling retires whatever it had.
        NodeKey.update(retired_ms=now_ms).where((NodeKey.center == center)
                                                & NodeKey.retired_ms.is_null()
                                                & NodeKey.revoked_ms.is_null()).execute()
        NodeKey.create(key_id=public.key_id, center=center, public_key=public.b64,
                       created_ms=now_ms)
        (CenterState.insert(code=center, enrolled_at=now_ms)
         .on_conflict(conflict_target=[CenterState.code],
                      update={CenterState.enrolled_at: now_ms, CenterState.revoked_at: None,
                              CenterState.needs_recovery: False})
         .execute())
        head_seq, head_hash = head_of(center)
        keys = {key_id: public.b64 for key_id, public in public_keys_of(center).items()}
    return envelope, {"center": center, "hub_key": hub_keys.public.b64,
                      "hub_key_id": hub_keys.key_id, "head_seq": head_seq,
                      "head_hash": head_hash, "keys": keys}


def rotate(center: str, old_key_id: str, body: dict, *, now_ms: int) -> dict:
    """Replace ``center``'s key: the old key endorses the new, the new proves possession."""
    fields = ("public_key", "endorsement", "proof")
    if not isinstance(body, dict) or not all(isinstance(body.get(f), str) for f in fields):
        raise ValidationError("rotate needs public_key, endorsement and proof",
                              field="public_key")
    new = _public_key(body["public_key"])
    message = rotation_bytes(center, old_key_id, new.b64)
    old = PublicKey.from_b64(NodeKey.get_by_id(old_key_id).public_key)
    try:
        endorsement, proof = unb64(body["endorsement"]), unb64(body["proof"])
    except ValueError:
        endorsement = proof = b""
    if not old.verify(endorsement, message) or not new.verify(proof, message):
        raise AuthError("rotation is not signed by both the old and the new key",
                        code=Code.SIGNATURE_INVALID)
    with database.atomic():
        taken = NodeKey.get_or_none(NodeKey.key_id == new.key_id)
        if taken is not None:  # the old key itself, or another center's
            raise ConflictError(f"key {new.key_id} is enrolled already; rotate to a new key",
                                field="public_key")
        NodeKey.update(retired_ms=now_ms).where(NodeKey.key_id == old_key_id).execute()
        NodeKey.create(key_id=new.key_id, center=center, public_key=new.b64, created_ms=now_ms,
                       previous_key_id=old_key_id, rotation_sig=body["endorsement"])
    return {"key_id": new.key_id}


def _public_key(text: str) -> PublicKey:
    """A public key sent in a body; a malformed one is the body's fault (400)."""
    try:
        return PublicKey.from_b64(text)
    except AuthError:
        raise ProtocolError("public_key is not 32 bytes of base64", code=Code.BODY_MALFORMED,
                            field="public_key") from None


def revoke(center: str, *, hub_keys: KeyPair, now_ms: int) -> list[str]:
    """Refuse every key of ``center`` from now on and tell all nodes; returns the key ids."""
    with database.atomic():
        keys = [k.key_id for k in NodeKey.select().where((NodeKey.center == center)
                                                         & NodeKey.revoked_ms.is_null())]
        if not keys and not CenterState.get_or_none(CenterState.code == center):
            raise NotFound(f"center {center} was never enrolled", code=Code.CENTER_UNKNOWN)
        NodeKey.update(revoked_ms=now_ms).where(NodeKey.key_id.in_(keys)).execute()
        CenterState.update(revoked_at=now_ms).where(CenterState.code == center).execute()
        if keys:
            publish(hub_keys, EVERYONE, "key.revoked", {"center": center, "key_ids": keys})
    return keys


def public_keys_of(center: str) -> dict[str, PublicKey]:
    """Every key ``center`` ever held, by id (to verify its whole history)."""
    return {k.key_id: PublicKey.from_b64(k.public_key)
            for k in NodeKey.select().where(NodeKey.center == center)}
