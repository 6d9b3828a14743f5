"""A node's sync round in one request (``Node.exchange``), and the scheduled job that sends
it: the pull and the heartbeat ride along when their intervals are due; what did not fit
one request follows; a hub restored from an older backup is caught up."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from hub.app import create_app as create_hub
from hub.ledger.enrollment import make_token
from hub.models import CenterState, Event, OriginHead
from hub.models import database as hub_database
from node import outbox, records, store
from node.app import load_settings
from node.enroll import enroll
from node.scheduler import SyncJobs
from node.syncer import Node
from sync import envelope as env

CENTER = "210102001"


@pytest.fixture
def hub_and_node(tmp_path):
    """A hub (pulls of one message, so a pull can have more) and an enrolled node whose
    requests are recorded as (endpoint, parts)."""
    app = create_hub({"data_dir": str(tmp_path / "hub"), "pull_batch": 1})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with hub_database.connection_context():
        token = make_token(CENTER, hub_keys=app.extensions["hallsync"].keys, ttl_s=60,
                           now_ms=env.now_ms())
    data_dir = tmp_path / "node"
    settings = load_settings({"data_dir": str(data_dir), "push_batch": 2})
    enroll(data_dir, f"http://127.0.0.1:{server.server_port}", token, settings)
    node = Node(data_dir, settings)
    sent = []
    call = node.client.call

    def recorded(endpoint, body, **kwargs):
        sent.append((endpoint, sorted(body) if endpoint == "exchange" else None))
        return call(endpoint, body, **kwargs)
    node.client.call = recorded
    yield node, sent
    node.close()
    server.shutdown()


def write(node: Node, count: int) -> None:
    for i in range(count):
        records.put(node.keys, node.center, f"profile:{i}", {"windows": i})


def hub_state():
    with hub_database.connection_context():
        seqs = [e.seq for e in Event.select().where(Event.origin == CENTER).order_by(Event.seq)]
        return seqs, CenterState.get(CenterState.code == CENTER)


def test_one_round_is_one_request(hub_and_node):
    node, sent = hub_and_node
    write(node, 5)
    moved = node.exchange(drain=False)
    assert sent == [("exchange", ["heartbeat", "pull", "push"])]
    assert (moved.pushed, moved.pulled, moved.heartbeat) == (2, 1, True)
    assert store.state().acked_seq == 2 and store.state().pull_cursor > 0
    seqs, state = hub_state()
    assert seqs == [1, 2] and state.backlog == 5 and state.last_contact_ms


def test_what_does_not_fit_follows_when_draining(hub_and_node):
    node, sent = hub_and_node
    write(node, 5)
    moved = node.exchange()
    assert sent[0] == ("exchange", ["heartbeat", "pull", "push"])
    assert {endpoint for endpoint, _ in sent[1:]} == {"push", "pull"}
    assert moved.pulled >= 2 and not node.client.call(
        "pull", {"since": store.state().pull_cursor})["messages"]  # every message pulled
    # the events, and the receipt of the message the exchange pulled, went up; the receipts
    # of the messages pulled after them wait for the next round
    assert hub_state()[0] == [1, 2, 3, 4, 5, 6] and moved.acked_seq == 6
    assert outbox.backlog(store.state().acked_seq) == moved.pulled - 1


def test_the_job_carries_pull_and_heartbeat_only_when_due(hub_and_node):
    node, sent = hub_and_node
    jobs = SyncJobs(node, {**node.settings, "pull_interval_s": 30, "heartbeat_interval_s": 60})
    write(node, 1)
    jobs.run("exchange")
    write(node, 1)
    jobs.run("exchange")
    jobs.riders_due["heartbeat"] = 0  # its interval passed
    jobs.run("exchange")
    rounds = [parts for endpoint, parts in sent if endpoint == "exchange"]
    assert rounds == [["heartbeat", "pull", "push"], ["push"], ["heartbeat"]]
    assert outbox.backlog(store.state().acked_seq) == 0 and store.state().last_error == ""


def test_a_hub_restored_from_an_older_backup_is_caught_up(hub_and_node):
    node, sent = hub_and_node
    write(node, 4)
    node.exchange(pull=False, heartbeat=False)
    assert store.state().acked_seq == 4
    with hub_database.connection_context():  # the hub loses events 3 and 4
        Event.delete().where((Event.origin == CENTER) & (Event.seq > 2)).execute()
        OriginHead.update(seq=2, hash=Event.get(Event.origin == CENTER, Event.seq == 2).hash) \
            .where(OriginHead.origin == CENTER).execute()
    write(node, 1)
    moved = node.exchange(pull=False, heartbeat=False)  # seq 5: SEQUENCE_GAP, then resent
    assert moved.pushed == 3 and store.state().acked_seq == 5
    assert hub_state()[0] == [1, 2, 3, 4, 5]
