"""A served hub's connections leave the WAL's checkpoints to a job (``checkpoint``) instead
of doing them in the commit that fills the WAL, inside the writers' lock."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sync.database import (CHECKPOINT_APART_PRAGMAS, checkpoint, checkpoint_apart,
                           open_database)

# 1,200 pages of 4 KiB: past SQLite's default of 1,000 pages a checkpoint.
FILL = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200) "
        "INSERT INTO filler SELECT zeroblob(4000) FROM n")


@pytest.fixture
def db(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'hub.db'}")
    db.connect()
    db.execute_sql("CREATE TABLE filler (x BLOB)")
    yield db
    db.close()


def _fill(db) -> None:
    with db.atomic():
        db.execute_sql(FILL)


@pytest.mark.parametrize("apart", [False, True])
def test_a_commit_that_fills_the_wal_checkpoints_only_when_not_apart(db, tmp_path, apart):
    if apart:  # as a served hub's worker does before its threads connect
        db.close()
        checkpoint_apart(db)
        db.connect()
    file = Path(tmp_path / "hub.db")
    before = file.read_bytes()
    _fill(db)
    assert (file.read_bytes() != before) is not apart
    if apart:
        checkpoint(db)  # the job's turn: the pages reach the database file
        assert file.stat().st_size > len(before) + 1200 * 4000


def test_checkpoint_apart_holds_for_every_connection_opened_after_and_opens_none(db):
    db.close()
    checkpoint_apart(db)
    assert db.is_closed()  # set before a worker forks or serves: no connection to hand on
    db.connect()
    assert {name: db.execute_sql(f"PRAGMA {name}").fetchone()[0]
            for name, _value in CHECKPOINT_APART_PRAGMAS} == dict(CHECKPOINT_APART_PRAGMAS)


def test_a_checkpoint_tells_the_pages_an_open_read_keeps_in_the_wal(db, tmp_path):
    _fill(db)
    assert checkpoint(db) == 0
    reader = sqlite3.connect(tmp_path / "hub.db", isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM filler").fetchone()  # its snapshot starts here
        _fill(db)
        assert checkpoint(db) > 1200  # what it wrote since: the reader may still need it
        reader.execute("COMMIT")
    finally:
        reader.close()
    assert checkpoint(db) == 0
