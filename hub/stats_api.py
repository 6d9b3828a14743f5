"""``/api/stats``: a center's case figures for a period, the previous one, its children;
and ``/api/openapi.json``, the hub's API described (``hub/openapi.json``).

Any hub login reads the figures; a district admin only its own district's.
"""
from __future__ import annotations

import datetime
from pathlib import Path

from flask import Blueprint, Response, jsonify, request

from hub.periods import Period
from hub.staff import require_scope
from hub.stats import report
from node.auth import current_user, public, requires
from sync.errors import ValidationError

bp = Blueprint("stats_api", __name__)
OPENAPI = Path(__file__).resolve().parent / "openapi.json"


def _day(args, *names: str) -> datetime.date | None:
    for name in names:
        raw = args.get(name)
        if raw:
            try:
                return datetime.date.fromisoformat(raw)
            except ValueError:
                raise ValidationError(f"{name}: 日期格式应为 YYYY-MM-DD，实际为 {raw!r}",
                                      field=name) from None
    return None


def period_from(args, today: datetime.date) -> Period:
    """``period=day|month|quarter|year`` and ``date=`` (default: the current one),
    or a custom ``start=&end=`` (also spelled ``from=&to=``)."""
    start, end = _day(args, "start", "from"), _day(args, "end", "to")
    if start or end:
        return Period.custom(start or today.replace(day=1), end or today)
    kind = args.get("period") or "month"
    return Period.parse(kind, args["date"]) if args.get("date") else Period.current(kind, today)


@bp.get("/api/stats")
@requires()
def view():
    """``?center=&period=&date=`` or ``&start=&end=``, optional ``department=`` / ``matter=``
    (default center: the login's scope, the city or its district)."""
    today = datetime.date.today()
    center = scoped_center(request.args)
    return jsonify(report(center, period_from(request.args, today),
                          department=request.args.get("department") or None,
                          matter=request.args.get("matter") or None, today=today))


def scoped_center(args) -> str:
    """``?center=`` if inside the login's scope (404 unknown, 403 outside), else the scope."""
    center = args.get("center") or current_user().center
    require_scope(center)
    return center


@bp.get("/api/openapi.json")
@public
def openapi():
    """The hub's OpenAPI document, as written."""
    return Response(OPENAPI.read_bytes(), mimetype="application/json")
