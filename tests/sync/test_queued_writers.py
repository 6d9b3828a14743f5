"""SQLite writers queue on a lock before ``BEGIN`` (``sync.database.QueuedWritersDatabase``).

Without it a writer that finds the database locked sleeps in SQLite's busy handler and
retries at growing intervals, which made the hub's pushes wait seconds under load.
"""
from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from sync.database import open_database, yield_to_writer


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'queued.db'}")
    database.connect()
    database.execute_sql("CREATE TABLE t (a INTEGER)")
    yield database
    database.close()


def sqlite_is_free(path) -> bool:
    """Whether another connection could begin writing right now (no waiting)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def write_in_thread(db, started: threading.Event, done: list) -> threading.Thread:
    def write():
        with db.connection_context():
            started.set()
            with db.atomic():
                db.execute_sql("INSERT INTO t VALUES (2)")
            done.append(True)
    thread = threading.Thread(target=write)
    thread.start()
    return thread


def test_a_second_thread_waits_before_begin_and_goes_on_at_the_commit(db):
    started, done = threading.Event(), []
    with db.atomic():
        db.execute_sql("INSERT INTO t VALUES (1)")
        thread = write_in_thread(db, started, done)
        started.wait(5)
        thread.join(0.3)
        assert thread.is_alive() and done == []  # queued on the lock, not failed
    thread.join(10)
    assert done == [True]
    assert db.execute_sql("SELECT a FROM t ORDER BY a").fetchall() == [(1,), (2,)]


@contextlib.contextmanager
def another_process_writing(db):
    """Another worker holding the writers' lock until the ``release`` it yields is called."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR "
         "| os.O_CREAT); fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); "
         "sys.stdin.read()", f"{db.database}-writer"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        yield holder.stdin.close  # its transaction ends
    finally:
        holder.kill()
        holder.wait()
        holder.stdin.close()
        holder.stdout.close()


def test_another_process_holding_the_lock_keeps_the_writer_out_of_sqlite(db):
    with another_process_writing(db) as release:
        started, done = threading.Event(), []
        thread = write_in_thread(db, started, done)
        started.wait(5)
        thread.join(0.3)
        # Waiting on the other worker's lock, it has not begun: SQLite is free meanwhile.
        assert thread.is_alive() and sqlite_is_free(db.database)
        release()
        thread.join(10)
        assert done == [True]


def test_the_lock_is_given_back_after_a_rollback_and_a_failed_commit(db):
    with pytest.raises(ZeroDivisionError):
        with db.atomic():
            db.execute_sql("INSERT INTO t VALUES (1)")
            1 / 0
    db.execute_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    db.execute_sql("CREATE TABLE child (p INTEGER REFERENCES parent (id) "
                   "DEFERRABLE INITIALLY DEFERRED)")
    with pytest.raises(Exception, match="FOREIGN KEY"):
        with db.atomic():  # the deferred key fails at COMMIT
            db.execute_sql("INSERT INTO child VALUES (7)")
    started, done = threading.Event(), []
    write_in_thread(db, started, done).join(10)  # another thread is not locked out
    assert done == [True]
    assert db.execute_sql("SELECT a FROM t").fetchall() == [(2,)]


def test_a_forked_worker_queues_on_its_own_lock(db):
    with db.atomic():  # the parent has used (and released) its lock before the fork
        db.execute_sql("INSERT INTO t VALUES (1)")
    db.close()  # as gunicorn's master does before forking its workers
    pid = os.fork()
    if pid == 0:  # the child writes with a lock of its own, then exits
        try:
            db.connect()
            with db.atomic():
                db.execute_sql("INSERT INTO t VALUES (2)")
            os._exit(0)
        except BaseException:  # noqa: BLE001 — the exit code is the test's answer
            os._exit(1)
    assert os.waitpid(pid, 0)[1] == 0
    db.connect()
    assert sorted(db.execute_sql("SELECT a FROM t").fetchall()) == [(1,), (2,)]
    fd = os.open(f"{db.database}-writer", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody still holds it
    finally:
        os.close(fd)


def yield_in_thread(db, timeout_s: float, seen: list) -> threading.Thread:
    thread = threading.Thread(target=lambda: (yield_to_writer(db, timeout_s),
                                              seen.append("checked")))
    thread.start()
    return thread


def test_a_thread_yielding_to_its_process_writer_goes_on_at_the_commit(db):
    seen = []
    with db.atomic():
        db.execute_sql("INSERT INTO t VALUES (1)")
        thread = yield_in_thread(db, 30, seen)
        thread.join(0.3)
        assert thread.is_alive() and seen == []
        seen.append("committed")
    thread.join(10)
    assert seen == ["committed", "checked"]


def test_yielding_waits_for_nothing_without_a_writer_and_no_longer_than_asked(db):
    seen = []
    yield_in_thread(db, 30, seen).join(10)  # nobody writes: at once
    assert seen == ["checked"]
    with db.atomic():
        yield_to_writer(db, 30)  # the writer itself does not wait for itself
        yield_in_thread(db, 0.2, seen).join(10)  # a writer that takes long: only so long
        assert seen == ["checked", "checked"]
        db.execute_sql("INSERT INTO t VALUES (1)")
    assert db.execute_sql("SELECT a FROM t").fetchall() == [(1,)]


def test_a_write_in_another_process_is_not_waited_for(db):
    with another_process_writing(db):
        seen = []
        yield_in_thread(db, 30, seen).join(10)  # the other worker's core is its own
        assert seen == ["checked"]


def _writer_files_open(path) -> int:
    return sum(os.path.realpath(f"/proc/self/fd/{fd}") == f"{path}-writer"
               for fd in os.listdir("/proc/self/fd"))


def test_a_database_let_go_leaves_no_lock_file_open(tmp_path):
    """Tests and commands bind databases anew; each left its lock file open, until a long
    test run held over a thousand descriptors."""
    path = str(tmp_path / "bound.db")
    for _ in range(3):
        database = open_database(f"sqlite:///{path}")
        with database.connection_context(), database.atomic():
            database.execute_sql("CREATE TABLE IF NOT EXISTS t (a INTEGER)")
        assert _writer_files_open(path) == 1
        del database
        gc.collect()  # peewee's objects refer to each other: the collector frees them
    assert _writer_files_open(path) == 0
