"""The scheduled jobs back off while the hub is down and obey its Retry-After."""
from __future__ import annotations

import sys
import threading
import time

import pytest
from werkzeug.serving import make_server

from hub.app import create_app as create_hub
from hub.ledger.enrollment import make_token
from hub.models import database as hub_database
from node.app import load_settings
from node.enroll import enroll
from node.models import NodeState
from node.scheduler import SyncJobs
from node.syncer import Node
from sync import envelope as env
from tests.node.test_memory import MB, freed_but_kept, resident_bytes


@pytest.fixture
def in_process_hub(tmp_path):
    app = create_hub({"data_dir": str(tmp_path / "hub"), "max_concurrent_syncs": 1})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_jobs_obey_retry_after_and_recover(in_process_hub, tmp_path):
    app, url = in_process_hub
    with hub_database.connection_context():
        token = make_token("210102001", hub_keys=app.extensions["hallsync"].keys, ttl_s=60,
                           now_ms=env.now_ms())
    data_dir = tmp_path / "node"
    settings = load_settings({"data_dir": str(data_dir), "backoff_base_s": 1,
                              "backoff_cap_s": 4})
    enroll(data_dir, url, token, settings)
    jobs = SyncJobs(Node(data_dir, settings), settings)
    gate = app.extensions["hallsync"].gate
    gate.acquire()  # the hub is busy
    jobs.run("heartbeat")
    waited = jobs.backoff.not_before - time.monotonic()
    assert 25 < waited <= 60  # Retry-After (30–60 s) wins over the 1 s backoff
    assert "hub busy" in NodeState.get().last_error
    jobs.run("heartbeat")  # too early: not even tried
    assert jobs.backoff.failures == 1
    gate.release()
    jobs.backoff.not_before = 0  # time passes
    jobs.run("heartbeat")
    assert jobs.backoff.failures == 0


def test_jobs_back_off_exponentially_while_the_hub_is_unreachable(in_process_hub, tmp_path):
    app, url = in_process_hub
    with hub_database.connection_context():
        token = make_token("210102001", hub_keys=app.extensions["hallsync"].keys, ttl_s=60,
                           now_ms=env.now_ms())
    data_dir = tmp_path / "node"
    settings = load_settings({"data_dir": str(data_dir), "backoff_base_s": 2,
                              "backoff_cap_s": 16})
    enroll(data_dir, url, token, settings)
    NodeState.update(hub_url="http://127.0.0.1:9").execute()  # nothing listens there
    jobs = SyncJobs(Node(data_dir, settings), settings)
    delays = []
    for _ in range(6):
        jobs.backoff.not_before = 0
        jobs.run("heartbeat")
        delays.append(jobs.backoff.not_before - time.monotonic())
    ceilings = [2, 4, 8, 16, 16, 16]
    assert all(c / 2 - 0.1 <= d <= c for d, c in zip(delays, ceilings)), delays
    assert "cannot connect" in NodeState.get().last_error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, calls glibc")
def test_each_job_gives_back_the_memory_it_freed_once_it_ends(in_process_hub, tmp_path):
    app, url = in_process_hub
    with hub_database.connection_context():
        token = make_token("210102001", hub_keys=app.extensions["hallsync"].keys, ttl_s=60,
                           now_ms=env.now_ms())
    settings = load_settings({"data_dir": str(tmp_path / "node")})
    enroll(tmp_path / "node", url, token, settings)
    jobs = SyncJobs(Node(tmp_path / "node", settings), settings)
    for run in (jobs.run_chores, lambda: jobs.run("heartbeat")):
        run()  # its first run's own imports and caches
        kept = freed_but_kept()
        held = resident_bytes()
        run()
        assert held - resident_bytes() > 20 * MB
        assert len(kept) == 300
