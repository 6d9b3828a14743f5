"""The spine end to end through real processes: enroll, push, pull, heartbeat,
rotate, revoke, and both kinds of restore from an older backup."""
from __future__ import annotations

import shutil

from hub import db as hub_db
from hub.models import CenterState, Event, MessageReceipt, NodeKey
from node import records, store
from node.models import HubSetting, Notice
from tests.conftest import pg_admin
from tests.processes import hallsync, last_json

A, B = "210102001", "210103001"


def write(node_dir, count: int, prefix: str = "profile") -> None:
    """Make ``count`` changes at a node, each with its event, as its clerks would."""
    store.bind(node_dir.data_dir)
    keys = store.load_keys(node_dir.data_dir)
    for i in range(count):
        records.put(keys, node_dir.center, f"{prefix}:{i}", {"windows": i, "名称": "窗口"})


def hub_events(hub, origin: str) -> list[int]:
    database = hub_db.bind(hub.db_url)
    seqs = [s for (s,) in Event.select(Event.seq).where(Event.origin == origin)
            .order_by(Event.seq).tuples()]
    database.close()
    return seqs


def test_enroll_push_pull_heartbeat(hub, make_node):
    node = make_node(A)
    enrolled = node.enroll(hub)
    assert enrolled["center"] == A and enrolled["hub_head_seq"] == 0
    write(node, 5)
    hub.cli("notice", "系统升级通知", "本周六 9:00–12:00 暂停同步")
    hub.cli("set", A, "push_interval_s=20", "bogus=1")
    moved = node.sync()
    # pulled: catalog and calendar versions 1, the notice, the settings; pushed: 5 changes,
    # 4 receipts
    assert moved["pushed"] == 9 and moved["pulled"] == 4 and moved["heartbeat"]
    assert moved["errors"] == []
    assert hub_events(hub, A) == list(range(1, 10))
    status = node.status()
    assert status["acked_seq"] == status["last_seq"] == 9 and status["backlog"] == 0
    store.bind(node.data_dir)
    assert Notice.get().title == "系统升级通知"
    assert HubSetting.get(HubSetting.name == "push_interval_s").value == "20.0"
    database = hub_db.bind(hub.db_url)
    assert MessageReceipt.select().where(MessageReceipt.center == A).count() == 4
    state = CenterState.get(CenterState.code == A)
    assert state.node_last_seq == 9 and state.last_contact_ms
    assert (state.catalog_version, state.calendar_version) == (1, 1)
    database.close()
    hub_status = last_json(hub.cli("status", "--json"))
    assert hub_status["centers_enrolled"] == 1 and hub_status["events_held"] == 9
    assert (hub_status["catalog_version"], hub_status["calendar_version"]) == (1, 1)


def test_a_pull_message_is_applied_once_even_if_pulled_again(hub, make_node):
    node = make_node(A)
    node.enroll(hub)
    hub.cli("notice", "通知", "一次")
    node.sync()
    store.bind(node.data_dir)
    from node.models import NodeState
    NodeState.update(pull_cursor=0).execute()  # as if the cursor write were lost
    moved = node.sync()
    assert moved["pulled"] == 3  # catalog and calendar versions 1, the notice, again …
    assert Notice.select().count() == 1  # … and applied once
    assert node.status()["catalog_version"] == 1


def test_token_is_one_time_and_key_rotation_keeps_history(hub, make_node):
    node = make_node(A)
    token = hub.token(A)
    hallsync("node", "enroll", "--hub", hub.url, "--token", token, "--data-dir", node.data_dir)
    again = hallsync("node", "enroll", "--hub", hub.url, "--token", token, "--data-dir",
                     node.data_dir + "-2" if isinstance(node.data_dir, str) else
                     node.data_dir.with_name("again"), check=False)
    assert again.returncode == 2 and "TOKEN_USED" in again.stderr
    write(node, 2)
    assert node.sync()["pushed"] == 4  # two changes, the receipts of catalog and calendar v1
    rotated = last_json(hallsync("node", "rotate-key", "--data-dir", node.data_dir, "--json"))
    write(node, 2, prefix="after")
    assert node.sync()["pushed"] == 2
    database = hub_db.bind(hub.db_url)
    keys = {k.key_id: k for k in NodeKey.select().where(NodeKey.center == A)}
    assert keys[rotated["old_key_id"]].retired_ms and keys[rotated["key_id"]].previous_key_id
    database.close()
    audit = last_json(hallsync("audit", "verify", "--data-dir", hub.data_dir, "--db",
                               hub.db_url, "--json"))
    assert audit == {"intact": True, "centers": 1, "events": 6, "first_bad": None}


def test_revoked_node_is_refused_then_re_enrolls(hub, make_node):
    node, other = make_node(A), make_node(B)
    node.enroll(hub)
    other.enroll(hub)
    other.sync()
    write(node, 1)
    node.sync()  # its change and the receipts of catalog and calendar versions 1
    hub.cli("revoke", A)
    write(node, 1, prefix="later")
    result = node.sync(check=False)
    assert result.returncode == 1 and "KEY_REVOKED" in result.stdout
    assert other.sync()["pulled"] == 1  # everyone learns of the revocation
    node.enroll(hub)  # a new token, a new key; the chain goes on
    moved = node.sync()
    assert moved["pulled"] == 1  # it too learns its old key was revoked …
    assert moved["pushed"] == 2  # … and sends its change and that receipt
    assert hub_events(hub, A) == [1, 2, 3, 4, 5]


def backup_hub(hub, tmp_path):
    """Copy the stopped hub's data: its directory, and its PostgreSQL database if any."""
    shutil.copytree(hub.data_dir, tmp_path / "hub-backup")
    if hub.db_url.startswith("postgresql"):
        with pg_admin() as cur:
            cur.execute(f'CREATE DATABASE "{pg_name(hub)}_bak" TEMPLATE "{pg_name(hub)}"')


def restore_hub(hub, tmp_path):
    shutil.rmtree(hub.data_dir)
    shutil.copytree(tmp_path / "hub-backup", hub.data_dir)
    if hub.db_url.startswith("postgresql"):
        with pg_admin() as cur:
            cur.execute(f'DROP DATABASE "{pg_name(hub)}"')
            cur.execute(f'CREATE DATABASE "{pg_name(hub)}" TEMPLATE "{pg_name(hub)}_bak"')
            cur.execute(f'DROP DATABASE "{pg_name(hub)}_bak"')


def pg_name(hub) -> str:
    return hub.db_url.rsplit("/", 1)[1]


def test_hub_restored_from_an_older_backup_gets_the_events_again(hub, make_node, tmp_path):
    node = make_node(A)
    node.enroll(hub)
    write(node, 3)
    node.sync()  # 1–3 the changes, 4–5 the receipts of catalog and calendar versions 1
    hub.stop()
    backup_hub(hub, tmp_path)
    hub.start()
    write(node, 4, prefix="more")
    assert node.sync()["acked_seq"] == 9
    hub.stop()
    restore_hub(hub, tmp_path)  # the hub loses events 6–9 it had acknowledged
    hub.start()
    assert hub_events(hub, A) == [1, 2, 3, 4, 5]
    moved = node.sync()
    assert moved["errors"] == [] and moved["acked_seq"] == 9
    assert hub_events(hub, A) == list(range(1, 10))


def test_node_restored_from_an_older_backup_recovers_without_reusing_seqs(hub, make_node,
                                                                          tmp_path):
    node = make_node(A)
    node.enroll(hub)
    write(node, 3)
    node.sync()  # 1–3 the changes, 4–5 the receipts of catalog and calendar versions 1
    backup = tmp_path / "node-backup"
    shutil.copytree(node.data_dir, backup)
    write(node, 2, prefix="lost")
    node.sync()  # hub now holds 1–7
    shutil.rmtree(node.data_dir)
    shutil.copytree(backup, node.data_dir)  # the node forgets 6–7
    write(node, 2, prefix="new")  # and writes its own 6', 7'
    result = node.sync(check=False)
    assert result.returncode == 1 and "NODE_DIVERGED" in result.stdout
    assert node.status()["needs_recovery"] is True
    database = hub_db.bind(hub.db_url)
    assert CenterState.get(CenterState.code == A).needs_recovery
    database.close()
    recovered = last_json(hallsync("node", "recover", "--data-dir", node.data_dir, "--json"))
    assert recovered == {"restored": 2, "rebased": 2, "head_seq": 7}
    moved = node.sync()
    assert moved["errors"] == [] and moved["acked_seq"] == 9
    assert hub_events(hub, A) == list(range(1, 10))
    for data_dir in (node.data_dir, hub.data_dir):
        args = ["audit", "verify", "--data-dir", data_dir, "--json"]
        if data_dir == hub.data_dir:
            args += ["--db", hub.db_url]
        assert last_json(hallsync(*args))["intact"] is True
    store.bind(node.data_dir)
    from node.models import LocalRecord
    assert LocalRecord.get_or_none(LocalRecord.record == "lost:1") is not None
