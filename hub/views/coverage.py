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
from hub.views.spreadsheets import xlsx_response
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


XLSX_COLUMNS = ("状态", "中心编码", "中心名称", "层级", "最近联系", "同步延迟（秒）", "待发送",
                "目录版本", "程序版本", "时钟偏差（秒）", "24 小时拒收", "原因")


@bp.get("/api/coverage.xlsx")
@requires()
def coverage_xlsx():
    """Every center in the login's scope, as the page's full list, in an Excel workbook."""
    view = coverage(env.now_ms(), current_app.config["HALLSYNC"], root=current_user().center)
    rows = [list(XLSX_COLUMNS)]
    for c in sorted(view["centers"], key=lambda c: (ORDER[c["status"]], c["code"])):
        rows.append([COLOURS[c["status"]], c["code"], c["name"], LEVEL_NAMES.get(c["level"], c["level"]),
                     china_time(c["last_contact_ms"], "%Y-%m-%d %H:%M"), c["lag_s"], c["backlog"],
                     c["catalog_version"], c["app_version"] or "",
                     c["clock_skew_ms"] // 1000 if c["clock_skew_ms"] is not None else None,
                     c["refusals_24h"], "；".join(c["reasons"])])
    return xlsx_response(rows, title="各中心接入情况",
                         filename=f"coverage-{current_user().center}.xlsx")
