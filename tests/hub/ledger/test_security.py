"""Every refusal of point 7 of the spine: its stable code, a security-log row,
and nothing applied. Run against a real hub process on SQLite and PostgreSQL."""
from __future__ import annotations

import zlib

import pytest

from hub import db as hub_db
from hub.ledger import stream
from hub.models import Event, NodeKey, OriginHead, SecurityEvent
from node import store
from node.app import load_settings
from node.enroll import enroll
from sync import envelope as env
from sync.events import GENESIS
from sync.signing import KeyPair
from tests.processes import last_json
from tests.protocol import make_events, post, problem

A, B = "210102001", "210102002"


@pytest.fixture
def enrolled(hub, tmp_path):
    """A hub with centers A and B enrolled; their keys; the hub's tables bound here."""
    keys = {}
    for center in (A, B):
        data_dir = tmp_path / f"node-{center}"
        enroll(data_dir, hub.url, hub.token(center), load_settings({"data_dir": str(data_dir)}))
        keys[center] = store.load_keys(data_dir)
    database = hub_db.bind(hub.db_url)
    yield hub, keys
    database.close()


def snapshot():
    return (Event.select().count(), list(OriginHead.select().tuples()))


def refused(response, code: str, status: int | None = None) -> dict:
    body = problem(response)
    assert body["code"] == code, body
    if status:
        assert response.status_code == status
    assert SecurityEvent.select().where(SecurityEvent.code == code).count() >= 1
    return body


def test_accepted_push_is_the_baseline(enrolled):
    hub, keys = enrolled
    response = post(hub.url, "push", {"events": make_events(keys[A], A, 1, 3, GENESIS)},
                    keys=keys[A], sender=A)
    assert response.status_code == 200
    assert env.unpack(response.content, 1 << 20)["acked_seq"] == 3
    assert snapshot()[0] == 3


@pytest.mark.parametrize("case, code, status", [
    ("unknown key", "KEY_UNKNOWN", 401),
    ("key of another center", "KEY_UNKNOWN", 401),
    ("bad signature", "SIGNATURE_INVALID", 401),
    ("digest mismatch", "DIGEST_MISMATCH", 401),
    ("clock skew", "CLOCK_SKEW", 401),
    ("wrong recipient", "WRONG_RECIPIENT", 401),
    ("origin not the sender", "ORIGIN_MISMATCH", 403),
    ("gap in sequence", "SEQUENCE_GAP", 409),
    ("broken chain", "CHAIN_BROKEN", 409),
    ("malformed envelope", "ENVELOPE_MALFORMED", 400),
    ("not zlib", "BODY_MALFORMED", 400),
    ("oversized body", "BODY_TOO_LARGE", 413),
    ("malformed event", "EVENT_MALFORMED", 400),
])
def test_refusal_has_its_code_and_changes_nothing(enrolled, case, code, status):
    hub, keys = enrolled
    before = snapshot()
    good = make_events(keys[A], A, 1, 3, GENESIS)
    kwargs = dict(keys=keys[A], sender=A)
    body = {"events": good}
    if case == "unknown key":
        kwargs["keys"] = KeyPair.generate()
    elif case == "key of another center":
        kwargs["keys"] = keys[B]
    elif case == "bad signature":
        kwargs["spoil"] = lambda h, d: ({**h, "Hallsync-Signature": env.Envelope(
            **{**env.read_headers(h, method="POST", path="/x").__dict__}).signature[::-1]}, d)
    elif case == "digest mismatch":
        kwargs["spoil"] = lambda h, d: (h, zlib.compress(b'{"events": []}'))
    elif case == "clock skew":
        kwargs["time_ms"] = env.now_ms() - 10 * 60 * 1000
    elif case == "wrong recipient":
        kwargs["recipient"] = B
    elif case == "origin not the sender":
        body = {"events": make_events(keys[A], B, 1, 2, GENESIS)}
    elif case == "gap in sequence":
        body = {"events": make_events(keys[A], A, 3, 2, "e" * 64)}
    elif case == "broken chain":
        body = {"events": good[:1] + make_events(keys[A], A, 2, 1, "f" * 64)}
    elif case == "malformed envelope":
        kwargs["spoil"] = lambda h, d: ({k: v for k, v in h.items() if k != "Hallsync-Nonce"}, d)
    elif case == "not zlib":
        kwargs["raw_body"] = b"{not zlib}"
    elif case == "oversized body":
        kwargs["raw_body"] = b"\0" * (8 * 1024 * 1024 + 1)
    elif case == "malformed event":
        body = {"events": [{**good[0], "seq": "one"}]}
    response = post(hub.url, "push", body, **kwargs)
    details = refused(response, code, status)
    assert snapshot() == before
    if code == "SEQUENCE_GAP":
        assert details["expected_seq"] == 1


def test_reused_nonce_is_refused(enrolled):
    hub, keys = enrolled
    captured = {}

    def capture(headers, data):
        captured.update(headers=headers, data=data)
        return headers, data
    first = post(hub.url, "push", {"events": make_events(keys[A], A, 1, 2, GENESIS)},
                 keys=keys[A], sender=A, spoil=capture)
    assert first.status_code == 200
    before = snapshot()
    replay = post(hub.url, "push", None, keys=keys[A], sender=A,
                  spoil=lambda h, d: (captured["headers"], captured["data"]))
    refused(replay, "NONCE_REUSED", 401)
    assert snapshot() == before


def test_revoked_key_is_refused(enrolled):
    hub, keys = enrolled
    hub.cli("revoke", A)
    before = snapshot()
    response = post(hub.url, "push", {"events": make_events(keys[A], A, 1, 1, GENESIS)},
                    keys=keys[A], sender=A)
    refused(response, "KEY_REVOKED", 401)
    assert snapshot() == before
    assert NodeKey.get(NodeKey.key_id == keys[A].key_id).revoked_ms is not None


def test_write_by_a_non_owner_is_refused_per_event(enrolled):
    hub, keys = enrolled
    mine = make_events(keys[A], A, 1, 1, GENESIS, record_prefix="shared")
    assert post(hub.url, "push", {"events": mine}, keys=keys[A], sender=A).status_code == 200
    record = mine[0]["record"]
    from sync import events
    theirs = events.make(keys[B], origin=B, seq=1, prev_hash=GENESIS, type_="record.put",
                         record=record, payload={"data": {"taken": True}})
    reply = post(hub.url, "push", {"events": [theirs]}, keys=keys[B], sender=B)
    body = env.unpack(reply.content, 1 << 20)
    assert body["acked_seq"] == 1  # stored (receipt), but not applied
    assert body["problems"] == [{"seq": 1, "state": "refused", "code": "NOT_OWNER",
                                 "detail": f"{record} is owned by {A}"}]
    from hub.models import RecordData
    assert RecordData.get(RecordData.record == record).data == '{"n":1}'
    assert SecurityEvent.select().where((SecurityEvent.code == "NOT_OWNER")
                                        & (SecurityEvent.center == B)).count() == 1


def test_old_nonces_are_forgotten_but_still_refused_by_time(enrolled):
    from hub.ledger.security import forget_old_nonces
    from hub.models import SeenNonce
    hub, keys = enrolled
    old = env.now_ms() - 11 * 60 * 1000
    SeenNonce.create(key_id=keys[A].key_id, nonce="a" * 32, seen_ms=old)
    SeenNonce.create(key_id=keys[A].key_id, nonce="b" * 32, seen_ms=env.now_ms())
    assert forget_old_nonces({"clock_skew_s": 300}, env.now_ms()) == 1
    assert [n.nonce for n in SeenNonce.select()] == ["b" * 32]


def test_a_junk_signature_in_a_centers_name_counts_toward_no_center(enrolled):
    """Anyone can write a center's name on a message: until it authenticates, a refusal
    is not that center's, and a flood from one address stays one row a minute."""
    hub, keys = enrolled
    junk = lambda h, d: ({**h, "Hallsync-Signature": "A" * 86}, d)  # noqa: E731
    flood = 30
    for _ in range(flood):
        response = post(hub.url, "push", {"events": []}, keys=keys[A], sender=A, spoil=junk)
        assert problem(response)["code"] == "SIGNATURE_INVALID"
    rows = list(SecurityEvent.select().where(SecurityEvent.code == "SIGNATURE_INVALID"))
    assert {row.center for row in rows} == {""}
    assert len(rows) <= 2 and sum(row.repeats for row in rows) == flood  # a minute may turn
    assert "claimed sender '210102001'" in rows[0].detail
    center = next(c for c in last_json(hub.cli("coverage", "--json"))["centers"]
                  if c["code"] == A)
    assert center["refusals_24h"] == 0 and not any("签名" in r for r in center["reasons"])


def sealed_json(text: str) -> bytes:
    """A body as a node would seal it, but with JSON numbers no encoder here would write."""
    return zlib.compress(text.encode())


BAD_PULLS = [  # (body or raw JSON, the field named)
    ({"since": 0, "limit": -1}, "limit"),  # SQL reads LIMIT -1 as no limit: the whole stream
    ({"since": 0, "limit": 0}, "limit"),
    ({"since": 0, "limit": 100_000}, "limit"),  # past pull_batch
    ({"since": 0, "limit": "5"}, "limit"),
    ({"since": 0, "limit": True}, "limit"),
    ({"since": 0, "limit": [1]}, "limit"),
    ({"since": -1}, "since"),
    ({"since": "0"}, "since"),
    ({"since": 2**63}, "since"),  # parses, then overflows SQLite and bigint
    ('{"since": 18446744073709551616}', "since"),  # a float once parsed
    ('{"since": 0, "limit": 2.5}', "limit"),
]


def test_a_pull_with_a_bad_since_or_limit_is_refused(enrolled):
    hub, keys = enrolled
    for n in range(2):  # (signed with any key: only the hub's pull is under test)
        stream.publish(keys[A], A, "notice", {"title": f"通知{n}", "body": ""})
    whole = env.unpack(post(hub.url, "pull", {"since": 0}, keys=keys[A], sender=A).content,
                       1 << 20)
    assert len(whole["messages"]) >= 3  # the catalog's first version, and the two notices
    one = env.unpack(post(hub.url, "pull", {"since": 0, "limit": 1}, keys=keys[A],
                          sender=A).content, 1 << 20)
    assert len(one["messages"]) == 1 and one["more"] is True
    for body, field in BAD_PULLS:
        raw = {"raw_body": sealed_json(body)} if isinstance(body, str) else {}
        response = post(hub.url, "pull", {} if raw else body, keys=keys[A], sender=A, **raw)
        assert response.status_code == 400, (body, response.status_code)
        assert problem(response)["field"] == field
        refused(response, "BODY_MALFORMED")


@pytest.mark.parametrize("endpoint, body, field", [
    ("heartbeat", {"last_seq": 2**63}, "last_seq"),
    ("heartbeat", {"backlog": 2**31}, "backlog"),  # an int4 column on PostgreSQL
    ("heartbeat", {"last_seq": "12"}, "last_seq"),
    ("heartbeat", {"clock_ms": -5}, "clock_ms"),
    ("heartbeat", {"catalog_version": False}, "catalog_version"),
    ("heartbeat", '{"acked_seq": 1e30}', "acked_seq"),
    ("events", {"from_seq": 2**63}, "from_seq"),
    ("events", {"from_seq": 0}, "from_seq"),
])
def test_heartbeat_and_events_refuse_wrong_types_and_huge_numbers(enrolled, endpoint, body,
                                                                   field):
    hub, keys = enrolled
    raw = {"raw_body": sealed_json(body)} if isinstance(body, str) else {}
    response = post(hub.url, endpoint, {} if raw else body, keys=keys[A], sender=A, **raw)
    assert response.status_code == 400 and problem(response)["field"] == field
    refused(response, "BODY_MALFORMED")
    fine = post(hub.url, "heartbeat", {"backlog": 2**31 - 1, "last_seq": 0, "clock_ms": 0},
                keys=keys[A], sender=A)
    assert fine.status_code == 200
