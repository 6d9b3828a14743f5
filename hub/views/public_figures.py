"""Public figures per center (政务公开), at the hub, no login: from the case rollups.

``/public/figures`` and ``GET /api/public/figures?period=&date=`` (or ``start=&end=``,
as ``/api/stats``; default this month): for the city and each center, its own cases
received, accepted and completed, the completion, immediate-completion and on-time
rates, the average working days and the satisfaction rate. Counts only: nothing
about any one case or person. The rollups are read in two statements (the whole
months, then the days left over: ``hub.stats.figures.sums``), whatever the period.
"""
from __future__ import annotations

import datetime

from flask import Blueprint, jsonify, render_template, request

from hub.stats.figures import derive, sums, total
from hub.stats.periods import period_from
from sync.case_clock import china_today
from sync.errors import ValidationError
from sync.topology import load_topology
from web.auth import public

bp = Blueprint("public_figures", __name__)
SHOWN = ("received", "accepted", "completed", "completion_rate", "immediate_rate",
         "on_time_rate", "average_handling_days", "satisfaction_rate", "evaluated")
LEVEL_NAMES = {"city": "市级", "subcenter": "分中心", "district": "区县", "street": "街道（乡镇）"}


def public_figures(args, today: datetime.date) -> dict:
    """The city's and each center's own figures for the period ``args`` name."""
    period = period_from(args, today)
    rows = sums(period.start, period.end)
    topology = load_topology()

    def shown(codes) -> dict:
        figures = derive(total(rows, codes))
        return {name: figures[name] for name in SHOWN}
    return {"period": {"kind": period.kind, "label": period.label(),
                       "start": period.start.isoformat(), "end": period.end.isoformat()},
            "city": shown([c.code for c in topology.centers]),
            "centers": [{"code": c.code, "name": c.name, "level": c.level,
                         "figures": shown([c.code])} for c in topology.centers]}


@bp.get("/api/public/figures")
@public
def figures_json():
    """The figures as JSON."""
    return jsonify(public_figures(request.args, china_today()))


@bp.get("/public/figures")
@public
def figures_page():
    """The figures as a table, one row per center."""
    try:
        shown, error = public_figures(request.args, china_today()), ""
    except ValidationError as exc:
        shown, error = None, exc.detail.split(": ", 1)[-1]
    return render_template("public/figures.html", shown=shown, error=error,
                           levels=LEVEL_NAMES, args=request.args), 422 if error else 200
