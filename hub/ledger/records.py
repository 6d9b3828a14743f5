"""The generic owned-record store: ``record.put`` and ``record.delete`` events.

Ownership itself is checked in ``hub.ledger.apply`` before these run, so a handler
only writes; the record keeps its owner after deletion (a tombstone), so
no other center can take over its name.
"""
from __future__ import annotations

import orjson

from hub.ledger.registry import handles
from hub.models import RecordData, database
from sync.database import insert_rows


@handles("record.put")
def put_records(events: list[dict]) -> None:
    rows = [(e["record"], orjson.dumps(e["payload"]["data"]).decode("utf-8"), e["seq"])
            for e in events]
    insert_rows(database.obj, "record_data", ("record", "data", "origin_seq"), rows,
                suffix="ON CONFLICT (record) DO UPDATE SET data = excluded.data, "
                       "origin_seq = excluded.origin_seq")


@handles("record.delete")
def delete_records(events: list[dict]) -> None:
    records = [e["record"] for e in events]
    RecordData.delete().where(RecordData.record.in_(records)).execute()
