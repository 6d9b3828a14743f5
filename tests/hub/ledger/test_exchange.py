"""``/sync/v1/exchange``: a sync round in one request. The heartbeat, the push and the pull
are answered together; a refused push is answered in its own part while the heartbeat and
the pull still happen; a malformed part refuses the whole request and changes nothing.
A real hub process on SQLite and PostgreSQL."""
from __future__ import annotations

from hub.models import CenterState, Event, OriginHead, SecurityEvent, SeenNonce
from sync import envelope as env
from sync.events import GENESIS
from tests.hub.ledger.test_security import A, enrolled  # noqa: F401  (fixture)
from tests.protocol import make_events, post, problem

HEARTBEAT = {"app_version": "0.1.0", "catalog_version": 0, "calendar_version": 0,
             "backlog": 7, "last_seq": 3, "acked_seq": 0, "clock_ms": 0, "last_error": ""}


def exchanged(hub, keys, body: dict) -> dict:
    response = post(hub.url, "exchange", body, keys=keys[A], sender=A)
    assert response.status_code == 200, problem(response)
    return env.unpack(response.content, 1 << 20)


def test_one_request_pushes_pulls_and_beats(enrolled):
    hub, keys = enrolled
    nonces = SeenNonce.select().count()
    reply = exchanged(hub, keys, {"heartbeat": HEARTBEAT,
                                  "push": {"events": make_events(keys[A], A, 1, 3, GENESIS)},
                                  "pull": {"since": 0, "limit": 1}})
    assert reply["push"]["acked_seq"] == 3 and reply["push"]["problems"] == []
    assert [e.seq for e in Event.select().where(Event.origin == A)] == [1, 2, 3]
    # the heartbeat describes the node as it sent the request: recorded before the push
    assert (reply["heartbeat"]["head_seq"], reply["heartbeat"]["recover"]) == (0, False)
    state = CenterState.get(CenterState.code == A)
    assert (state.backlog, state.node_last_seq, state.pull_cursor) == (7, 3, 0)
    # the catalog's first version waits for every center; one at a time, as asked
    assert len(reply["pull"]["messages"]) == 1 and reply["pull"]["more"] is True
    assert SeenNonce.select().count() == nonces + 1  # one envelope, one nonce


def test_each_part_can_travel_alone(enrolled):
    hub, keys = enrolled
    assert set(exchanged(hub, keys, {"pull": {"since": 0}})) == {"pull"}
    assert set(exchanged(hub, keys, {"heartbeat": HEARTBEAT})) == {"heartbeat"}
    pushed = exchanged(hub, keys, {"push": {"events": make_events(keys[A], A, 1, 2, GENESIS)}})
    assert set(pushed) == {"push"} and pushed["push"]["acked_seq"] == 2
    assert CenterState.get(CenterState.code == A).last_contact_ms  # contact without a beat


def test_a_refused_push_is_answered_in_its_part_and_the_rest_happens(enrolled):
    hub, keys = enrolled
    exchanged(hub, keys, {"push": {"events": make_events(keys[A], A, 1, 2, GENESIS)}})
    head = list(OriginHead.select().tuples())
    later = make_events(keys[A], A, 3, 4, Event.get(Event.seq == 2).hash)
    broken = [dict(e) for e in later]
    broken[1]["prev_hash"] = "0" * 64
    refusals = {"SEQUENCE_GAP": later[2:],    # seq 5 when the hub expects 3
                "CHAIN_BROKEN": broken,
                "EVENT_MALFORMED": [{**later[0], "seq": "3"}],
                "ORIGIN_MISMATCH": make_events(keys[A], "210102002", 1, 1, GENESIS)}
    for code, events in refusals.items():
        reply = exchanged(hub, keys, {"heartbeat": {**HEARTBEAT, "backlog": len(code)},
                                      "push": {"events": events}, "pull": {"since": 0}})
        assert reply["push"]["problem"]["code"] == code, reply["push"]
        assert reply["pull"]["messages"] and reply["heartbeat"]["head_seq"] == 2
        assert CenterState.get(CenterState.code == A).backlog == len(code)
        assert SecurityEvent.select().where(SecurityEvent.code == code).count() == 1
    gap = exchanged(hub, keys, {"push": {"events": later[2:]}})["push"]["problem"]
    assert (gap["expected_seq"], gap["head_seq"]) == (3, 2)  # what the node resyncs from
    assert list(OriginHead.select().tuples()) == head and Event.select().count() == 2


def test_a_malformed_part_refuses_the_whole_request_and_changes_nothing(enrolled):
    hub, keys = enrolled
    push = {"events": make_events(keys[A], A, 1, 2, GENESIS)}
    cases = [({}, ""), ({"push": push, "beat": {}}, "beat"), ({"pull": []}, ""),
             ({"push": push, "pull": {"since": -1}}, "pull.since"),
             ({"push": push, "pull": {"limit": 0}}, "pull.limit"),
             ({"push": push, "heartbeat": {**HEARTBEAT, "backlog": "7"}}, "heartbeat.backlog")]
    before = (Event.select().count(), sorted(CenterState.select().tuples()),
              SeenNonce.select().count())
    for body, field in cases:
        response = post(hub.url, "exchange", body, keys=keys[A], sender=A)
        refusal = problem(response)
        assert (response.status_code, refusal["code"]) == (400, "BODY_MALFORMED"), refusal
        assert refusal.get("field", "") == field
        if "." in field:
            assert f"body.{field}" in refusal["detail"]
    assert (Event.select().count(), sorted(CenterState.select().tuples()),
            SeenNonce.select().count()) == before
