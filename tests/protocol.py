"""Hand-made sync requests for the refusal tests: seal, then spoil one thing."""
from __future__ import annotations

import hashlib

import requests

from sync import envelope as env
from sync import events
from sync.signing import KeyPair, b64


def make_events(keys: KeyPair, origin: str, first_seq: int, count: int, prev_hash: str,
                record_prefix: str = "profile") -> list[dict]:
    made = []
    for seq in range(first_seq, first_seq + count):
        event = events.make(keys, origin=origin, seq=seq, prev_hash=prev_hash,
                            type_="record.put", record=f"{record_prefix}:{origin}:{seq}",
                            payload={"data": {"n": seq}})
        made.append(event)
        prev_hash = event["hash"]
    return made


def post(hub_url: str, endpoint: str, body, *, keys: KeyPair, sender: str,
         recipient: str = "hub", time_ms: int | None = None, spoil=None,
         raw_body: bytes | None = None) -> requests.Response:
    """POST a sealed body; ``spoil(headers, data) -> (headers, data)`` damages it first."""
    path = "/sync/v1/" + endpoint
    envelope, data = env.seal(body, keys=keys, sender=sender, recipient=recipient,
                              method="POST", path=path, time_ms=time_ms)
    if raw_body is not None:  # sign these bytes as they are (not zlib, too large, …)
        data = raw_body
        unsigned = env.Envelope(**{**envelope.__dict__,
                                   "digest": hashlib.sha256(data).hexdigest()})
        envelope = env.Envelope(**{**unsigned.__dict__,
                                   "signature": b64(keys.sign(unsigned.signing_bytes()))})
    headers = envelope.headers()
    if spoil is not None:
        headers, data = spoil(headers, data)
    return requests.post(hub_url + path, data=data, headers=headers, timeout=30)


def problem(response: requests.Response) -> dict:
    """The problem body of a (signed) error reply."""
    return env.unpack(response.content, 1 << 20)
