"""The hub's signature over a body that travels on its own: a catalog version, a
calendar version.

Such a body is checked wherever it goes, apart from the message that carried it:
the signature covers the body's canonical JSON without its ``sig``, after a
``domain`` line naming what the body is, so a signature made over one kind of
body never verifies as another.
"""
from __future__ import annotations

from sync import codec
from sync.signing import KeyPair, PublicKey, b64, unb64


def _signing_bytes(body: dict, domain: str) -> bytes:
    unsigned = {k: v for k, v in body.items() if k != "sig"}
    return f"{domain}\n".encode("ascii") + codec.canonical(unsigned)


def sign_body(body: dict, keys: KeyPair, domain: str) -> dict:
    """``body`` with the hub's ``sig`` added.

    :param domain: what the body is, e.g. ``hallsync-catalog-v1``.
    """
    return {**body, "sig": b64(keys.sign(_signing_bytes(body, domain)))}


def verify_body(body: dict, key: PublicKey, domain: str) -> bool:
    """True when ``body`` carries ``key``'s signature for ``domain``; False for a body
    without one, or a malformed one."""
    try:
        return key.verify(unb64(body["sig"]), _signing_bytes(body, domain))
    except (KeyError, ValueError, TypeError):
        return False
