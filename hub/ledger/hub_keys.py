"""Rotation of the hub's own key, and the chain of rotations nodes follow.

The old key endorses the new one and the new key proves possession
(``sync.hub_rotation``); each rotation is kept, so a node that slept through any
number of them follows the chain from the key it pinned. The new key is written beside
the old (``hub.key.next``) before its record is committed and takes the old one's place
after: a crash in between leaves ``finish_rotation`` to tell which way it went.
"""
from __future__ import annotations

import os
from pathlib import Path

from hub.identity import KEY_FILE, NEXT_KEY_FILE
from hub.models import HubKey, database
from sync.errors import Code, NotFound
from sync.hub_rotation import rotation_bytes
from sync.signing import KeyPair, b64


def rotate(data_dir: str | Path, *, now_ms: int) -> dict:
    """Replace the hub's key with a new one that the old key endorses."""
    data_dir = Path(data_dir)
    old = KeyPair.load(data_dir / KEY_FILE)
    new = KeyPair.generate()
    new.save(data_dir / NEXT_KEY_FILE)
    message = rotation_bytes(old.key_id, new.public.b64)
    with database.atomic():
        HubKey.insert(key_id=old.key_id, public_key=old.public.b64, created_ms=now_ms) \
            .on_conflict_ignore().execute()  # the first key has no rotation of its own
        HubKey.create(key_id=new.key_id, public_key=new.public.b64, created_ms=now_ms,
                      previous_key_id=old.key_id, endorsement=b64(old.sign(message)),
                      proof=b64(new.sign(message)))
    os.replace(data_dir / NEXT_KEY_FILE, data_dir / KEY_FILE)
    return {"old_key_id": old.key_id, "key_id": new.key_id}


def finish_rotation(data_dir: str | Path) -> None:
    """After a crash inside ``rotate``: keep the new key if its record was committed."""
    pending = Path(data_dir) / NEXT_KEY_FILE
    if not pending.exists():
        return
    new = KeyPair.load(pending)
    if HubKey.get_or_none(HubKey.key_id == new.key_id) is not None:
        os.replace(pending, Path(data_dir) / KEY_FILE)
    else:
        pending.unlink()


def rotations_since(key_id: str, current_key_id: str) -> list[dict]:
    """Every rotation from ``key_id`` to the current key, oldest first.

    :raises NotFound: ``key_id`` was never the hub's, or is not on the current key's chain.
    """
    by_id = {row.key_id: row for row in HubKey.select()}
    chain, at = [], current_key_id
    while at != key_id:
        row = by_id.get(at)
        if row is None or not row.previous_key_id:
            raise NotFound(f"key {key_id} is not one of the hub's earlier keys",
                           code=Code.NOT_FOUND)
        chain.append({"previous_key_id": row.previous_key_id, "key_id": row.key_id,
                      "public_key": row.public_key, "endorsement": row.endorsement,
                      "proof": row.proof})
        at = row.previous_key_id
    return chain[::-1]
