"""``/api/coverage``: the coverage view and the open alerts, as JSON.

Read-only and, for now, open to anyone who can reach the hub: access control
(operators, district admins seeing their streets) arrives with the roles work.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from hub.alerts import open_alerts
from hub.coverage import coverage
from sync import envelope as env

bp = Blueprint("coverage_api", __name__, url_prefix="/api/coverage")


@bp.get("")
def view():
    """Every center with its colour and reasons, the share online per level, the tree."""
    return jsonify(coverage(env.now_ms(), current_app.config["HALLSYNC"]))


@bp.get("/alerts")
def alerts():
    """The open alerts, oldest first, with when each began."""
    return jsonify({"alerts": open_alerts()})
