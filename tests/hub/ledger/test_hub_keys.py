"""The hub's key rotation survives a crash between writing the new key and committing its
record: the next start keeps the key whose record committed, and only that one."""
from __future__ import annotations

from hub import db as hub_db
from hub.identity import KEY_FILE, NEXT_KEY_FILE, load_or_create_key
from hub.ledger import hub_keys
from hub.models import HubKey
from sync.hub_rotation import follow
from sync.signing import KeyPair


def bound(tmp_path):
    return hub_db.bind(f"sqlite:///{tmp_path / 'hub.db'}")


def test_a_rotation_chains_from_the_first_key(tmp_path):
    database = bound(tmp_path)
    first = load_or_create_key(tmp_path)
    one = hub_keys.rotate(tmp_path, now_ms=1)
    two = hub_keys.rotate(tmp_path, now_ms=2)
    assert KeyPair.load(tmp_path / KEY_FILE).key_id == two["key_id"]
    key, _ = follow(first.public, hub_keys.rotations_since(first.key_id, two["key_id"]))
    assert key.key_id == two["key_id"]
    assert [r["key_id"] for r in hub_keys.rotations_since(one["key_id"], two["key_id"])] \
        == [two["key_id"]]
    assert not (tmp_path / NEXT_KEY_FILE).exists()
    database.close()


def test_a_crash_before_the_record_committed_keeps_the_old_key(tmp_path):
    database = bound(tmp_path)
    old = load_or_create_key(tmp_path)
    KeyPair.generate().save(tmp_path / NEXT_KEY_FILE)  # written, then the process died
    hub_keys.finish_rotation(tmp_path)
    assert KeyPair.load(tmp_path / KEY_FILE).key_id == old.key_id
    assert not (tmp_path / NEXT_KEY_FILE).exists()
    database.close()


def test_a_crash_after_the_record_committed_keeps_the_new_key(tmp_path):
    database = bound(tmp_path)
    load_or_create_key(tmp_path)
    new = KeyPair.generate()
    new.save(tmp_path / NEXT_KEY_FILE)
    HubKey.create(key_id=new.key_id, public_key=new.public.b64, created_ms=1,
                  previous_key_id="x" * 16)  # committed, then the process died
    hub_keys.finish_rotation(tmp_path)
    assert KeyPair.load(tmp_path / KEY_FILE).key_id == new.key_id
    assert not (tmp_path / NEXT_KEY_FILE).exists()
    database.close()
