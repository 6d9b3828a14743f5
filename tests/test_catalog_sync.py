"""Catalog versions reach every node in order, signed, exactly once, through real servers."""
from __future__ import annotations

import orjson
import pytest

from hub import db as hub_db
from hub.catalog import authority as hub_catalog
from hub.identity import load_or_create_key
from hub.ledger.stream import message_signing_bytes
from hub.models import HubMessage
from node import store
from node.catalog import apply_version
from node.models import CatalogMatter, NodeState, RefusedMessage
from sync import codec
from sync.catalog_changes import sign_version
from sync.errors import SequenceError
from sync.signing import KeyPair, b64
from tests.catalog_changes import CHANGES, change, matter, write

A = "210102001"


@pytest.fixture
def synced_node(hub, make_node):
    node = make_node(A)
    node.enroll(hub)
    assert node.sync()["errors"] == []
    status = node.status()
    assert (status["catalog_version"], status["catalog_matters"]) == (1, 106)
    return node


def node_matter(node, code: str) -> tuple[str, dict]:
    store.bind(node.data_dir)
    row = CatalogMatter.get(CatalogMatter.code == code)
    return row.status, orjson.loads(row.data)


@pytest.mark.parametrize("op, code, status, check", [
    ("cancel", "SY01006", "cancelled", None),
    ("convert", "SY02006", "converted", None),
    ("devolve", "SY01011", "in_force", lambda m: m["levels"] == ["district"]),
    ("merge", "SY03006", "merged", None),
])
def test_each_operation_reaches_the_node(hub, synced_node, tmp_path, op, code, status, check):
    hub.cli("catalog", "apply", write(tmp_path, op, CHANGES[op]))
    moved = synced_node.sync()
    assert moved["errors"] == [] and moved["pulled"] == 1
    got_status, data = node_matter(synced_node, code)
    assert got_status == status and data["version"] in (1, 2)
    if check:
        assert check(data)
    if op == "merge":
        assert node_matter(synced_node, "SY03001")[1]["name"] == "合并后的事项（测试）"
    assert synced_node.status()["catalog_version"] == 2


def test_a_node_offline_for_50_versions_catches_up_in_one_cycle(hub, synced_node):
    database = hub_db.bind(hub.db_url)
    keys = load_or_create_key(hub.data_dir)
    days = matter("SY04001")["promised_limit_days"]
    for i in range(50):  # fifty amendments while the node is away
        hub_catalog.apply_change(change("amend", matters=[
            {**matter("SY04001"), "promised_limit_days": days - (i % 2)}]), keys=keys)
    database.close()
    moved = synced_node.sync()
    assert moved["errors"] == [] and moved["pulled"] == 50
    assert synced_node.status()["catalog_version"] == 51
    assert node_matter(synced_node, "SY04001")[1]["promised_limit_days"] == days - 1


def test_a_version_with_a_bad_hub_signature_is_refused_and_recorded(hub, synced_node, tmp_path):
    hub.cli("catalog", "apply", write(tmp_path, "cancel", CHANGES["cancel"]))
    database = hub_db.bind(hub.db_url)
    message = HubMessage.select().order_by(HubMessage.id.desc()).get()
    forged = sign_version({**orjson.loads(message.payload), "reason": "伪造"},
                          KeyPair.generate())  # not the hub's key …
    payload = codec.canonical(forged)
    sig = load_or_create_key(hub.data_dir).sign(message_signing_bytes(
        message.id, message.recipient, message.type, message.created_at, payload))
    HubMessage.update(payload=payload.decode(), sig=b64(sig)).where(  # … in a valid message
        HubMessage.id == message.id).execute()
    database.close()
    result = synced_node.sync(check=False)
    assert result.returncode == 1 and "SIGNATURE_INVALID" in result.stdout
    store.bind(synced_node.data_dir)
    refused = RefusedMessage.get(RefusedMessage.id == message.id)
    assert refused.code == "SIGNATURE_INVALID" and refused.type == "catalog.version"
    assert NodeState.get().catalog_version == 1
    assert NodeState.get().pull_cursor < message.id  # the stream waits on it
    assert CatalogMatter.get(CatalogMatter.code == "SY01006").status == "in_force"


def test_versions_apply_in_order_whatever_the_delivery(hub, synced_node, tmp_path):
    database = hub_db.bind(hub.db_url)
    keys = load_or_create_key(hub.data_dir)
    v2 = hub_catalog.apply_change(CHANGES["cancel"], keys=keys)
    v3 = hub_catalog.apply_change(CHANGES["convert"], keys=keys)
    database.close()
    store.bind(synced_node.data_dir)
    with pytest.raises(SequenceError) as info:  # v3 before v2
        apply_version({"payload": v3}, None)
    assert info.value.extra["expected_seq"] == 2
    assert NodeState.get().catalog_version == 1
    assert apply_version({"payload": v2}, None).startswith("catalog v2")
    assert apply_version({"payload": v2}, None) == "catalog v2 already applied"  # a duplicate
    apply_version({"payload": v3}, None)
    assert NodeState.get().catalog_version == 3
    statuses = dict(CatalogMatter.select(CatalogMatter.code, CatalogMatter.status).where(
        CatalogMatter.code.in_(["SY01006", "SY02006"])).tuples())
    assert statuses == {"SY01006": "cancelled", "SY02006": "converted"}
    assert synced_node.sync()["errors"] == []  # the stream then re-delivers both: no-ops
    assert synced_node.status()["catalog_version"] == 3
