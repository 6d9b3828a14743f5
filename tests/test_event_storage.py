"""A signed event is stored in its table's own pages, at the hub and at a node, never
spilled into an overflow page: a case's receipt is about 1 KB, and SQLite keeps only about
1,000 bytes of a WITHOUT ROWID row in place, so each receipt would take a 4 KB page of its
own for its last few hundred bytes (a third of the hub's disk, measured in
docs/performance.md)."""
from __future__ import annotations

from hub import db as hub_db
from hub.models import Event
from node import outbox, store
from node.models import database as node_database
from sync import events
from sync.signing import KeyPair

CENTER = "210102001"
# As large as a big receipt (about 2.6 KB of canonical JSON); the kind does not matter.
LARGE = {"data": {"materials": ["营业执照副本及法定代表人身份证明复印件"] * 40}}


def overflow_pages(db, table: str) -> int:
    return db.execute_sql("SELECT count(*) FROM dbstat WHERE name = ? AND pagetype = ?",
                          (table, "overflow")).fetchone()[0]


def signed(count: int) -> list[dict]:
    keys, prev_hash, made = KeyPair.generate(), events.GENESIS, []
    for seq in range(1, count + 1):
        made.append(events.make(keys, origin=CENTER, seq=seq, prev_hash=prev_hash,
                                type_="record.put", record=f"profile:{seq}", payload=LARGE))
        prev_hash = made[-1]["hash"]
    return made


def test_a_nodes_outbox_keeps_large_events_in_place(tmp_path):
    store.bind(tmp_path)
    with node_database.connection_context():
        outbox.insert_events(signed(50))
        assert overflow_pages(node_database, "outbox_event") == 0


def test_the_hubs_event_table_keeps_large_events_in_place(tmp_path):
    database = hub_db.bind(f"sqlite:///{tmp_path / 'hub.db'}")
    with database.connection_context():
        Event.insert_many([{**{k: e[k] for k in ("origin", "seq", "type", "record",
                                                 "created_at", "prev_hash", "hash", "key_id",
                                                 "sig")},
                            "payload": str(e["payload"]), "received_ms": 0, "state": "applied"}
                           for e in signed(50)]).execute()
        assert overflow_pages(database, "event") == 0
