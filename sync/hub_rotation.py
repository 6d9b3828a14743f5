"""The hub's key rotations, checked link by link from a key a node already trusts.

A node pins the hub's key at enrollment. When the hub rotates, its old key endorses the
new one and the new key proves possession, both over the same bytes::

    hallsync-hub-rotate-v1\\n{old key id}\\n{new public key b64}

A node that meets a reply signed by a key it does not know asks the hub for the
rotations since its pinned key (``/sync/v1/hub-key``) and follows them one by one: each
must be endorsed by the key before it. However many rotations it slept through, it
ends at the hub's current key, or refuses (``REPLY_INVALID``) and keeps its pin.
"""
from __future__ import annotations

from sync.errors import AuthError, Code, ProtocolError
from sync.signing import PublicKey, unb64


def rotation_bytes(old_key_id: str, new_public_b64: str) -> bytes:
    """What the old and the new hub key both sign."""
    return f"hallsync-hub-rotate-v1\n{old_key_id}\n{new_public_b64}".encode("ascii")


def follow(pinned: PublicKey, rotations) -> tuple[PublicKey, list[PublicKey]]:
    """The key the rotations lead to from ``pinned``, and every key on the way after it.

    :raises ProtocolError: REPLY_INVALID when a link is missing, malformed or not signed by
        the key before it and by its own.
    """
    if not isinstance(rotations, list) or not rotations:
        raise _refused("no rotation from the pinned hub key")
    key, passed = pinned, []
    for n, link in enumerate(rotations):
        if not isinstance(link, dict) or link.get("previous_key_id") != key.key_id:
            raise _refused(f"rotation {n} does not follow key {key.key_id}")
        try:
            new = PublicKey.from_b64(link.get("public_key"))
            endorsement, proof = unb64(link.get("endorsement")), unb64(link.get("proof"))
        except (AuthError, ValueError, TypeError):
            raise _refused(f"rotation {n} is malformed") from None
        message = rotation_bytes(key.key_id, new.b64)
        if not key.verify(endorsement, message) or not new.verify(proof, message):
            raise _refused(f"rotation {n} to {new.key_id} is not signed by {key.key_id} "
                           "and by itself")
        key = new
        passed.append(new)
    return key, passed


def _refused(detail: str) -> ProtocolError:
    return ProtocolError(f"hub key rotation refused: {detail}", code=Code.REPLY_INVALID)
