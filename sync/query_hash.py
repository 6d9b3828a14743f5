"""The stored form of an applicant's query code (查询码): a salted, slow hash.

The node that received a case knows its query code (``sync.case_numbers.query_code``,
an HMAC under the center's own secret). Everyone else who answers progress queries
— the hub, and a center a case is handed to — holds only this hash, sent in the
``case.received`` event as ``query_hash``: never the code, never the secret.

Why PBKDF2-HMAC-SHA256 with a per-case salt and 10,000 rounds: the code is short
(40 bits), so no hash makes it uncrackable to someone who steals the table and
targets one case; the salt makes every case a search of its own (no table of
precomputed codes, no cracking many cases at once), and the rounds make that
search cost about 2^40 × 10,000 HMACs per case, while one check at the public
page costs about 4 ms. Online guessing is stopped by the throttle (``web.throttle``),
not by the hash: 100,000 guesses at one case find its code with a chance of
about 1 in 11 million.

Format: ``pbkdf2_sha256$<rounds>$<salt, base64url>$<digest, base64url>``; the
rounds travel with the hash so they can be raised later without breaking old ones.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

ROUNDS = 10_000
SCHEME = "pbkdf2_sha256"
_SALT_BYTES = 16
_FORMAT = re.compile(rf"{SCHEME}\$(?P<rounds>[1-9][0-9]{{3,6}})\$(?P<salt>[A-Za-z0-9_-]{{22}})"
                     r"\$(?P<digest>[A-Za-z0-9_-]{43})")
# Checked when there is no case to check against, so an unknown number costs what a
# wrong code does: timing must not tell one from the other.
_NOTHING = f"{SCHEME}${ROUNDS}${'A' * 22}${'A' * 43}"


def normal_code(code) -> str:
    """A typed code as printed: spaces and hyphens dropped, upper case ("" if not text)."""
    if not isinstance(code, str):
        return ""
    return "".join(code.split()).replace("-", "").upper()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _digest(code: str, salt: bytes, rounds: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", normal_code(code).encode("ascii", "replace"), salt,
                               rounds)


def hash_code(code: str, *, rounds: int = ROUNDS) -> str:
    """The stored form of ``code``, with a fresh random salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    return f"{SCHEME}${rounds}${_b64(salt)}${_b64(_digest(code, salt, rounds))}"


def is_query_hash(value) -> bool:
    """True when ``value`` has the stored form (what ``case.received`` may carry)."""
    return isinstance(value, str) and _FORMAT.fullmatch(value) is not None


def code_matches(code: str, stored: str | None) -> bool:
    """True when ``code`` is the one ``stored`` was made from.

    ``stored`` None (no such case, or a case received before query hashes existed)
    is False after the same work as a real check.
    """
    match = _FORMAT.fullmatch(stored) if isinstance(stored, str) else None
    found = match is not None
    match = match or _FORMAT.fullmatch(_NOTHING)
    digest = _digest(code, _unb64(match["salt"]), int(match["rounds"]))
    return hmac.compare_digest(digest, _unb64(match["digest"])) and found
