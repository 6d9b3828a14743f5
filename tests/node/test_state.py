"""The node's sync state as ``store.state`` reads it and ``store.update_state`` writes it,
and a case's row as ``sync.database.get_by_key`` reads it (plain SQL, made once): the same
row peewee reads, typed as peewee types it, clean to save, and NOT_ENROLLED before
enrollment."""
from __future__ import annotations

import pytest

from node import store
from node.models import Case, NodeState, database
from sync.database import get_by_key
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


def test_update_state_writes_what_peewee_would_and_refuses_unknown_fields(bound):
    NodeState.create(center="210102001", hub_url="http://127.0.0.1:1", hub_key="k" * 64,
                     hub_key_id="h1", key_id="n1", acked_seq=7, acked_hash="a" * 64,
                     enrolled_ms=1, needs_recovery=True)
    store.update_state(acked_seq=9, acked_hash="b" * 64, needs_recovery=False, last_error="")
    row = NodeState.get_by_id(1)
    assert (row.acked_seq, row.acked_hash, row.needs_recovery, row.last_error) == \
        (9, "b" * 64, False, "")
    assert row.center == "210102001" and row.pull_cursor == 0  # the rest as it was

    store.update_state(pull_cursor=3)  # another set of fields: its own statement
    assert store.state().pull_cursor == 3 and store.state().acked_seq == 9

    with pytest.raises(KeyError):
        store.update_state(acked_sequence=1)
    assert store.state().acked_seq == 9


def test_a_row_read_by_its_key_is_the_row_peewee_reads(bound):
    assert get_by_key(Case, "nothing") is None
    Case.create(number="210102001-20261207-0001", matter_code="0010100001", matter="{}",
                applicant_kind="person", applicant_name="张三", applicant_id="1" * 18,
                applicant_phone="13800000000", green_channel=True, state="accepted",
                received_at="2026-12-07T09:00:00+08:00", promised_date="2026-12-11",
                received="{}", collected_by="210102001", owner="210102")
    read = get_by_key(Case, "210102001-20261207-0001")
    assert read.__data__ == Case.get_by_id("210102001-20261207-0001").__data__
    assert read.green_channel is True and read.promised_provisional is False
    assert read.decided_at is None and not read.dirty_fields

    read.state = "decided"
    read.save()  # only what changed is written
    again = Case.get_by_id("210102001-20261207-0001")
    assert (again.state, again.owner, again.green_channel) == ("decided", "210102", True)
