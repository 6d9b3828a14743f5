"""A malicious center: enrolled, holding its own valid key, signing whatever it likes.

Street 210102001 turns rogue while its district (210102) and a neighbouring street
(210102002), both real nodes, go on working: the neighbour hands a case to the
district, the hub sends notices. The rogue tries, in one run against a real hub:
pushing in the neighbour's name, claiming the neighbour's case, poisoning the
district's stream through the relay paths (a handoff to the district, and the
district's supervision of its streets) with events whose own signature does not
hold, replaying a signed request on other endpoints and again on its own,
an oversized batch, a body over the size limit, and events of a type that does
not exist. Afterwards no other center is harmed: their streams go on, their data
at the hub is exactly what they wrote, and every refusal counts toward the rogue
alone (or toward no center), never toward a victim.
"""
from __future__ import annotations

import zlib

import pytest
import requests

from hub import db as hub_db
from hub.coverage.alerts import evaluate
from hub.coverage.centers import default_settings
from hub.models import Alert, CaseHandoff, Event, HubMessage, SecurityEvent
from node import outbox, store
from node.models import database as node_database
from sync import envelope as env
from sync import events
from sync.signing import b64
from tests.faults.world import assert_exactly_once, hand_off, notify, settle, write
from tests.processes import hallsync, last_json
from tests.protocol import make_events, post, problem

pytestmark = pytest.mark.slow
ROGUE, DISTRICT, NEIGHBOUR = "210102001", "210102", "210102002"


class Rogue:
    """The rogue center's key and the head of its chain at the hub, as it pushes."""

    def __init__(self, hub, node_dir):
        self.hub, self.dir = hub, node_dir
        self.keys = store.load_keys(node_dir.data_dir)
        store.bind(node_dir.data_dir)
        with node_database.connection_context():
            state = store.state()
            self.seq, self.hash = state.acked_seq, state.acked_hash

    def push(self, batch: list[dict], **kw) -> requests.Response:
        response = post(self.hub.url, "push", {"events": batch}, keys=self.keys, sender=ROGUE,
                        **kw)
        if response.status_code == 200:
            reply = env.unpack(response.content, 1 << 20)
            self.seq, self.hash = reply["acked_seq"], reply["acked_hash"]
        return response

    def event(self, type_: str, record: str, payload: dict, *, bad_sig: bool = False) -> dict:
        """One event on top of the rogue's chain, signed (or signed over the wrong bytes)."""
        created_at = events.utc_now_iso()
        payload_json = events.codec.canonical(payload)
        digest = events.event_hash(ROGUE, self.seq + 1, type_, record, created_at, self.hash,
                                   payload_json)
        signed = b"not this event" if bad_sig else events.sig_input(digest)
        return {"origin": ROGUE, "seq": self.seq + 1, "type": type_, "record": record,
                "created_at": created_at, "payload": payload, "prev_hash": self.hash,
                "hash": digest, "key_id": self.keys.key_id, "sig": b64(self.keys.sign(signed))}


def _outbox_after(node_dir, seq: int) -> list[dict]:
    store.bind(node_dir.data_dir)
    with node_database.connection_context():
        return outbox.read(seq, node_dir.center)


def _resign_badly(rogue: Rogue, batch: list[dict]) -> list[dict]:
    """The rogue's own real events, each signature now over other bytes (hash chain intact)."""
    return [{**e, "sig": b64(rogue.keys.sign(b"forged " + e["hash"].encode()))} for e in batch]


def test_a_rogue_center_harms_no_other_center(hub, make_node):
    rogue_dir, district, neighbour = (make_node(c) for c in (ROGUE, DISTRICT, NEIGHBOUR))
    for node in (rogue_dir, district, neighbour):
        node.enroll(hub)
        node.sync()
    write(district, 200)
    write(neighbour, 200)
    honest = hand_off(neighbour, 2)
    for node in (neighbour, district):
        assert node.sync()["errors"] == []
    rogue = Rogue(hub, rogue_dir)

    # 1. In the neighbour's name: the whole push refused.
    victims_events = make_events(rogue.keys, NEIGHBOUR, 10_000, 1, "0" * 64)
    response = rogue.push(victims_events)
    assert (response.status_code, problem(response)["code"]) == (403, "ORIGIN_MISMATCH")

    # 2. Stream poisoning: a real handoff to the district (relayed to it, and its
    #    supervision of this street), every event signed over the wrong bytes.
    before = rogue.seq  # the rogue's node writes them on top of its acknowledged chain
    poisoned = hand_off(rogue_dir, 1)
    tampered = _resign_badly(rogue, _outbox_after(rogue_dir, before))
    response = rogue.push(tampered)
    assert response.status_code == 200
    reply = env.unpack(response.content, 1 << 20)
    assert reply["problems"], "events whose signature fails must not be applied (or relayed)"

    # 3. The neighbour's case, claimed: quarantined per event, the owner unchanged.
    theirs = next(e for e in _outbox_after(neighbour, 0) if e["type"] == "case.received")
    response = rogue.push([rogue.event("case.received", theirs["record"], theirs["payload"])])
    reply = env.unpack(response.content, 1 << 20)
    assert [p["code"] for p in reply["problems"]] == ["NOT_OWNER"]

    # 4. Replays: a signed push sent to other endpoints, then to push again.
    captured = {}

    def capture(headers, data):
        captured.update(headers=headers, data=data)
        return headers, data
    rogue.push([rogue.event("record.put", f"profile:{ROGUE}:r", {"data": {"n": 1}})],
               spoil=capture)
    for endpoint in ("heartbeat", "pull", "events", "push"):
        replayed = requests.post(f"{hub.url}/sync/v1/{endpoint}", data=captured["data"],
                                 headers=captured["headers"], timeout=10)
        assert 400 <= replayed.status_code < 500, (endpoint, replayed.status_code)
        assert problem(replayed)["code"] in ("SIGNATURE_INVALID", "NONCE_REUSED",
                                             "ENVELOPE_INVALID"), endpoint

    # 5. An oversized batch, and a body over the size limit (a zip bomb).
    huge = make_events(rogue.keys, ROGUE, rogue.seq + 1, 20_001, rogue.hash)
    response = rogue.push(huge)
    assert (response.status_code, problem(response)["code"]) == (413, "BODY_TOO_LARGE")
    bomb = zlib.compress(b'{"events": [' + b" " * (80 << 20) + b"]}", 9)
    response = rogue.push([], raw_body=bomb)
    assert response.status_code == 413 and problem(response)["code"] == "BODY_TOO_LARGE"

    # 6. Events of a type that does not exist.
    response = rogue.push([rogue.event("case.wipe_everything", "", {"all": True})])
    assert 400 <= response.status_code < 500 or \
        env.unpack(response.content, 1 << 20)["problems"], response.status_code

    # The victims go on: more work, more notices, everything arrives, exactly once.
    write(district, 100)
    honest += hand_off(neighbour, 1)
    notices = len(notify(hub, 5))
    settle([neighbour, district])
    assert_exactly_once(hub, [neighbour, district], handoffs=honest, notices=notices)
    # The hub keeps the rogue's events as pushed (the push's envelope authenticated them,
    # docs/protocol.md), so the rogue's own chain fails audit: it harmed only itself.
    whole = last_json(hallsync("audit", "verify", "--data-dir", hub.data_dir, "--db",
                               hub.db_url, "--json", check=False))
    assert whole["first_bad"] is None or whole["first_bad"].startswith(ROGUE + "#"), whole
    database = hub_db.bind(hub.db_url)
    try:
        # The poisoned handoff never reached the district's stream.
        assert not [m for m in HubMessage.select().where(HubMessage.recipient == DISTRICT)
                    if poisoned[0] in m.payload]
        assert not CaseHandoff.select().where(CaseHandoff.number == poisoned[0]).exists()
        for victim in (DISTRICT, NEIGHBOUR):
            assert Event.select().where((Event.origin == victim)
                                        & (Event.state != "applied")).count() == 0
        blamed = {s.center for s in SecurityEvent.select()}
        assert blamed <= {ROGUE, ""}, blamed
        evaluate(env.now_ms(), default_settings())
        alerted = {(a.center, a.kind) for a in Alert.select().where(Alert.cleared_ms.is_null())}
        assert not {c for c, kind in alerted if kind == "signature_failures"} - {ROGUE}
    finally:
        database.close()
