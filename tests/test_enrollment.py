"""Enrollment tokens are one-time and expire; a node trusts only the hub key it pinned."""
from __future__ import annotations

import hashlib
import threading

import pytest
from werkzeug.serving import make_server

from hub import db as hub_db
from hub.app import create_app as create_hub
from hub.identity import load_or_create_key
from hub.ledger.enrollment import make_token
from hub.models import EnrollToken
from hub.models import database as hub_database
from node import store
from node.app import load_settings
from node.enroll import enroll
from node.models import NodeState
from node.syncer import Node
from sync import envelope as env
from sync.errors import AuthError, ProtocolError
from sync.signing import KeyPair

A = "210102001"


def test_an_expired_token_is_refused(hub, tmp_path):
    database = hub_db.bind(hub.db_url)
    token = make_token(A, hub_keys=load_or_create_key(hub.data_dir), ttl_s=60,
                       now_ms=env.now_ms() - 61_000)
    database.close()
    data_dir = tmp_path / "node"
    with pytest.raises(AuthError) as info:
        enroll(data_dir, hub.url, token, load_settings({"data_dir": str(data_dir)}))
    assert info.value.code.value == "TOKEN_EXPIRED"
    assert not store.key_path(data_dir).exists()  # a refused enrollment leaves no key


def test_an_impostor_hub_holding_a_stolen_token_is_not_pinned(hub, tmp_path):
    token = hub.token(A)
    impostor = create_hub({"data_dir": str(tmp_path / "impostor")})
    with hub_database.connection_context():  # the impostor learned the token somehow
        EnrollToken.create(token_hash=hashlib.sha256(token.encode()).hexdigest(), center=A,
                           created_ms=env.now_ms(), expires_ms=env.now_ms() + 60_000)
    server = make_server("127.0.0.1", 0, impostor, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    data_dir = tmp_path / "node"
    try:
        with pytest.raises(ProtocolError) as info:
            enroll(data_dir, f"http://127.0.0.1:{server.server_port}", token,
                   load_settings({"data_dir": str(data_dir)}))
    finally:
        server.shutdown()
    assert info.value.code.value == "REPLY_INVALID"  # its key is not the one the token names
    assert not store.key_path(data_dir).exists()


def test_replies_not_signed_by_the_pinned_hub_key_are_refused(hub, make_node):
    node_dir = make_node(A)
    node_dir.enroll(hub)
    store.bind(node_dir.data_dir)
    NodeState.update(hub_key=KeyPair.generate().public.b64).execute()  # pin some other hub
    node = Node(node_dir.data_dir, load_settings({"data_dir": str(node_dir.data_dir)}))
    moved = node.cycle()
    node.close()
    assert moved.errors and all("REPLY_INVALID" in e for e in moved.errors)
    assert NodeState.get().last_sync_ok_ms is None


def test_node_heartbeat_registry_reports_each_check(hub, make_node):
    from node.app import create_app
    node_dir = make_node(A)
    node_dir.enroll(hub)
    client = create_app({"data_dir": str(node_dir.data_dir)}).test_client()
    before = client.get("/__heartbeat__")
    assert before.status_code == 503
    assert before.get_json() == {"database": True, "signing_key": True, "recent_sync": False}
    node_dir.sync()
    after = client.get("/__heartbeat__")
    assert after.status_code == 200 and all(after.get_json().values())
