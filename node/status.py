"""The node's sync status: a page for the center's staff and the same as JSON."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from node import catalog, outbox, store
from node.models import Notice
from web.auth import requires

bp = Blueprint("status", __name__)


def status() -> dict:
    """Center, last seq, acked seq, backlog, last sync, last error."""
    state = store.state()
    last_seq, _ = outbox.last()
    return {"center": state.center, "hub_url": state.hub_url, "key_id": state.key_id,
            "last_seq": last_seq, "acked_seq": state.acked_seq, "backlog": last_seq - state.acked_seq,
            "pull_cursor": state.pull_cursor, "catalog_version": state.catalog_version,
            "catalog_matters": catalog.summary()["matters"],
            "last_sync_ok_ms": state.last_sync_ok_ms, "last_error": state.last_error,
            "needs_recovery": state.needs_recovery}


@bp.get("/api/status")
@requires()
def status_json():
    return jsonify(status())


@bp.get("/")
@requires()
def status_page():
    notices = Notice.select().order_by(Notice.message_id.desc()).limit(20)
    return render_template("status/index.html", s=status(), notices=notices)
