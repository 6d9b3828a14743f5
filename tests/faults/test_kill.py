"""SIGKILL at the worst moments and at random ones, on either side: nothing lost, nothing
doubled. Real processes: concurrent pushes, a node killed between the hub's commit and
its ack, a hub killed mid-apply (of a push, of scheduled exchanges), nodes and a whole
hub killed at random points of push, pull and apply, and a hub that is down for a while."""
from __future__ import annotations

import contextlib
import random
import subprocess
import sys
import time

import pytest

from hub import db as hub_db
from hub.models import Event, Ownership, RecordData
from tests.faults.world import (DISTRICT, STREET, assert_exactly_once, hand_off, notify, rounds,
                                settle, sync_process, write)
from tests.processes import ROOT, child_env, hallsync, last_json, node_run

pytestmark = pytest.mark.slow
A, B = "210102001", "210103001"
# A node's scheduled rounds, compressed: a try every 0.3 s, back-off capped at 1 s.
FAST = {"HALLSYNC_PUSH_INTERVAL_S": "0.3", "HALLSYNC_PULL_INTERVAL_S": "0.5",
        "HALLSYNC_HEARTBEAT_INTERVAL_S": "0.5", "HALLSYNC_JITTER_S": "0.1",
        "HALLSYNC_BACKOFF_BASE_S": "0.2", "HALLSYNC_BACKOFF_CAP_S": "1"}


def hub_seqs(hub, origin: str) -> list[int]:
    database = hub_db.bind(hub.db_url)
    seqs = [s for (s,) in Event.select(Event.seq).where(Event.origin == origin)
            .order_by(Event.seq).tuples()]
    database.close()
    return seqs


def test_two_nodes_push_10000_events_each_at_once(hub, make_node):
    nodes = [make_node(A), make_node(B)]
    for node in nodes:
        node.enroll(hub)
        node.sync()
        write(node, 10_000)
    procs = [subprocess.Popen([sys.executable, "-m", "hallsync", "node", "sync", "--data-dir",
                               str(node.data_dir), "--json"], env=child_env(), cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for node in nodes]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
    for node in nodes:
        assert hub_seqs(hub, node.center) == list(range(1, 10_003))  # and two receipts
    audit = last_json(hallsync("audit", "verify", "--data-dir", hub.data_dir, "--db",
                               hub.db_url, "--json"))
    assert audit["intact"] and audit["events"] == 20_004


def test_node_killed_after_the_hub_committed_and_before_the_ack(hub, make_node):
    node = make_node(A)
    node.enroll(hub)
    node.sync()  # the receipts of catalog and calendar versions 1
    write(node, 12_000)  # three pushes of 5,000
    killed = node.sync(check=False, HALLSYNC_CRASH_AT="node.after_push_reply")
    assert killed.returncode == -9
    assert len(hub_seqs(hub, A)) == 5_002  # the hub committed the first batch …
    assert node.status()["acked_seq"] == 2  # … and the node never recorded the ack
    moved = node.sync()
    assert moved["errors"] == [] and moved["acked_seq"] == 12_002
    assert hub_seqs(hub, A) == list(range(1, 12_003))  # nothing lost, nothing doubled


def test_hub_killed_in_the_middle_of_an_apply(hub, make_node):
    node = make_node(A)
    node.enroll(hub)
    hub.stop()
    hub.start(HALLSYNC_CRASH_AT="hub.mid_apply")
    write(node, 3_000)
    failed = node.sync(check=False)
    assert failed.returncode == 1 and "HUB_UNAVAILABLE" in failed.stdout
    hub.stop()
    database = hub_db.bind(hub.db_url)
    assert (Event.select().count(), RecordData.select().count(),
            Ownership.select().count()) == (0, 0, 0)  # all of the batch or none of it
    database.close()
    hub.start()
    assert node.sync()["acked_seq"] == 3_002  # and the receipts of catalog and calendar v1
    assert hub_seqs(hub, A) == list(range(1, 3_003))
    database = hub_db.bind(hub.db_url)
    assert RecordData.select().count() == 3_000
    database.close()


def test_hub_killed_in_the_middle_of_scheduled_exchanges(hub, make_node, tmp_path):
    """Two nodes' scheduled rounds (``/exchange``: a worker writes the rounds that meet in
    one transaction) die with the worker before their COMMIT: no round leaves an event, and
    both chains land once after the restart."""
    nodes = [make_node(A), make_node(B)]
    for node in nodes:
        node.enroll(hub)
        node.sync()  # the receipts of catalog and calendar versions 1
        write(node, 2_000)
    hub.stop()
    hub.start(HALLSYNC_CRASH_AT="hub.mid_apply")
    with contextlib.ExitStack() as running:
        for node in nodes:
            running.enter_context(node_run(node.data_dir, tmp_path / f"{node.center}.log", FAST))
        deadline = time.monotonic() + 30
        while hub.log.read_text().count("SIGKILL") < 4 and time.monotonic() < deadline:
            time.sleep(0.2)  # each try of each node kills the worker that took it
    hub.stop()
    assert {center: hub_seqs(hub, center) for center in (A, B)} == {A: [1, 2], B: [1, 2]}
    assert hub.log.read_text().count("SIGKILL") >= 4
    hub.start()
    with contextlib.ExitStack() as running:
        for node in nodes:
            running.enter_context(node_run(node.data_dir, tmp_path / f"{node.center}.log", FAST))
        deadline = time.monotonic() + 60
        while any(node.status()["backlog"] for node in nodes) and time.monotonic() < deadline:
            time.sleep(0.3)
    assert {center: hub_seqs(hub, center) for center in (A, B)} == {
        A: list(range(1, 2_003)), B: list(range(1, 2_003))}


def test_hub_down_node_keeps_working_and_its_backlog_drains(hub, make_node, tmp_path):
    node = make_node(A)
    node.enroll(hub)
    node.sync()
    hub.stop()
    write(node, 50)  # the window goes on serving while the network is down
    failed = node.sync(check=False)
    assert failed.returncode == 1 and "HUB_UNAVAILABLE" in failed.stdout
    assert node.status()["backlog"] == 50
    with node_run(node.data_dir, tmp_path / "node.log", FAST):
        time.sleep(1.5)  # a few failed attempts while the hub is down
        hub.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = node.status()
            if status["backlog"] == 0:
                break
            time.sleep(0.3)
        assert status["backlog"] == 0 and status["acked_seq"] == 52, status  # 2 receipts first
        assert hub_seqs(hub, A) == list(range(1, 53))


def _world(hub, make_node):
    street, district = make_node(STREET), make_node(DISTRICT)
    for node in (street, district):
        node.enroll(hub)
        node.sync()
    return street, district


def _sync_seconds(nodes, events: int) -> float:
    """How long the nodes' syncs of ``events`` new events each take here, from the command."""
    for node in nodes:
        write(node, events)
    started = time.monotonic()
    for proc in [sync_process(node) for node in nodes]:
        out, err = proc.communicate()
        assert proc.returncode == 0, out + err  # a failed calibration would time nothing
    return time.monotonic() - started


def test_nodes_killed_at_random_points_of_push_pull_and_apply(hub, make_node):
    street, district = _world(hub, make_node)
    rng = random.Random(7)
    # Kill times scale with this machine's speed: fixed ones let a fast machine finish first.
    whole = _sync_seconds([street, district], 4000)
    numbers, notices, landed = [], 0, 0
    for _ in range(rounds(3, 30)):
        write(street, rng.randint(1000, 4000))
        write(district, rng.randint(500, 2000))
        numbers += hand_off(street, 2)
        notices += len(notify(hub, rng.randint(50, 200)))
        procs = [sync_process(node) for node in (street, district)]
        time.sleep(rng.uniform(0.5, 0.9) * whole)  # from starting up to pulling
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                landed += 1
            proc.communicate()
    assert landed, "no kill landed while a sync ran"
    settle([street, district])
    assert_exactly_once(hub, [street, district], handoffs=numbers, notices=notices)


def test_the_whole_hub_killed_at_random_points(hub, make_node):
    street, district = _world(hub, make_node)
    rng = random.Random(11)
    numbers, notices = [], 0
    for _ in range(rounds(2, 20)):
        write(street, rng.randint(1000, 5000))
        write(district, rng.randint(1000, 5000))
        numbers += hand_off(street, 2)
        notices += len(notify(hub, rng.randint(20, 200)))
        procs = [sync_process(node) for node in (street, district)]
        time.sleep(rng.uniform(0.8, 2.5))
        hub.kill_all()  # master and workers, mid-push or mid-pull
        for proc in procs:
            proc.communicate(timeout=120)
        hub.start()
    settle([street, district])
    assert_exactly_once(hub, [street, district], handoffs=numbers, notices=notices)
