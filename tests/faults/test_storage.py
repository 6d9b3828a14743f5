"""Storage that misbehaves under a running sync: an SQLite file locked (and abandoned
mid-transaction) by another process, the hub's PostgreSQL connections killed mid-ingest.
"""
from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

import pytest

from tests.conftest import pg_admin
from tests.faults.world import (DISTRICT, STREET, assert_exactly_once, hand_off, notify, rounds,
                                settle, sync_once, sync_process, write)

pytestmark = pytest.mark.slow
SQLITE = pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
POSTGRESQL = pytest.mark.parametrize("hub_db_url", [pytest.param("postgresql",
                                                                 marks=pytest.mark.postgresql)],
                                     indirect=True)

# Another program opens the file, takes the write lock, writes, and holds it.
_HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("CREATE TABLE IF NOT EXISTS intruder (x)")
db.execute("INSERT INTO intruder VALUES (1)")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_lock(path, seconds: float) -> subprocess.Popen:
    """A process holding ``path``'s write lock for ``seconds`` (then it ends, rolling back)."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    holder.stdout.close()
    return holder


def _world(hub, make_node):
    street, district = make_node(STREET), make_node(DISTRICT)
    for node in (street, district):
        node.enroll(hub)
        node.sync()
    return street, district


def _no_intruder(path) -> None:
    import sqlite3
    with sqlite3.connect(path) as db:
        assert not db.execute("SELECT name FROM sqlite_master WHERE name = 'intruder'").fetchall()


@SQLITE
def test_a_node_file_locked_then_abandoned_by_another_process(hub, make_node):
    street, district = _world(hub, make_node)
    write(street, 2000)
    numbers = hand_off(street, 2)
    node_db = street.data_dir / "node.db"
    holder = hold_lock(node_db, 2.5)
    started = time.monotonic()
    waited = sync_process(street)  # waits on the lock (busy timeout), then syncs
    out, err = waited.communicate(timeout=120)
    assert waited.returncode == 0, out + err
    assert time.monotonic() - started >= 2  # it did wait for the lock
    holder.wait()
    # Locked again, and the holder killed mid-transaction: its write never happened.
    holder = hold_lock(node_db, 60)
    syncing = sync_process(district)
    time.sleep(0.5)
    holder.kill()
    holder.wait()
    out, err = syncing.communicate(timeout=120)
    assert syncing.returncode == 0, out + err
    _no_intruder(node_db)
    settle([street, district])
    assert_exactly_once(hub, [street, district], handoffs=numbers)


@SQLITE
def test_the_hub_file_locked_by_another_process(hub, make_node):
    street, district = _world(hub, make_node)
    write(street, 3000)
    write(district, 3000)
    numbers = hand_off(street, 2)
    notices = len(notify(hub, 30))
    holder = hold_lock(hub.data_dir / "hub.db", 2.5)
    procs = [sync_process(node) for node in (street, district)]  # both wait, neither fails
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out + err
    holder.wait()
    holder = hold_lock(hub.data_dir / "hub.db", 60)
    procs = [sync_process(node) for node in (street, district)]
    time.sleep(0.5)
    holder.kill()
    holder.wait()
    for proc in procs:
        proc.communicate(timeout=120)
    _no_intruder(hub.data_dir / "hub.db")
    settle([street, district])
    assert_exactly_once(hub, [street, district], handoffs=numbers, notices=notices)


class BackendKiller(threading.Thread):
    """Terminate every connection to one database (this test's own) at random moments."""

    def __init__(self, db_url: str, seed: int):
        super().__init__(daemon=True)
        self.name_ = urlparse(db_url).path.lstrip("/")
        self.random = random.Random(seed)
        self.stopping = threading.Event()
        self.killed = 0

    def run(self) -> None:
        with pg_admin() as cur:
            while not self.stopping.wait(self.random.uniform(0.05, 0.4)):
                cur.execute("SELECT count(*) FROM (SELECT pg_terminate_backend(pid)"
                            " FROM pg_stat_activity WHERE datname = %s"
                            " AND pid <> pg_backend_pid()) AS killed", (self.name_,))
                self.killed += cur.fetchone()[0]

    def stop(self) -> int:
        self.stopping.set()
        self.join(10)
        return self.killed


@POSTGRESQL
def test_the_hubs_postgresql_connections_killed_mid_ingest(hub, make_node):
    street, district = _world(hub, make_node)
    rng = random.Random(5)
    numbers, notices = [], 0
    killer = BackendKiller(hub.db_url, seed=5)
    killer.start()
    try:
        for _ in range(rounds(3, 30)):
            write(street, rng.randint(1000, 6000))
            write(district, rng.randint(1000, 6000))
            numbers += hand_off(street, 2)
            procs = [sync_process(node) for node in (street, district)]
            for proc in procs:
                out, _err = proc.communicate(timeout=180)
                assert "without a signature" not in out, out  # a signed problem, never a bare 500
    finally:
        killed = killer.stop()
    assert killed > 0
    notices += len(notify(hub, 20))
    for node in (street, district):
        sync_once(node)
    settle([street, district])
    assert_exactly_once(hub, [street, district], handoffs=numbers, notices=notices)
