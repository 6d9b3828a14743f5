"""The hub keys this node trusts: the one pinned now, and those it replaced.

The pin moves only along the hub's endorsed rotations (``sync.hub_rotation``, followed by
the client). The keys before it stay trusted for what they signed while they were the
hub's: messages and catalog versions published before a rotation, pulled after it. A
message only ever arrives inside a reply signed by the current key.
"""
from __future__ import annotations

from node import store
from node.models import KnownKey, NodeState, database
from sync.client import HUB_ID
from sync.signing import PublicKey


def pin(new_key: PublicKey, passed: list[PublicKey]) -> None:
    """Move the pin to ``new_key``, keeping the pinned key and every key on the way."""
    with database.atomic():
        state = NodeState.get()
        for key in (PublicKey.from_b64(state.hub_key), *passed):
            KnownKey.insert(key_id=key.key_id, center=HUB_ID, public_key=key.b64) \
                .on_conflict_ignore().execute()
        store.update_state(hub_key=new_key.b64, hub_key_id=new_key.key_id)


def trusted() -> list[PublicKey]:
    """The pinned hub key first, then the ones it replaced."""
    state = store.state()
    earlier = [PublicKey.from_b64(public) for (public,) in KnownKey.select(KnownKey.public_key)
               .where((KnownKey.center == HUB_ID) & (KnownKey.key_id != state.hub_key_id))
               .tuples()]
    return [PublicKey.from_b64(state.hub_key), *earlier]


def signed_by_hub(verify) -> bool:
    """``verify(key)`` holds for one of the trusted hub keys (the pinned one tried first)."""
    return any(verify(key) for key in trusted())
