"""``sync.schema.upgrade`` on a real SQLite file and a real PostgreSQL database.

An "older version" is a table made from a trimmed copy of a model; the upgrade
adds the columns the newer model has, the old row keeps its values and takes
the defaults, and a second run changes nothing.
"""
from __future__ import annotations

import threading

import psycopg2
import pytest
from peewee import (BooleanField, CharField, DatabaseProxy, IntegerField, Model, TextField)
from playhouse.test_utils import count_queries

from sync.database import is_postgresql, open_database
from sync.errors import SchemaError
from sync.schema import LOCK_KEY, existing_columns, upgrade
from tests.conftest import BACKENDS

proxy = DatabaseProxy()


class Base(Model):
    class Meta:
        database = proxy
        legacy_table_names = False


class OldVisit(Base):
    """The table as an older version made it."""

    name = CharField(max_length=32)

    class Meta:
        table_name = "visit"


class Visit(Base):
    """The same table in the newer version: five columns more, one of them indexed."""

    name = CharField(max_length=32)
    note = TextField(null=True)
    visits = IntegerField(default=3)
    flagged = BooleanField(default=True)
    label = CharField(max_length=16, default="无'名", index=True)  # a quote to escape
    channel = CharField(max_length=8, null=True, default="window")

    class Meta:
        table_name = "visit"


class Strict(Base):
    """A newer version that made a mistake: a NOT NULL column without a default."""

    name = CharField(max_length=32)
    note = TextField(null=True)
    code = CharField(max_length=8)

    class Meta:
        table_name = "visit"


class Extra(Base):
    """A table the older version did not have."""

    key = CharField(primary_key=True, max_length=8)


def schema(db) -> tuple:
    """What a run could change: every table's columns (with nullability) and indexes."""
    return tuple(sorted((table, tuple((c.name, c.null) for c in db.get_columns(table)),
                         tuple(sorted(i.name for i in db.get_indexes(table))))
                        for table in db.get_tables()))


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    """A database holding the older ``visit`` table with one row."""
    url = (f"sqlite:///{tmp_path / 'old.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_database"))
    database = open_database(url)
    proxy.initialize(database)
    database.connect()
    database.create_tables([OldVisit])
    OldVisit.create(name="张伟")
    yield database
    database.close()


def test_missing_columns_tables_and_indexes_are_added_and_the_old_row_takes_the_defaults(db):
    assert upgrade(db, [Visit, Extra]) == ["visit.note", "visit.visits", "visit.flagged",
                                          "visit.label", "visit.channel"]
    assert existing_columns(db)["visit"] == {"id", "name", "note", "visits", "flagged", "label",
                                             "channel"}
    old = Visit.get(Visit.name == "张伟")
    assert (old.note, old.visits, old.flagged, old.label, old.channel) == (
        None, 3, True, "无'名", "window")
    assert "visit_label" in {i.name for i in db.get_indexes("visit")}
    assert {c.name: c.null for c in db.get_columns("visit")} == {
        "id": False, "name": False, "note": True, "visits": False, "flagged": False,
        "label": False, "channel": True}  # as a fresh table would have them
    Visit.create(name="李娜", visits=1)  # the newer version writes as it always does
    Extra.create(key="a")

    before = schema(db)
    assert upgrade(db, [Visit, Extra]) == []
    assert schema(db) == before
    assert [(v.name, v.visits) for v in Visit.select().order_by(Visit.id)] == [("张伟", 3),
                                                                             ("李娜", 1)]


def test_nothing_missing_costs_two_catalog_queries_and_no_ddl(db):
    upgrade(db, [Visit, Extra])
    with count_queries() as counted:
        upgrade(db, [Visit, Extra])
    # The advisory lock (PostgreSQL), the columns, the index names: never per column, and
    # no CREATE … IF NOT EXISTS, which on PostgreSQL locks the table against writes.
    assert counted.count == (1 if is_postgresql(db) else 0) + 2


def test_an_index_dropped_is_made_again(db):
    upgrade(db, [Visit, Extra])
    db.execute_sql('DROP INDEX "visit_label"')
    assert upgrade(db, [Visit, Extra]) == []
    assert "visit_label" in {i.name for i in db.get_indexes("visit")}


@pytest.mark.postgresql
def test_an_upgrade_with_nothing_to_do_does_not_wait_for_a_writer(pg_database):
    """A hub worker starting while another is in a write transaction (gunicorn replacing
    one that died mid-apply): its upgrade took the tables' locks one by one, and waited on
    the writer, who could then wait on it. The worker failed to boot, and the hub stopped."""
    database = open_database(pg_database)
    proxy.initialize(database)
    with database.connection_context():
        upgrade(database, [Visit, Extra])
    writer = psycopg2.connect(pg_database)
    try:
        with writer.cursor() as cur:  # a write transaction left open on both tables
            cur.execute("INSERT INTO visit (name, visits, flagged, label) "
                        "VALUES ('王芳', 1, false, 'x')")
            cur.execute("INSERT INTO extra (key) VALUES ('b')")
        with database.connection_context():
            database.execute_sql("SET lock_timeout = '2s'")  # a wait fails the test
            assert upgrade(database, [Visit, Extra]) == []
    finally:
        writer.close()


def test_a_not_null_column_without_default_is_refused_by_name_and_nothing_changes(db):
    before = schema(db)
    with pytest.raises(SchemaError, match=r"^visit\.code: .*NOT NULL without a default") as info:
        upgrade(db, [Strict, Extra])
    assert (info.value.table, info.value.column) == ("visit", "code")
    assert schema(db) == before  # not even the nullable note, nor the new table


@pytest.mark.postgresql
def test_workers_starting_at_once_on_postgresql_upgrade_one_after_another(pg_database):
    database = open_database(pg_database)
    proxy.initialize(database)
    models = [Visit, Extra]
    errors, done = [], []

    def worker(start: threading.Barrier):
        try:  # peewee's connections are per thread: each worker has its own
            with database.connection_context():
                start.wait()
                upgrade(database, models)
                done.append(True)
        except Exception as exc:  # noqa: BLE001 — collected, asserted below
            errors.append(exc)

    holder = psycopg2.connect(pg_database)  # a worker in the middle of its upgrade
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        start = threading.Barrier(6)
        threads = [threading.Thread(target=worker, args=(start,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=0.5)
        assert done == [] and errors == []  # all waiting on the lock
        holder.rollback()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        holder.close()
    assert errors == [] and len(done) == 6
    with database.connection_context():
        assert set(existing_columns(database)) == {"visit", "extra"}
