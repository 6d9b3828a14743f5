"""Writes that stay compiled (``sync.database``).

Python's sqlite3 keeps a connection's last statements compiled, found by their text, and
compiling an insert of many rows costs more than running it. So what pushes repeat must
repeat its texts: inserts take full statements and powers of two rows, reads by many keys
a power of two keys, and savepoints are named by depth rather than by a fresh uuid (whose
two new texts each pushed a compiled one out).
"""
from __future__ import annotations

import contextlib
import sqlite3

import pytest

from sync.database import (IN_CHUNK, ROWS_PER_STATEMENT, DatabaseProxy, insert_rows,
                           insert_sizes, open_database, select_in)

COLUMNS = ("k", "v", '"user"')


class _RecordingCursor(sqlite3.Cursor):
    def execute(self, sql, *args):
        self.connection.texts.append(sql)
        return super().execute(sql, *args)


class _RecordingConnection(sqlite3.Connection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.texts: list[str] = []

    def cursor(self, factory=_RecordingCursor):
        return super().cursor(factory)


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'compiled.db'}")
    database.connect_params["factory"] = _RecordingConnection
    database.connect()
    database.execute_sql('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT, "user" TEXT)')
    yield database
    database.close()


def texts(db, verb: str) -> set[str]:
    return {sql for sql in db.connection().texts if verb in sql}


def rows_of(db) -> list[tuple]:
    return db.execute_sql('SELECT k, v, "user" FROM t ORDER BY k').fetchall()


def test_a_large_batch_is_written_by_full_statements_and_the_rest_in_powers_of_two(db):
    rows = [(k, f"v{k}" if k % 3 else None, "clerk") for k in range(1000)]
    with db.atomic():
        assert insert_rows(db, "t", COLUMNS, rows) == 1000
    assert rows_of(db) == rows
    inserts = [sql for sql in db.connection().texts if "INSERT" in sql]
    assert insert_sizes(1000) == [ROWS_PER_STATEMENT] * 15 + [32, 8]
    assert [sql.count("(?, ?, ?)") for sql in inserts] == insert_sizes(1000)


def test_a_tables_inserts_of_any_number_of_rows_take_a_few_texts(db):
    """Compiled once each: a push's or a group of rounds' row counts vary at every turn."""
    with db.atomic():
        for k, n in enumerate(range(1, 101)):
            insert_rows(db, "t", COLUMNS, [(k * 1000 + i, "v", "clerk") for i in range(n)])
    assert rows_of(db)[-1][0] == 99 * 1000 + 99
    assert len(texts(db, "INSERT")) == ROWS_PER_STATEMENT.bit_length()  # 64, 32, … 1


def test_a_read_by_many_keys_takes_them_a_chunk_a_statement(db):
    with db.atomic():
        insert_rows(db, "t", COLUMNS, [(k, f"v{k}", "clerk") for k in range(3000)])
    keys = [*range(1, 2 * IN_CHUNK + 2), 5000]  # two full chunks and one of two; 5000 absent
    found = sorted(select_in(db, "SELECT k, v FROM t WHERE k IN ({marks})", keys))
    assert found == [(k, f"v{k}") for k in range(1, 2 * IN_CHUNK + 2)]
    reads = [sql for sql in db.connection().texts if sql.startswith("SELECT k, v")]
    assert [sql.count("?") for sql in reads] == [IN_CHUNK, IN_CHUNK, 2]
    # Five keys are read with eight marks, the last key again: each row once.
    five = sorted(select_in(db, "SELECT k, v FROM t WHERE k IN ({marks})", [1, 2, 3, 4, 5]))
    assert five == [(k, f"v{k}") for k in range(1, 6)]
    assert db.connection().texts[-1].count("?") == 8
    assert list(select_in(db, "SELECT k, v FROM t WHERE k IN ({marks})", [])) == []


def test_an_upsert_counts_and_changes_only_the_rows_given(db):
    suffix = "ON CONFLICT (k) DO UPDATE SET v = excluded.v"
    with db.atomic():
        insert_rows(db, "t", COLUMNS, [(k, "old", "clerk") for k in range(5)])
        assert insert_rows(db, "t", COLUMNS, [(k, "new", "x") for k in (1, 3, 7)],
                           suffix=suffix) == 3
        assert insert_rows(db, "t", COLUMNS, [(1, "again", "x")],
                           suffix="ON CONFLICT (k) DO NOTHING") == 0
    assert rows_of(db) == [(0, "old", "clerk"), (1, "new", "clerk"), (2, "old", "clerk"),
                           (3, "new", "clerk"), (4, "old", "clerk"), (7, "new", "x")]


def test_savepoints_are_named_by_depth_and_undo_only_their_own(db):
    proxy = DatabaseProxy()  # as the hub's and the node's models reach their database
    proxy.initialize(db)
    for round_ in range(3):
        with proxy.atomic():
            insert_rows(db, "t", COLUMNS, [(10 * round_, "outer", "u")])
            with proxy.atomic():
                insert_rows(db, "t", COLUMNS, [(10 * round_ + 1, "inner", "u")])
                with contextlib.suppress(RuntimeError), proxy.atomic():
                    insert_rows(db, "t", COLUMNS, [(10 * round_ + 2, "undone", "u")])
                    raise RuntimeError("this block fails")
    assert [v for _k, v, _u in rows_of(db)] == ["outer", "inner"] * 3
    assert texts(db, "SAVEPOINT") == {'SAVEPOINT "s1";', 'SAVEPOINT "s2";',
                                      'RELEASE SAVEPOINT "s1";', 'ROLLBACK TO SAVEPOINT "s2";'}
