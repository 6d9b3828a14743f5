"""``hallsync bench node`` and the process it measures: ``hallsync node run``.

The node runs as one process (waitress's threads and the sync jobs beside
them, no child), serves its pages, syncs on its own, and stops at SIGTERM.
"""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from hallsync.bench.proc import process_tree
from hub import db as hub_db
from hub.models import CenterState
from tests.processes import (ROOT, START_TIMEOUT, child_env, free_port, hallsync, last_json,
                             stop, wait_until_answers)

STREET = "210102001"
FAST_JOBS = {"HALLSYNC_PUSH_INTERVAL_S": "0.3", "HALLSYNC_PULL_INTERVAL_S": "0.3",
             "HALLSYNC_HEARTBEAT_INTERVAL_S": "0.3", "HALLSYNC_JITTER_S": "0"}


def last_contact(hub) -> int | None:
    database = hub_db.bind(hub.db_url)
    contact = CenterState.get(CenterState.code == STREET).last_contact_ms
    database.close()
    return contact


def test_node_run_is_one_process_that_serves_syncs_and_stops(hub, make_node, tmp_path):
    node = make_node(STREET)
    node.enroll(hub)
    before = last_contact(hub) or 0
    port, log = free_port(), tmp_path / "node.log"
    with open(log, "ab") as err:
        proc = subprocess.Popen([sys.executable, "-m", "hallsync", "node", "run", "--data-dir",
                                 str(node.data_dir), "--port", str(port)], cwd=ROOT,
                                env=child_env(FAST_JOBS), stdout=subprocess.DEVNULL, stderr=err)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{url}/login", proc, START_TIMEOUT)
        assert requests.get(f"{url}/login", timeout=10).status_code == 200
        deadline = time.monotonic() + 20
        while (last_contact(hub) or 0) <= before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (last_contact(hub) or 0) > before, log.read_text()  # its heartbeat job ran
        assert node.status()["catalog_version"] == 1  # and its pull job
        assert process_tree(proc.pid) == [proc.pid]  # no master, no worker, no helper
        start = time.monotonic()
        proc.terminate()
        assert proc.wait(10) == 0
        assert time.monotonic() - start < 5
    finally:
        stop(proc)
    text = log.read_text()
    assert f"node listening on {url}" in text and "Traceback" not in text


def test_node_run_loads_no_hub_module_nor_what_a_street_pc_does_not_use():
    """No hub module, no PostgreSQL driver nor peewee's URL parser (which loads every
    database's extension), no QR code library before a receipt is printed."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys; from hallsync.cli import cli; import click;"
         "cli.get_command(click.Context(cli), 'node'); import node.app, node.scheduler;"
         "print(sorted(m for m, module in sys.modules.items() if module is not None"
         " and (m.split('.')[0] in ('hub', 'gunicorn', 'psycopg2', 'segno')"
         " or m == 'playhouse.db_url')))"],
        capture_output=True, text=True, env=child_env(), cwd=ROOT, check=True)
    assert loaded.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_bench_serves_and_syncs_a_small_month(tmp_path):
    result = last_json(hallsync("bench", "node", "--events", "120", "--serve-seconds", "1",
                                "--data-dir", tmp_path / "bench", "--json", timeout=300))
    assert {"rss_mb", "startup_s", "catchup_s", "events"} <= set(result)
    assert result["events"] >= 120 and result["pushed"] == result["events"]
    assert result["backlog_left"] == 0 and result["hub_events"] == result["node_events"]
    assert result["failed_pages"] == [] and result["pages"] >= 6
    assert result["memory"] in ("pss", "rss") and result["rss_mb"] > 10
    assert 0 < result["startup_s"] < 30 and 0 < result["catchup_s"] < 60
    assert 0 < result["catchup_cpu_s"]["hub"] and 0 < result["catchup_cpu_s"]["node"]
