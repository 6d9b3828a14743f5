"""Values the protocol forbids refuse the whole push with their code and change nothing:
a malicious or buggy center signs whatever it likes, and the hub stores none of it."""
from __future__ import annotations

import hashlib

import orjson
import pytest

from hub.models import Event, SecurityEvent
from sync import events
from sync.events import GENESIS, hash_input
from sync.signing import b64
from tests.hub.ledger.test_security import A, B, enrolled  # noqa: F401  (fixture)
from tests.protocol import post, problem


def forged(keys, payload: dict, **fields) -> dict:
    """A record.put event hashed and signed as a careless node would, over plain JSON."""
    created_at = events.utc_now_iso()
    payload_json = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(hash_input(A, 1, "record.put", "profile:x", created_at, GENESIS,
                                       payload_json)).hexdigest()
    event = {"origin": A, "seq": 1, "type": "record.put", "record": "profile:x",
             "created_at": created_at, "payload": payload, "prev_hash": GENESIS, "hash": digest,
             "key_id": keys.key_id, "sig": b64(keys.sign(events.sig_input(digest)))}
    return {**event, **fields}


@pytest.mark.parametrize("case, field", [
    ("a float", "payload"),
    ("an integer past signed 64 bits", "payload"),
    ("a malformed signature", "events[0].sig"),
    ("another center's key id", "events[0].key_id"),
])
def test_a_forbidden_value_refuses_the_push(enrolled, case, field):  # noqa: F811
    hub, keys = enrolled
    if case == "a float":
        event = forged(keys[A], {"data": {"fee": 12.5}})
    elif case == "an integer past signed 64 bits":
        event = forged(keys[A], {"data": {"fee": 2**63}})
    elif case == "a malformed signature":
        event = forged(keys[A], {"data": {"n": 1}}, sig="bm90IGEgc2lnbmF0dXJl")
    else:
        event = forged(keys[A], {"data": {"n": 1}}, key_id=keys[B].key_id)
    response = post(hub.url, "push", {"events": [event]}, keys=keys[A], sender=A)
    assert response.status_code == 400
    body = problem(response)
    assert body["code"] == "EVENT_MALFORMED" and body["field"] == field, body
    assert Event.select().count() == 0
    assert SecurityEvent.select().where((SecurityEvent.center == A)
                                        & (SecurityEvent.code == "EVENT_MALFORMED")).count() == 1
