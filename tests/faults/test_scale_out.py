"""Two ``hub run`` instances on two ports, one PostgreSQL database, nodes spread across
them: exactly once holds across instances, and each periodic job runs once per
interval, not once per instance or worker."""
from __future__ import annotations

import time

import pytest

from hub import db as hub_db
from hub.models import JobRun
from tests.faults.world import (DISTRICT, STREET, assert_exactly_once, hand_off, notify, settle,
                                sync_process, write)
from tests.processes import HubServer

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]
FAST_JOBS = {"HALLSYNC_COVERAGE_INTERVAL_S": "1", "HALLSYNC_NONCE_CLEANUP_INTERVAL_S": "1",
             "HALLSYNC_WORKERS": "2"}


def test_two_hub_instances_on_one_database(tmp_path, pg_database, make_node):
    data_dir = tmp_path / "hub-data"  # one data directory: the instances share the hub's key
    data_dir.mkdir()
    first = HubServer(data_dir, pg_database, env=FAST_JOBS).start()
    second = HubServer(data_dir, pg_database, env=FAST_JOBS).start()
    try:
        street, district = make_node(STREET), make_node(DISTRICT)
        street.enroll(first)  # the street talks to the first instance,
        district.enroll(second)  # its district to the second
        for node in (street, district):
            node.sync()
        started = time.time()
        numbers = []
        for _ in range(3):
            write(street, 2000)
            write(district, 2000)
            numbers += hand_off(street, 2)  # collected on one instance, taken on the other
            procs = [sync_process(node) for node in (street, district)]
            for proc in procs:
                out, err = proc.communicate(timeout=180)
                assert proc.returncode == 0, out + err
        notices = len(notify(first, 10))
        settle([street, district])
        time.sleep(max(0.0, 6 - (time.time() - started)))
        assert_exactly_once(first, [street, district], handoffs=numbers, notices=notices)
        database = hub_db.bind(pg_database)
        try:
            runs = list(JobRun.select().where(JobRun.ran_ms >= started * 1000 - 1000))
        finally:
            database.close()
        watched = range(int(started) - 1, int(time.time()) + 1)  # the one-second slots seen
    finally:
        first.stop()
        second.stop()
    for job in ("coverage_alerts", "nonce_cleanup"):
        mine = [r for r in runs if r.job == job]
        slots = [r.slot for r in mine]
        assert len(slots) == len(set(slots))  # one run per one-second slot …
        assert set(slots) <= set(watched), (job, sorted(slots), watched)
        # … while four workers of two instances ticked: the others skipped.
        assert sum(r.skipped for r in mine) >= len(mine), [(r.instance, r.skipped) for r in mine]
