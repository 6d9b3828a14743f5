"""``/api/coverage``: the coverage view and the open alerts, as JSON.

Any hub login reads them; a district admin sees its district and streets only.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from hub.coverage.alerts import open_alerts
from hub.coverage.centers import coverage
from hub.staff import visible
from sync import envelope as env
from web.auth import current_user, requires

bp = Blueprint("coverage_api", __name__, url_prefix="/api/coverage")


@bp.get("")
@requires()
def view():
    """Every center with its colour and reasons, the share online per level, the tree."""
    return jsonify(coverage(env.now_ms(), current_app.config["HALLSYNC"],
                            root=current_user().center))


@bp.get("/alerts")
@requires()
def alerts():
    """The open alerts, oldest first, with when each began."""
    within = visible()
    return jsonify({"alerts": [a for a in open_alerts() if a["center"] in within]})
