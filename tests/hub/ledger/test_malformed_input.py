"""Point 5 of issue 13: input that once gave the sync endpoints a 500 (or an unsigned HTML
page, or a reset connection) is refused with a signed problem and its stable code, and
changes nothing but the security log. A real hub process on SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
import http.client
import zlib

import requests

from hub.models import CenterState, Event, NodeKey, OriginHead, SecurityEvent
from sync import codec, events
from sync import envelope as env
from sync.events import GENESIS
from sync.signing import KeyPair, PublicKey, b64, rotation_bytes
from tests.hub.ledger.test_security import A, B, enrolled  # noqa: F401  (fixture)
from tests.protocol import make_events, post


def state():
    """Everything a refusal must leave as it was (the security log aside)."""
    return (Event.select().count(), list(OriginHead.select().tuples()),
            sorted(NodeKey.select().tuples()), sorted(CenterState.select().tuples()))


def hub_key(hub) -> PublicKey:
    return KeyPair.load(hub.data_dir / "hub.key").public


def signed_problem(hub, status: int, headers, content: bytes, path: str) -> dict:
    """The refusal's problem body, after checking the hub signed it."""
    assert status < 500, content[:300]
    reply = env.read_headers(headers, method="POST", path=path)
    env.verify(reply, content, hub_key(hub), skew_s=300)
    body = env.unpack(content, 1 << 20)
    assert body["status"] == status
    return body


def refused(hub, response: requests.Response, code: str, status: int, path: str) -> dict:
    body = signed_problem(hub, response.status_code, response.headers, response.content, path)
    assert body["code"] == code, body
    assert SecurityEvent.select().where(SecurityEvent.code == code).count() >= 1
    return body


PUSH = "/sync/v1/push"


ABSURD_TIMES = ["1" * 30, "9223372036854775808", "-1", "+5", "1_000", "1e5", "0x10", "12.0"]


def test_an_absurd_or_non_integer_time_is_malformed(enrolled):
    """(Each case of this file is a loop, not a parameter: a hub process costs seconds.)"""
    hub, keys = enrolled
    before = state()
    for time_text in ABSURD_TIMES:
        response = post(hub.url, "push", {"events": make_events(keys[A], A, 1, 1, GENESIS)},
                        keys=keys[A], sender=A,
                        spoil=lambda h, d, t=time_text: ({**h, "Hallsync-Time": t}, d))
        refused(hub, response, "ENVELOPE_MALFORMED", 400, PUSH)
    assert state() == before
    response = post(hub.url, "heartbeat", {}, keys=keys[A], sender=A, time_ms=0)
    body = refused(hub, response, "CLOCK_SKEW", 401, "/sync/v1/heartbeat")
    assert body["skew_s"] < -1_000_000_000


NON_ASCII_HEADERS = [("Hallsync-Sender", "中心".encode()), ("Hallsync-Nonce", "随机数".encode()),
                     ("Hallsync-Sender", b"\xff\xfe"),  # not even UTF-8
                     ("Hallsync-Key-Id", "钥匙".encode())]


def test_non_ascii_header_values_get_a_signed_problem(enrolled):
    """Once an unsigned HTML 500: the refusal echoed the claimed sender into a header."""
    hub, keys = enrolled
    before = state()
    for header, value in NON_ASCII_HEADERS:
        assert send_raw_headers(hub, keys[A], header, value)["code"] == "ENVELOPE_MALFORMED"
    assert state() == before


def send_raw_headers(hub, keys: KeyPair, header: str, value: bytes) -> dict:
    """Push with one header's value replaced by raw bytes; the signed problem it gets."""
    envelope, data = env.seal({"events": []}, keys=keys, sender=A, recipient="hub",
                              method="POST", path=PUSH)
    connection = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)
    connection.putrequest("POST", PUSH)
    for name, text in envelope.headers().items():
        connection.putheader(name, value if name == header else text.encode())
    connection.putheader("Content-Length", str(len(data)))
    connection.endheaders(data)
    response = connection.getresponse()
    content = response.read()
    connection.close()
    return signed_problem(hub, response.status, response.headers, content, PUSH)


def nul_event(keys: KeyPair, **fields) -> dict:
    """An event with a NUL character, hashed and signed as a careless node would."""
    made = make_events(keys, A, 1, 1, GENESIS)[0]
    record, payload = fields.get("record", made["record"]), fields.get("payload",
                                                                        made["payload"])
    digest = events.event_hash(A, 1, made["type"], record, made["created_at"], GENESIS,
                               codec.canonical(payload))
    return {**made, "record": record, "payload": payload, "hash": digest,
            "sig": b64(keys.sign(events.sig_input(digest)))}


NUL_BODIES = [
    ("push", lambda k: {"events": [nul_event(k, record="profile:a\0b")]}),
    ("push", lambda k: {"events": [nul_event(k, payload={"data": {"name": "a\0b"}})]}),
    ("push", lambda k: {"events": [nul_event(k, payload={"data": {"k\0": 1}})]}),
    ("heartbeat", lambda k: {"app_version": "0.1\0", "last_error": "x\0y"}),
    ("pull", lambda k: {"since": 0, "note": "\0"}),
]


def test_a_nul_character_in_any_string_is_refused(enrolled):
    """PostgreSQL's text cannot hold U+0000: once a 500 there, now refused on both backends
    the same way, before anything is stored; a backslash before "u0000" is no NUL."""
    hub, keys = enrolled
    before = state()
    for endpoint, body in NUL_BODIES:
        response = post(hub.url, endpoint, body(keys[A]), keys=keys[A], sender=A)
        refused(hub, response, "BODY_MALFORMED", 400, f"/sync/v1/{endpoint}")
    assert state() == before
    event = events.make(keys[A], origin=A, seq=1, prev_hash=GENESIS, type_="record.put",
                        record="profile:x", payload={"data": {"path": "C:\\u0000"}})
    response = post(hub.url, "push", {"events": [event]}, keys=keys[A], sender=A)
    assert response.status_code == 200 and Event.select().count() == 1


def test_deep_nesting_is_malformed(enrolled):
    hub, keys = enrolled
    before = state()
    for depth in (1100, 100_000):
        raw = zlib.compress(b'{"events":' + b"[" * depth + b"]" * depth + b"}")
        response = post(hub.url, "push", {}, keys=keys[A], sender=A, raw_body=raw)
        refused(hub, response, "BODY_MALFORMED", 400, PUSH)
    assert state() == before


def rotation(old: KeyPair, new: KeyPair, center: str = A) -> dict:
    message = rotation_bytes(center, old.key_id, new.public.b64)
    return {"public_key": new.public.b64, "endorsement": b64(old.sign(message)),
            "proof": b64(new.sign(message))}


def test_rotating_to_a_key_that_exists_is_refused(enrolled):
    hub, keys = enrolled
    before = state()
    for body, code, status in [
            (rotation(keys[A], keys[A]), "CONFLICT", 409),  # its own key
            (rotation(keys[A], keys[B]), "CONFLICT", 409),  # another center's
            ({**rotation(keys[A], KeyPair.generate()), "public_key": "not a key"},
             "BODY_MALFORMED", 400)]:
        response = post(hub.url, "rotate", body, keys=keys[A], sender=A)
        refused(hub, response, code, status, "/sync/v1/rotate")
    assert state() == before
    fresh = post(hub.url, "rotate", rotation(keys[A], KeyPair.generate()), keys=keys[A],
                 sender=A)
    assert fresh.status_code == 200


def sealed_headers(keys: KeyPair, data: bytes) -> dict:
    """Envelope headers for exactly these body bytes."""
    envelope, _ = env.seal({}, keys=keys, sender=A, recipient="hub", method="POST", path=PUSH)
    unsigned = env.Envelope(**{**envelope.__dict__, "digest": hashlib.sha256(data).hexdigest()})
    return env.Envelope(**{**unsigned.__dict__,
                           "signature": b64(keys.sign(unsigned.signing_bytes()))}).headers()


def test_a_chunked_body_past_the_limit_or_a_zlib_bomb_gets_a_signed_413(enrolled):
    """No length to refuse it by up front: the hub reads one byte past the limit, no more."""
    hub, keys = enrolled
    before = state()

    def chunks():
        for _ in range(9):  # 9 MiB, past the 8 MiB limit
            yield b"\0" * (1 << 20)
    response = requests.post(hub.url + PUSH, data=chunks(), headers=sealed_headers(keys[A], b""),
                             timeout=60)
    assert "Content-Length" not in response.request.headers
    refused(hub, response, "BODY_TOO_LARGE", 413, PUSH)
    assert state() == before
    data = env.pack({"events": make_events(keys[A], A, 1, 2, GENESIS)})
    response = requests.post(hub.url + PUSH, data=iter([data[:10], data[10:]]),
                             headers=sealed_headers(keys[A], data), timeout=60)
    assert response.status_code == 200 and Event.select().count() == 2  # read whole
    before = state()
    bomb = zlib.compress(b"[" + b" " * (65 << 20) + b"]", 9)  # 64 KiB that inflate to 65 MiB
    assert len(bomb) < 100_000
    response = post(hub.url, "push", {}, keys=keys[A], sender=A, raw_body=bomb)
    refused(hub, response, "BODY_TOO_LARGE", 413, PUSH)
    assert state() == before
