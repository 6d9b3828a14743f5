"""A center's local tables, in one SQLite file (WAL) in the node's data directory."""
from __future__ import annotations

from peewee import (BigIntegerField, BooleanField, CharField, DatabaseProxy, IntegerField,
                    Model, TextField)

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class NodeState(BaseModel):
    """The node's one row of sync state."""

    id = IntegerField(primary_key=True, default=1)
    center = CharField(max_length=16)
    hub_url = CharField()
    hub_key = CharField(max_length=64)      # pinned at enrollment
    hub_key_id = CharField(max_length=16)
    key_id = CharField(max_length=16)       # our current key
    acked_seq = BigIntegerField(default=0)  # the hub holds every event up to here
    acked_hash = CharField(max_length=64)
    pull_cursor = BigIntegerField(default=0)  # exclusive: last message applied
    last_sync_ok_ms = BigIntegerField(null=True)
    last_error = TextField(default="")
    needs_recovery = BooleanField(default=False)
    enrolled_ms = BigIntegerField()
    catalog_version = IntegerField(default=0)  # the last catalog version applied, in order


class OutboxEvent(BaseModel):
    """Every change made at this center, in seq order; never deleted (it is the record)."""

    seq = BigIntegerField(primary_key=True)
    type = CharField(max_length=64)
    record = CharField(max_length=128, default="")
    created_at = CharField(max_length=32)
    payload = TextField()  # canonical JSON, exactly the bytes that were hashed
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)
    key_id = CharField(max_length=16)
    sig = CharField(max_length=128)

    class Meta:
        without_rowid = True


class KnownKey(BaseModel):
    """Public keys this node can verify with: its own (all of them) and others' as learned."""

    key_id = CharField(primary_key=True, max_length=16)
    center = CharField(max_length=16)
    public_key = CharField(max_length=64)
    revoked = BooleanField(default=False)


class InboxMessage(BaseModel):
    """Each message applied from the hub's stream (its id is unique: applied once)."""

    id = BigIntegerField(primary_key=True)
    type = CharField(max_length=64)
    created_at = CharField(max_length=32)
    applied_ms = BigIntegerField()
    outcome = TextField(default="")


class Notice(BaseModel):
    """A notice from the hub, shown to the center's staff."""

    message_id = BigIntegerField(primary_key=True)
    title = CharField()
    body = TextField()
    created_at = CharField(max_length=32)


class HubSetting(BaseModel):
    """A node setting the hub set remotely (overrides the local default)."""

    name = CharField(primary_key=True, max_length=64)
    value = TextField()  # JSON
    message_id = BigIntegerField()


class LocalRecord(BaseModel):
    """Records this center owns, written with ``record.put``."""

    record = CharField(primary_key=True, max_length=128)
    data = TextField()


class CatalogMatter(BaseModel):
    """The matters of the catalog version this node runs (and those that left it)."""

    code = CharField(primary_key=True, max_length=10)
    name = CharField(max_length=200)  # a column of its own so search can use it
    department = CharField(max_length=32, index=True)
    data = TextField()  # canonical JSON (sync.catalog_schema)
    status = CharField(max_length=12, index=True)  # in_force | cancelled | merged | converted
    version = IntegerField()


class RefusedMessage(BaseModel):
    """A message from the hub's stream this node refused (the stream waits on it)."""

    id = BigIntegerField(primary_key=True)
    type = CharField(max_length=64)
    code = CharField(max_length=32)
    detail = TextField()
    at_ms = BigIntegerField()


MODELS = (NodeState, OutboxEvent, KnownKey, InboxMessage, Notice, HubSetting, LocalRecord,
          CatalogMatter, RefusedMessage)
