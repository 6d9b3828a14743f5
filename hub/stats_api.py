"""``/api/stats``: a center's case figures for a period, the previous one, its children.

Any hub login reads it; a district admin only its own district's centers.
"""
from __future__ import annotations

import datetime

from flask import Blueprint, jsonify, request

from hub.staff import require_scope
from hub.stats import report
from node.auth import current_user, requires
from sync.errors import ValidationError

bp = Blueprint("stats_api", __name__, url_prefix="/api/stats")


def _day(name: str, default: datetime.date) -> datetime.date:
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{name}: 日期格式应为 YYYY-MM-DD，实际为 {raw!r}",
                              field=name) from None


@bp.get("")
@requires()
def view():
    """``?center=CODE&from=YYYY-MM-DD&to=YYYY-MM-DD`` (default: the city, this month)."""
    today = datetime.date.today()
    start = _day("from", today.replace(day=1))
    end = _day("to", today)
    if end < start:
        raise ValidationError("to: 结束日期不能早于开始日期", field="to")
    center = request.args.get("center") or current_user().center
    require_scope(center)
    return jsonify(report(center, start, end))
