"""Point 11 of issue 13: the hub's own key rotates, and every node follows without
re-enrolling — one that was online, one that slept through two rotations — while a
rotation the node's pinned key did not endorse is refused. Real hub and node processes."""
from __future__ import annotations

import pytest

from hub import db as hub_db
from hub.ledger import stream
from hub.models import HubKey
from node import store
from node.models import Notice
from sync.hub_rotation import rotation_bytes
from sync.signing import KeyPair, b64
from tests.processes import hallsync, last_json

A, B = "210102001", "210102002"
pytestmark = pytest.mark.parametrize("hub_db_url", ["sqlite", "postgresql"], indirect=True)


def hub_key_id(hub) -> str:
    return KeyPair.load(hub.data_dir / "hub.key").key_id


def rotate(hub) -> dict:
    return last_json(hub.cli("key", "rotate", "--json"))


def notice(hub, title: str) -> None:
    """A notice published with the hub's key of this moment (it keeps that signature)."""
    database = hub_db.bind(hub.db_url)
    stream.publish(KeyPair.load(hub.data_dir / "hub.key"), "*", "notice",
                   {"title": title, "body": ""})
    database.close()


def notices(node) -> list[str]:
    store.bind(node.data_dir)
    titles = [n.title for n in Notice.select().order_by(Notice.message_id)]
    store.database.close()
    return titles


def test_nodes_follow_the_hubs_rotations_online_and_after_sleeping(hub, make_node):
    awake, asleep = make_node(A), make_node(B)
    first = hub_key_id(hub)
    for node in (awake, asleep):
        node.enroll(hub)
        node.sync()
    notice(hub, "旧钥匙签发的通知")  # pulled only after the rotation

    one = rotate(hub)  # the running hub signs with the new key from its next reply
    assert one["old_key_id"] == first and one["key_id"] == hub_key_id(hub) != first
    moved = awake.sync()
    assert not moved["errors"] and moved["pulled"] >= 1
    assert "旧钥匙签发的通知" in notices(awake)

    notice(hub, "第一次轮换后的通知")
    two = rotate(hub)
    assert two["old_key_id"] == one["key_id"]
    awake.sync()
    moved = asleep.sync()  # it slept through both: follows first → one → two
    assert not moved["errors"], moved
    assert {"旧钥匙签发的通知", "第一次轮换后的通知"} <= set(notices(asleep))
    for node in (awake, asleep):
        store.bind(node.data_dir)
        assert store.state().hub_key_id == two["key_id"]
        store.database.close()

    token = hub.cli("enroll-token", "210102003").stdout.strip().splitlines()[-1]
    assert token.split(".")[1] == two["key_id"]  # new tokens name the new key


def test_a_rotation_the_pinned_key_did_not_endorse_is_refused(hub, make_node):
    node = make_node(A)
    node.enroll(hub)
    node.sync()
    pinned = hub_key_id(hub)
    rotated = rotate(hub)
    # A forger (or a stolen database) rewrites the rotation: endorsed by a key of its own.
    forger = KeyPair.generate()
    database = hub_db.bind(hub.db_url)
    row = HubKey.get(HubKey.key_id == rotated["key_id"])
    forged = b64(forger.sign(rotation_bytes(pinned, row.public_key)))
    HubKey.update(endorsement=forged).where(HubKey.key_id == row.key_id).execute()
    database.close()

    result = node.sync(check=False)
    assert result.returncode == 1
    moved = last_json(result)
    assert any("REPLY_INVALID" in e and "not signed by" in e for e in moved["errors"]), moved
    store.bind(node.data_dir)
    assert store.state().hub_key_id == pinned  # the pin did not move
    store.database.close()


def test_an_old_token_is_refused_after_a_rotation(hub, make_node):
    token = hub.token(A)
    rotate(hub)
    result = hallsync("node", "enroll", "--hub", hub.url, "--token", token, "--data-dir",
                      make_node(A).data_dir, check=False)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: REPLY_INVALID: ") and "TOKEN_EXPIRED" in last, last
    assert "make a new token" in last
