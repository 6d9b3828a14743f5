"""Following the hub's key rotations from a pinned key: every link endorsed by the key
before it and proven by its own, or refused whole."""
import pytest

from sync.errors import ProtocolError
from sync.hub_rotation import follow, rotation_bytes
from sync.signing import KeyPair, b64


def link(old: KeyPair, new: KeyPair, endorser: KeyPair | None = None,
         prover: KeyPair | None = None) -> dict:
    message = rotation_bytes(old.key_id, new.public.b64)
    return {"previous_key_id": old.key_id, "key_id": new.key_id, "public_key": new.public.b64,
            "endorsement": b64((endorser or old).sign(message)),
            "proof": b64((prover or new).sign(message))}


KEYS = [KeyPair.generate() for _ in range(4)]
CHAIN = [link(a, b) for a, b in zip(KEYS, KEYS[1:])]


def test_a_chain_of_rotations_leads_to_the_last_key():
    key, passed = follow(KEYS[0].public, CHAIN)
    assert key.key_id == KEYS[-1].key_id
    assert [k.key_id for k in passed] == [k.key_id for k in KEYS[1:]]


FORGER = KeyPair.generate()


@pytest.mark.parametrize("rotations", [
    [],
    None,
    CHAIN[1:],  # does not start at the pinned key
    [CHAIN[0], CHAIN[2]],  # a link missing
    [link(KEYS[0], KEYS[1], endorser=FORGER)],  # not endorsed by the pinned key
    [link(KEYS[0], FORGER, prover=KEYS[1])],  # the new key does not prove possession
    [CHAIN[0], link(KEYS[1], FORGER, endorser=FORGER)],
    [{**CHAIN[0], "public_key": "not a key"}],
    [{**CHAIN[0], "endorsement": "%%%"}],
    ["not an object"],
])
def test_a_broken_or_forged_chain_is_refused(rotations):
    with pytest.raises(ProtocolError) as info:
        follow(KEYS[0].public, rotations)
    assert info.value.code.value == "REPLY_INVALID"
