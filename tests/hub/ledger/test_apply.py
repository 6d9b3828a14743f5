"""Receipt is not apply: an event the hub cannot apply is stored, quarantined,
never blocks unrelated later events, holds the ones on its record, and is
replayed after a fix."""
from __future__ import annotations

import pytest

from hub import db as hub_db
from hub.ledger import apply, registry
from hub.models import Event, RecordData
from node import store
from node.app import load_settings
from node.enroll import enroll
from sync import envelope as env
from sync import events
from sync.events import GENESIS
from tests.processes import last_json
from tests.protocol import post

A = "210102001"
FUTURE = "profile.future"  # a type from a newer node: this hub has no handler for it


@pytest.fixture
def newer_node_pushed(hub, tmp_path):
    data_dir = tmp_path / "node"
    enroll(data_dir, hub.url, hub.token(A), load_settings({"data_dir": str(data_dir)}))
    keys = store.load_keys(data_dir)
    events.register(FUTURE, needs_record=True, help="test only")
    plan = [(FUTURE, "profile:1", {"x": 1}),            # 1 quarantined
            ("record.put", "profile:1", {"data": {"v": 2}}),  # 2 held behind 1
            ("record.put", "profile:2", {"data": {"v": 3}}),  # 3 applied: other record
            ("record.put", "profile:1", {"data": {"v": 4}})]  # 4 held
    made, prev = [], GENESIS
    for seq, (type_, record, payload) in enumerate(plan, 1):
        made.append(events.make(keys, origin=A, seq=seq, prev_hash=prev, type_=type_,
                                record=record, payload=payload))
        prev = made[-1]["hash"]
    reply = env.unpack(post(hub.url, "push", {"events": made}, keys=keys, sender=A).content,
                       1 << 20)
    database = hub_db.bind(hub.db_url)
    yield hub, keys, reply
    events.TYPES.pop(FUTURE)
    registry.HANDLERS.pop(FUTURE, None)
    database.close()


def states():
    return dict(Event.select(Event.seq, Event.state).where(Event.origin == A).tuples())


def test_quarantine_holds_dependents_only(newer_node_pushed):
    hub, _keys, reply = newer_node_pushed
    assert reply["acked_seq"] == 4  # all four received
    assert states() == {1: "quarantined", 2: "held", 3: "applied", 4: "held"}
    assert [p["code"] for p in reply["problems"]] == [
        "EVENT_TYPE_UNKNOWN", "BLOCKED_BY_QUARANTINE", "BLOCKED_BY_QUARANTINE"]
    listed = last_json(hub.cli("quarantine", "list", "--json"))
    assert [(e["seq"], e["state"]) for e in listed["events"]] == [
        (1, "quarantined"), (2, "held"), (4, "held")]
    # Without a fix, replay changes nothing.
    assert last_json(hub.cli("quarantine", "replay", "--json"))["applied"] == 0
    assert states()[1] == "quarantined"


def test_later_pushes_still_flow(newer_node_pushed, tmp_path):
    hub, keys, _reply = newer_node_pushed
    prev = Event.get((Event.origin == A) & (Event.seq == 4)).hash
    nxt = events.make(keys, origin=A, seq=5, prev_hash=prev, type_="record.put",
                      record="profile:3", payload={"data": {"v": 5}})
    reply = env.unpack(post(hub.url, "push", {"events": [nxt]}, keys=keys, sender=A).content,
                       1 << 20)
    assert reply["acked_seq"] == 5 and reply["problems"] == []


def test_replay_after_the_fix_applies_in_order(newer_node_pushed):
    applied = []

    @registry.handles(FUTURE)
    def fixed(batch):  # the fix: this hub learned the newer type
        applied.extend(e["seq"] for e in batch)
    counts = apply.replay(A, now_ms=env.now_ms())
    assert counts["applied"] == 3 and applied == [1]
    assert set(states().values()) == {"applied"}
    assert RecordData.get(RecordData.record == "profile:1").data == '{"v":4}'
