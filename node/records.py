"""Records this center owns (``record.put`` / ``record.delete``): the local side.

``put`` writes the record and its event in one transaction. ``LOCAL_EFFECTS``
re-applies the center's own events to local tables when ``recover`` takes
them back from the hub; each feature that keeps local state adds its own.
"""
from __future__ import annotations

from typing import Callable

import orjson

from node import outbox
from node.models import LocalRecord, database
from sync.signing import KeyPair


def _put_effect(event: dict) -> None:
    (LocalRecord.insert(record=event["record"], data=orjson.dumps(event["payload"]["data"]).decode())
     .on_conflict_replace().execute())


def _delete_effect(event: dict) -> None:
    LocalRecord.delete().where(LocalRecord.record == event["record"]).execute()


LOCAL_EFFECTS: dict[str, Callable[[dict], None]] = {
    "record.put": _put_effect,
    "record.delete": _delete_effect,
}


def put(keys: KeyPair, center: str, record: str, data: dict) -> dict:
    """Create or replace one of this center's records, with its event."""
    with database.atomic():
        event = outbox.emit(keys, center, "record.put", record, {"data": data})
        _put_effect(event)
    return event


def delete(keys: KeyPair, center: str, record: str) -> dict:
    with database.atomic():
        event = outbox.emit(keys, center, "record.delete", record, {})
        _delete_effect(event)
    return event
