"""Open handoffs at the hub: a page and ``/api/handoffs``, per handling center.

Hub operators and auditors see every handoff; a district admin those its
district collects or handles. The alerts (not taken over in time, near or
past the promised day) are the same list ``/coverage`` shows.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from hub import handoffs
from hub.alerts import open_alerts
from hub.staff import visible
from node.auth import requires

bp = Blueprint("handoff_pages", __name__)
KINDS = ("handoff_unacked", "handoff_due")


def _view() -> dict:
    within = visible()
    open_ = handoffs.pending(within)
    by_target: dict[str, dict] = {}
    for h in open_:
        counts = by_target.setdefault(h["target"], {"target": h["target"],
                                                    "name": h["target_name"],
                                                    "sent": 0, "taken": 0})
        counts[h["handoff"]] += 1
    alerts = [a for a in open_alerts() if a["kind"] in KINDS and a["center"] in within]
    return {"handoffs": open_, "by_target": sorted(by_target.values(),
                                                    key=lambda c: -c["sent"] - c["taken"]),
            "alerts": alerts}


@bp.get("/handoffs")
@requires()
def handoff_page():
    """Open handoffs, per handling center, with the handoff alerts."""
    return render_template("handoffs.html", **_view())


@bp.get("/api/handoffs")
@requires()
def handoff_json():
    """The same as JSON."""
    return jsonify(_view())
