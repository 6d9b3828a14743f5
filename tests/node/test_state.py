"""The node's sync state as ``store.state`` reads it (plain SQL, made once): the same row
peewee reads, typed as peewee types it, clean to save, and NOT_ENROLLED before enrollment."""
from __future__ import annotations

import pytest

from node import store
from node.models import NodeState, database
from sync.errors import Code, HallsyncError


@pytest.fixture
def bound(tmp_path):
    store.bind(tmp_path / "node")
    yield
    database.close()


def test_the_state_is_the_row_peewee_reads(bound):
    with pytest.raises(HallsyncError) as refused:
        store.state()
    assert refused.value.code == Code.NOT_ENROLLED and refused.value.status == 409

    NodeState.create(center="210102001", hub_url="http://127.0.0.1:1", hub_key="k" * 64,
                     hub_key_id="h1", key_id="n1", acked_seq=7, acked_hash="a" * 64,
                     enrolled_ms=1, needs_recovery=True)
    read = store.state()
    assert read.__data__ == NodeState.get_by_id(1).__data__
    assert read.needs_recovery is True and read.last_sync_ok_ms is None and read.acked_seq == 7
    assert not read.dirty_fields

    read.last_error = "hub down"
    read.save()  # only what changed is written
    assert store.state().last_error == "hub down" and store.state().acked_seq == 7
