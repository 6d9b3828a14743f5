"""``GET /__heartbeat__``: each part of a site registers a check; 200 when all pass, else 503.

The hub's coverage monitor and load balancers read this, not log lines.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, jsonify

from web.auth import public


def report(checks: dict[str, Callable[[], bool]]):
    """Run each check: 200 when all pass, else 503 with the per-check map."""
    results = {}
    for name, check in checks.items():
        try:
            results[name] = bool(check())
        except Exception:  # noqa: BLE001 — a failing check is the answer, not an error
            results[name] = False
    return jsonify(results), 200 if all(results.values()) else 503


def init_app(app: Flask, checks: dict[str, Callable[[], bool]]) -> None:
    """Serve ``/__heartbeat__`` with ``checks`` (the site's registry)."""
    bp = Blueprint("health", __name__)

    @bp.get("/__heartbeat__")
    @public  # load balancers and monitors ask without a login
    def heartbeat():
        return report(checks)

    app.register_blueprint(bp)
