"""Open handoffs at the hub: a page and ``/api/handoffs``, per handling center.

Hub operators and auditors see every handoff; a district admin those its
district collects or handles. Joint approvals waiting on a department at
another center (并联审批) are listed too, with the handling and consulted center.
The alerts (not taken over in time, near or past the promised day, opinions
owed near or past their deadline) are the same list ``/coverage`` shows.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from hub.cases import handoffs, parallel
from hub.coverage.alerts import open_alerts
from hub.staff import visible
from sync.case_handoffs import HANDOFF_SENT, HANDOFF_TAKEN
from sync.topology import load_topology
from web.auth import requires

bp = Blueprint("handoff_pages", __name__)
KINDS = ("handoff_unacked", "handoff_due", "consult_due")


def _view() -> dict:
    within = visible()
    open_ = handoffs.pending(within)
    by_target: dict[str, dict] = {}
    for h in open_:
        counts = by_target.setdefault(h["target"], {"target": h["target"],
                                                    "name": h["target_name"],
                                                    HANDOFF_SENT: 0, HANDOFF_TAKEN: 0})
        counts[h["handoff"]] += 1
    alerts = [a for a in open_alerts() if a["kind"] in KINDS and a["center"] in within]
    topology = load_topology()
    consultations = [{**c, "center_name": topology.name_of(c["center"]),
                      "holder_name": topology.name_of(c["holder"])}
                     for c in parallel.open_consultations(within)]
    return {"handoffs": open_,
            "by_target": sorted(by_target.values(),
                                key=lambda c: -c[HANDOFF_SENT] - c[HANDOFF_TAKEN]),
            "alerts": alerts, "consultations": consultations}


@bp.get("/handoffs")
@requires()
def handoff_page():
    """Open handoffs, per handling center, with the handoff alerts."""
    return render_template("handoffs.html", **_view(), HANDOFF_SENT=HANDOFF_SENT)


@bp.get("/api/handoffs")
@requires()
def handoff_json():
    """The same as JSON."""
    return jsonify(_view())
