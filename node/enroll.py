"""Enrollment and key rotation, from the node's side.

The node makes its Ed25519 key itself; only the public half leaves it. The
token (``<center>.<hub key id>.<secret>``, printed by ``hallsync hub
enroll-token``) names the center and the hub key to pin.
"""
from __future__ import annotations

from pathlib import Path

from node import outbox, store
from node.models import KnownKey, NodeState, database
from sync import envelope as env
from sync.client import HubClient
from sync.errors import Code, ValidationError
from sync.signing import KeyPair, b64, rotation_bytes


def parse_token(token: str) -> tuple[str, str]:
    """(center, hub key id) named by a token."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise ValidationError("a token looks like CENTER.HUBKEYID.SECRET", field="token")
    return parts[0], parts[1]


def enroll(data_dir, hub_url: str, token: str, settings: dict) -> dict:
    """Make a key, register it with the hub using ``token``, pin the hub's key."""
    center, hub_key_id = parse_token(token)
    store.bind(data_dir)
    keys = KeyPair.generate()
    client = HubClient(hub_url, center=center, keys=keys, hub_key=None,
                       timeout_s=settings["http_timeout_s"], skew_s=settings["clock_skew_s"])
    try:
        reply = client.call("enroll", {"token": token.strip(), "public_key": keys.public.b64},
                            pin=hub_key_id)
    finally:
        client.close()
    keys.save(store.key_path(data_dir))  # only now: a refused enrollment leaves no key behind
    with database.atomic():
        existing = NodeState.get_or_none(NodeState.id == 1)
        if existing is not None and existing.center != center:
            raise ValidationError(f"{data_dir} belongs to {existing.center}, not {center}",
                                  field="data_dir", code=Code.CONFLICT)
        fields = dict(center=center, hub_url=hub_url, hub_key=reply["hub_key"],
                      hub_key_id=reply["hub_key_id"], key_id=keys.key_id,
                      enrolled_ms=env.now_ms(), needs_recovery=False)
        if existing is None:
            NodeState.create(id=1, acked_seq=0, acked_hash=outbox.last()[1], **fields)
        else:
            store.update_state(**fields)
        for key_id, public_b64 in {**reply.get("keys", {}), keys.key_id: keys.public.b64}.items():
            KnownKey.insert(key_id=key_id, center=center, public_key=public_b64) \
                .on_conflict_ignore().execute()
    return {"center": center, "key_id": keys.key_id, "hub_key_id": reply["hub_key_id"],
            "hub_head_seq": reply["head_seq"], "local_last_seq": outbox.last()[0]}


def rotate(node) -> dict:
    """Replace the node's key: the old key endorses the new one, which proves possession."""
    new = KeyPair.generate()
    old_key_id = node.keys.key_id
    key_path = store.key_path(node.data_dir)
    # Kept beside the old key until the hub has the new one, so a crash loses neither.
    next_path = Path(key_path).with_suffix(".key.next")
    new.save(next_path)
    message = rotation_bytes(node.center, old_key_id, new.public.b64)
    reply = node.client.call("rotate", {"public_key": new.public.b64,
                                        "endorsement": b64(node.keys.sign(message)),
                                        "proof": b64(new.sign(message))})
    next_path.replace(key_path)
    with database.atomic():
        KnownKey.insert(key_id=new.key_id, center=node.center, public_key=new.public.b64) \
            .on_conflict_ignore().execute()
        store.update_state(key_id=new.key_id)
    node.keys = node.client.keys = new
    return {"old_key_id": old_key_id, "key_id": reply["key_id"]}
