"""Signed envelopes: every sync request and reply travels in one.

The envelope rides in HTTP headers; the body is zlib-compressed JSON. The
signature covers the canonical bytes below (``signing_bytes``), which bind
the method and path, both parties, the time, a nonce, the key, the request
being answered and the SHA-256 of the body exactly as sent::

    hallsync-envelope-v1\\n{METHOD} {path}\\n{sender}\\n{recipient}\\n{time_ms}\\n
    {nonce}\\n{key_id}\\n{reply_to}\\n{digest}

This module is pure: who holds which key, and which nonces were seen, is
the caller's state (the hub's key table, the node's pinned hub key).
"""
from __future__ import annotations

import hashlib
import os
import re
import time
import zlib
from dataclasses import dataclass

from sync import codec
from sync.errors import AuthError, Code, ProtocolError
from sync.signing import KeyPair, PublicKey, b64, unb64

VERSION = "hallsync-envelope-v1"
HEADER_PREFIX = "Hallsync-"
FIELDS = ("sender", "recipient", "time", "nonce", "key-id", "reply-to", "digest", "signature")
CONTENT_TYPE = "application/vnd.hallsync+json+zlib"
# Milliseconds as plain ASCII digits: ``int()`` would also take "+5", "1_000", " 12" and
# other scripts' digits, and a 30-digit time overflows every 64-bit field it reaches.
_TIME = re.compile(r"[0-9]{1,16}")
# What a refusal may echo back of a claimed sender or nonce (it goes into a reply header).
_ECHOABLE = re.compile(r"[0-9A-Za-z._-]{1,64}")


@dataclass(frozen=True)
class Envelope:
    method: str
    path: str
    sender: str
    recipient: str
    time_ms: int
    nonce: str
    key_id: str
    reply_to: str
    digest: str
    signature: str = ""

    def signing_bytes(self) -> bytes:
        """The exact bytes the signature covers."""
        return "\n".join((VERSION, f"{self.method} {self.path}", self.sender, self.recipient,
                          str(self.time_ms), self.nonce, self.key_id, self.reply_to,
                          self.digest)).encode("ascii")

    def headers(self) -> dict[str, str]:
        values = (self.sender, self.recipient, str(self.time_ms), self.nonce, self.key_id,
                  self.reply_to, self.digest, self.signature)
        headers = {HEADER_PREFIX + name.title(): value for name, value in zip(FIELDS, values)}
        headers["Content-Type"] = CONTENT_TYPE
        return headers


def now_ms() -> int:
    return int(time.time() * 1000)


def pack(body_obj) -> bytes:
    """Serialize and compress a body (level 1: sync is CPU-bound, not bandwidth-bound)."""
    return zlib.compress(codec.dumps(body_obj), 1)


def unpack(body: bytes, max_inflated: int):
    """Decompress and parse a body, refusing anything that inflates past ``max_inflated``."""
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(body, max_inflated)
    except zlib.error as exc:
        raise ProtocolError(f"body is not zlib data: {exc}", code=Code.BODY_MALFORMED) from None
    if inflater.unconsumed_tail:
        raise ProtocolError(f"body inflates past {max_inflated} bytes",
                            code=Code.BODY_TOO_LARGE, status=413)
    if not inflater.eof:
        raise ProtocolError("body is truncated zlib data", code=Code.BODY_MALFORMED)
    if codec.has_nul(data):  # PostgreSQL's text cannot hold it
        raise ProtocolError("body has a string with a NUL character (U+0000)",
                            code=Code.BODY_MALFORMED)
    return codec.loads(data)


def echoable(value: str | None) -> str:
    """``value`` when it is safe to send back in a header (a claimed sender or nonce), else ""."""
    return value if value and _ECHOABLE.fullmatch(value) else ""


def seal(body_obj, *, keys: KeyPair, sender: str, recipient: str, method: str, path: str,
         reply_to: str = "", time_ms: int | None = None) -> tuple[Envelope, bytes]:
    """Compress ``body_obj`` and sign an envelope for it.

    :returns: the envelope (its ``headers()`` go on the HTTP message) and the body bytes.
    """
    body = pack(body_obj)
    unsigned = Envelope(method=method.upper(), path=path, sender=sender, recipient=recipient,
                        time_ms=now_ms() if time_ms is None else time_ms,
                        nonce=os.urandom(16).hex(), key_id=keys.key_id, reply_to=reply_to,
                        digest=hashlib.sha256(body).hexdigest())
    signature = b64(keys.sign(unsigned.signing_bytes()))
    return Envelope(**{**unsigned.__dict__, "signature": signature}), body


def read_headers(headers, *, method: str, path: str) -> Envelope:
    """Parse the envelope from HTTP headers (any case-insensitive mapping).

    :raises ProtocolError: ENVELOPE_MALFORMED when a field is missing or badly formed.
    """
    values = {}
    for name in FIELDS:
        value = headers.get(HEADER_PREFIX + name.title())
        if value is None or (not value and name != "reply-to"):
            raise ProtocolError(f"envelope header {HEADER_PREFIX}{name.title()} is missing",
                                code=Code.ENVELOPE_MALFORMED)
        if not value.isascii() or len(value) > 256:
            raise ProtocolError(f"envelope header {HEADER_PREFIX}{name.title()} is malformed",
                                code=Code.ENVELOPE_MALFORMED)
        values[name] = value
    if not _TIME.fullmatch(values["time"]):
        raise ProtocolError("envelope time is not an integer of milliseconds",
                            code=Code.ENVELOPE_MALFORMED)
    time_ms = int(values["time"])
    return Envelope(method=method.upper(), path=path, sender=values["sender"],
                    recipient=values["recipient"], time_ms=time_ms, nonce=values["nonce"],
                    key_id=values["key-id"], reply_to=values["reply-to"],
                    digest=values["digest"], signature=values["signature"])


def verify(envelope: Envelope, body: bytes, public: PublicKey, *, skew_s: float,
           now: int | None = None) -> None:
    """Check digest, signature and time of an envelope whose key the caller looked up.

    :raises AuthError: DIGEST_MISMATCH, SIGNATURE_INVALID or CLOCK_SKEW.
    """
    if hashlib.sha256(body).hexdigest() != envelope.digest:
        raise AuthError("body does not match its digest", code=Code.DIGEST_MISMATCH)
    try:
        signature = unb64(envelope.signature)
    except ValueError:
        signature = b""
    if not public.verify(signature, envelope.signing_bytes()):
        raise AuthError("signature does not verify", code=Code.SIGNATURE_INVALID)
    now = now_ms() if now is None else now
    off_s = (envelope.time_ms - now) / 1000
    if abs(off_s) > skew_s:
        raise AuthError(f"message time is {off_s:+.0f} s from ours (allowed ±{skew_s:.0f} s)",
                        code=Code.CLOCK_SKEW, skew_s=round(off_s))
