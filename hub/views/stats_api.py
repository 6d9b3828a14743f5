"""``/api/stats``: a center's case figures for a period, the previous one, its children;
and ``/api/openapi.json``, the hub's API described (``hub/openapi.json``).

Any hub login reads the figures; a district admin only its own district's.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, jsonify, request

from hub.staff import scoped_center
from hub.stats.figures import report
from hub.stats.periods import period_from
from web.auth import public, requires
from sync.case_clock import china_today

bp = Blueprint("stats_api", __name__)
OPENAPI = Path(__file__).resolve().parent.parent / "openapi.json"


@bp.get("/api/stats")
@requires()
def view():
    """``?center=&period=&date=`` or ``&start=&end=``, optional ``department=`` / ``matter=``
    (default center: the login's scope, the city or its district)."""
    today = china_today()
    center = scoped_center(request.args)
    return jsonify(report(center, period_from(request.args, today),
                          department=request.args.get("department") or None,
                          matter=request.args.get("matter") or None, today=today))


@bp.get("/api/openapi.json")
@public
def openapi():
    """The hub's OpenAPI document, as written."""
    return Response(OPENAPI.read_bytes(), mimetype="application/json")
