"""A relayed message whose content does not hold is refused, with why, and the stream goes
on: what the hub sends after it (notices, catalog versions, revocations) still arrives."""
from __future__ import annotations

import pytest

from hub import db as hub_db
from hub.identity import load_or_create_key
from hub.ledger import stream
from node import store
from node.models import Notice, RefusedMessage
from node.models import database as node_database

STREET = "210102001"


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_one_bad_relay_does_not_stop_the_stream(hub, make_node):
    node = make_node(STREET)
    node.enroll(hub)
    node.sync()
    # Another center's opinion on one of our cases, altered on the way: its hash fails.
    forged = {"origin": "210102", "seq": 1, "type": "joint.opinion",
              "record": "opinion:210102001-20261201-00001:natres",
              "created_at": "2026-12-01T00:00:00.000Z",
              "payload": {"number": "210102001-20261201-00001", "department": "natres",
                          "decision": "consent"},
              "prev_hash": "0" * 64, "hash": "1" * 64, "key_id": "0" * 16, "sig": "A" * 86 + "=="}
    database = hub_db.bind(hub.db_url)
    try:
        keys = load_or_create_key(hub.data_dir)  # the hub signs the message; its content is bad
        relay_id = stream.publish(keys, STREET, "joint.opinion", {"event": forged, "keys": {}})
        stream.publish(keys, STREET, "notice", {"title": "停电通知", "body": "明日 9 点停电"})
    finally:
        database.close()
    assert node.sync()["errors"] == []
    store.bind(node.data_dir)
    with node_database.connection_context():
        refused = RefusedMessage.get(RefusedMessage.id == relay_id)
        assert refused.code == "SIGNATURE_INVALID" and "210102#1" in refused.detail
        assert [n.title for n in Notice.select()] == ["停电通知"]
        assert store.state().pull_cursor > relay_id
