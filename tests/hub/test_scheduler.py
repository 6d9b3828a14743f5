"""A periodic hub job runs once per slot, whoever ticks, on both backends.

The other worker here is a second connection of its own (sqlite3 or psycopg2)
that claims the slot in an open transaction, as a worker of another hub
instance would; the process-level proof is tests/faults/test_scale_out.py.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from urllib.parse import urlparse

import pytest

from hub import db as hub_db
from hub.models import JobRun, SeenNonce, database
from hub.scheduler import JOBS, HubJobs, Job, run_once
from sync.database import CHECKPOINT_APART_PRAGMAS
from tests.conftest import BACKENDS

SETTINGS = {"coverage_interval_s": 60, "nonce_cleanup_interval_s": 60, "clock_skew_s": 300}
T0 = 1_780_000_000_000
CLEANUP = next(job for job in JOBS if job.name == "nonce_cleanup")


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/hub.db"
    return request.getfixturevalue("pg_database")


@pytest.fixture
def store(store_url):
    database = hub_db.bind(store_url)
    database.connect()
    yield store_url
    database.close()


def other_worker(url: str):
    """A second connection, in a transaction, as another worker or instance would be."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(urlparse(url).path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        return conn, conn.cursor()
    import psycopg2
    conn = psycopg2.connect(url)
    return conn, conn.cursor()


def counting_job(calls: list) -> Job:
    return Job("probe", "coverage_interval_s", lambda s, now: calls.append(now) or {"n": 1})


def test_one_run_per_slot_and_the_next_slot_runs_again(store):
    calls = []
    job = counting_job(calls)
    assert run_once(job, SETTINGS, T0, "a:1") == {"n": 1}
    assert run_once(job, SETTINGS, T0 + 1000, "b:2") is None  # same minute, another worker
    assert run_once(job, SETTINGS, T0 + 60_000, "b:2") == {"n": 1}  # the next minute
    runs = [(r.instance, r.skipped, r.result) for r in JobRun.select().order_by(JobRun.slot)]
    assert calls == [T0, T0 + 60_000]
    assert runs == [("a:1", 1, '{"n":1}'), ("b:2", 0, '{"n":1}')]


@pytest.mark.parametrize("other_commits", [True, False])
def test_a_tick_waits_for_a_claim_in_flight_and_runs_only_if_it_failed(store, other_commits):
    calls = []
    job = counting_job(calls)
    slot = T0 // 60_000
    conn, cur = other_worker(store)
    mark = "?" if store.startswith("sqlite") else "%s"
    cur.execute("INSERT INTO job_run (job, slot, instance, ran_ms, skipped, result) "
                f"VALUES ('probe', {mark}, 'other:9', {mark}, 0, '')", (slot, T0))
    outcome = []

    def tick():  # a worker's scheduler thread: a connection of its own
        with database.connection_context():
            outcome.append(run_once(job, SETTINGS, T0 + 5, "me:1"))
    ticking = threading.Thread(target=tick)
    ticking.start()
    time.sleep(0.5)
    assert outcome == []  # it waits on the other's claim, it does not run alongside
    if other_commits:
        conn.commit()
    else:
        conn.rollback()  # the other's run failed: its claim went with it
    ticking.join(30)
    conn.close()
    assert outcome == ([None] if other_commits else [{"n": 1}])
    assert calls == ([] if other_commits else [T0 + 5])


def test_a_failed_run_leaves_its_slot_to_the_next_tick(store):
    def failing(settings, now_ms):
        raise RuntimeError("database went away")
    with pytest.raises(RuntimeError):
        run_once(Job("probe", "coverage_interval_s", failing), SETTINGS, T0, "a:1")
    calls = []
    assert run_once(counting_job(calls), SETTINGS, T0 + 10, "b:2") == {"n": 1}
    assert [r.instance for r in JobRun.select()] == ["b:2"]


def test_nonce_cleanup_forgets_old_nonces_and_old_runs(store):
    SeenNonce.insert_many([{"key_id": "k", "nonce": "old", "seen_ms": T0 - 3_600_000},
                           {"key_id": "k", "nonce": "new", "seen_ms": T0 - 1000}]).execute()
    JobRun.insert(job="probe", slot=1, instance="x", ran_ms=T0 - 2 * 86_400_000).execute()
    assert run_once(CLEANUP, SETTINGS, T0) == {"nonces": 1, "job_runs": 1}
    assert [n.nonce for n in SeenNonce.select()] == ["new"]


def test_a_serving_worker_checkpoints_a_sqlite_wal_in_the_background(tmp_path):
    hub_db.bind(f"sqlite:///{tmp_path / 'hub.db'}")
    jobs = HubJobs(SETTINGS)  # as the app is made, before any request
    file = tmp_path / "hub.db"

    def self_checkpoint_pages() -> int:  # a request thread's connection
        with database.connection_context():
            return database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0]
    early = []
    thread = threading.Thread(target=lambda: early.append(self_checkpoint_pages()))
    thread.start()
    thread.join()
    assert early == [dict(CHECKPOINT_APART_PRAGMAS)["wal_autocheckpoint"]]
    with database.connection_context():
        jobs.start_once()  # a worker's first request
        try:
            before = file.read_bytes()
            with database.atomic():  # a few pages: no commit would checkpoint them itself
                SeenNonce.insert_many([{"key_id": "k", "nonce": f"n{i}", "seen_ms": T0}
                                       for i in range(500)]).execute()
            deadline = time.monotonic() + 10
            while file.read_bytes() == before:
                assert time.monotonic() < deadline, "the WAL was not checkpointed"
                time.sleep(0.1)
        finally:
            jobs.stop()


def test_a_job_failing_every_tick_is_logged_once_a_minute(tmp_path, caplog, monkeypatch):
    hub_db.bind(f"sqlite:///{tmp_path / 'hub.db'}")
    jobs = HubJobs(SETTINGS)
    clock = [1000.0]
    monkeypatch.setattr("hub.scheduler.time.monotonic", lambda: clock[0])

    def disk_full():
        raise sqlite3.OperationalError("database or disk is full")
    for step in (0, 0.5, 30, 61, 61.5):  # ticks, seconds after the first
        clock[0] = 1000.0 + step
        jobs._guarded("wal_checkpoint", disk_full)
    failed = [r for r in caplog.records if "wal_checkpoint failed" in r.getMessage()]
    assert len(failed) == 2  # the first, and the first a minute later


def test_a_wal_that_a_long_read_keeps_from_the_checkpoints_is_reported(tmp_path, caplog,
                                                                       monkeypatch):
    hub_db.bind(f"sqlite:///{tmp_path / 'hub.db'}")
    jobs = HubJobs(SETTINGS)
    monkeypatch.setattr("hub.scheduler.WAL_BEHIND_PAGES", 50)
    with database.connection_context():
        jobs._checkpoint()
        reader = sqlite3.connect(tmp_path / "hub.db", isolation_level=None)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM seen_nonce").fetchone()
            SeenNonce.insert_many([{"key_id": "k", "nonce": f"n{i}" * 40, "seen_ms": T0}
                                   for i in range(2000)]).execute()
            jobs._checkpoint()
            jobs._checkpoint()  # the next tick, within the minute: said once
        finally:
            reader.close()
        jobs._checkpoint()
    behind = [r for r in caplog.records if "the WAL holds" in r.getMessage()]
    assert len(behind) == 1 and behind[0].levelname == "WARNING"
