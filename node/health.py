"""A node's heartbeat checks: database, signing key, and a recent successful sync."""
from __future__ import annotations

from flask import current_app

from node import store
from node.models import database
from sync import envelope as env


def _database() -> bool:
    database.execute_sql("SELECT 1")
    return True


def _signing_key() -> bool:
    keys = store.load_keys(current_app.config["HALLSYNC"]["data_dir"])
    return keys.key_id == store.state().key_id


def _recent_sync() -> bool:
    """Synced within three heartbeat intervals (a node offline longer shows red)."""
    last = store.state().last_sync_ok_ms
    window_ms = 3 * current_app.config["HALLSYNC"]["heartbeat_interval_s"] * 1000
    return last is not None and env.now_ms() - last <= window_ms


CHECKS = {"database": _database, "signing_key": _signing_key, "recent_sync": _recent_sync}
