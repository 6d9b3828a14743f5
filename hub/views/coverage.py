"""The coverage page: every center in a tree and a table, coverage per level, the open alerts,
and the districts that supervise their streets (督导).

The same figures as ``/api/coverage`` (``hub.coverage.centers``) for a person: hub
operators and auditors see the city, a district admin its district.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from hub.coverage.alerts import open_alerts
from hub.coverage.centers import LEVEL_NAMES, coverage
from hub.staff import visible
from sync import envelope as env
from sync.errors import ValidationError
from web.auth import current_user, requires
from web.frame import china_time
from web.pagination import page_of

bp = Blueprint("coverage_pages", __name__)

COLOURS = {"red": "红", "yellow": "黄", "green": "绿"}
SHOWN = {"trouble": "红黄中心", "all": "全部中心"}
ORDER = {"red": 0, "yellow": 1, "green": 2}


def lag(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds} 秒"
    return f"{seconds // 60} 分钟" if seconds < 7200 else f"{seconds // 3600} 小时"


@bp.get("/coverage")
@requires()
def coverage_page():
    """Coverage per level, the supervising districts, the tree, the red and yellow centers
    (or all) and the alerts."""
    shown = request.args.get("show", "trouble")
    if shown not in SHOWN:
        raise ValidationError(f"show: 显示范围应为{'或'.join(SHOWN.values())}，实际为 {shown!r}", field="show")
    view = coverage(env.now_ms(), current_app.config["HALLSYNC"], root=current_user().center)
    centers = sorted(view["centers"], key=lambda c: (ORDER[c["status"]], not c["enrolled"],
                                                     c["code"]))
    never = sum(not c["enrolled"] for c in centers)
    enrolled = len(centers) - never
    # From every center, before the filter below: a supervising district may well be green.
    supervisors = sorted((c for c in centers if c["supervision"]), key=lambda c: c["code"])
    if shown == "trouble":
        # Before the rollout is done most centers are not enrolled: count them, list the rest.
        centers = [c for c in centers if c["status"] != "green" and c["enrolled"]]
    within = visible()
    alerts = [a for a in open_alerts() if a["center"] in within]
    levels = [(LEVEL_NAMES.get(level, level), figures) for level, figures in view["levels"].items()]
    listed = page_of(centers, request.args)  # the whole city is 208 rows: 50 a page
    return render_template("coverage.html", view=view, centers=listed.items, listed=listed,
                           levels=levels,
                           alerts=alerts, never=never, enrolled=enrolled, shown=shown, choices=SHOWN,
                           supervisors=supervisors,
                           supervising={c["code"]: c["supervision"] for c in supervisors},
                           colours=COLOURS, when=china_time, lag=lag)
