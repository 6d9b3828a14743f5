"""``GET /__heartbeat__`` of a node: database, signing key, and a recent successful sync."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from node import store
from node.auth import public
from node.models import database
from sync import envelope as env

bp = Blueprint("health", __name__)


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


def report(checks: dict):
    """Run each registered check: 200 when all pass, else 503 with the map (hub and node)."""
    results = {}
    for name, check in checks.items():
        try:
            results[name] = bool(check())
        except Exception:  # noqa: BLE001 — a failing check is the answer, not an error
            results[name] = False
    return jsonify(results), 200 if all(results.values()) else 503


@bp.get("/__heartbeat__")
@public
def heartbeat():
    return report(CHECKS)
