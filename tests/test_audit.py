"""``hallsync audit verify`` finds a row changed by hand, at a node or at the hub."""
from __future__ import annotations

import sqlite3

import pytest

from hub import db as hub_db
from hub.models import Event
from node import records, store
from tests.processes import hallsync, last_json

A = "210102001"


@pytest.fixture
def synced(hub, make_node):
    node = make_node(A)
    node.enroll(hub)
    store.bind(node.data_dir)
    keys = store.load_keys(node.data_dir)
    for i in range(8):
        records.put(keys, A, f"profile:{i}", {"windows": i})
    node.sync()
    return hub, node


def audit(data_dir, *extra):
    return hallsync("audit", "verify", "--data-dir", data_dir, *extra, "--json", check=False)


def test_intact_records_pass_on_both_sides(synced):
    hub, node = synced
    for result in (audit(node.data_dir), audit(hub.data_dir, "--db", hub.db_url)):
        assert result.returncode == 0
        # eight profile changes and the receipts of catalog and calendar versions 1
        assert last_json(result) == {"intact": True, "centers": 1, "events": 10,
                                     "first_bad": None}


@pytest.mark.parametrize("column, value", [
    ("payload", '{"data":{"windows":99}}'),   # a fact changed
    ("created_at", "2026-01-01T00:00:00.000Z"),  # a time changed
    ("sig", None),                             # a signature swapped for another event's
])
def test_a_row_changed_by_hand_at_the_node_is_found(synced, column, value):
    _hub, node = synced
    conn = sqlite3.connect(node.data_dir / "node.db")
    if value is None:
        value = conn.execute("SELECT sig FROM outbox_event WHERE seq = 2").fetchone()[0]
    conn.execute(f"UPDATE outbox_event SET {column} = ? WHERE seq = 5", (value,))
    conn.commit()
    conn.close()
    result = audit(node.data_dir)
    assert result.returncode == 1
    assert last_json(result)["first_bad"].startswith(f"{A}#5:")
    assert f"{A}#5" in result.stderr


def test_a_row_changed_by_hand_at_the_hub_is_found(synced):
    hub, _node = synced
    database = hub_db.bind(hub.db_url)
    Event.update(payload='{"data":{"windows":99}}').where(Event.seq == 6).execute()
    database.close()
    result = audit(hub.data_dir, "--db", hub.db_url)
    assert result.returncode == 1
    assert last_json(result)["first_bad"].startswith(f"{A}#6:")


def test_a_deleted_event_at_the_hub_is_found(synced):
    hub, _node = synced
    database = hub_db.bind(hub.db_url)
    Event.delete().where(Event.seq == 3).execute()
    database.close()
    result = audit(hub.data_dir, "--db", hub.db_url)
    assert result.returncode == 1 and "#4: expected seq 3" in last_json(result)["first_bad"]
