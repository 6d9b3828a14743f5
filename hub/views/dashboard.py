"""The hub's dashboard: one center's figures for a period beside the previous one and the
same one a year earlier, its own cases and its children's (they add up to the total), a
ranking of its districts or streets, the distribution of working days, coverage and alerts.

Like with like: a period still running is cut at today, and compared with as many days
of the period before and the same days a year earlier (``hub.stats.periods``).

Everything comes from ``hub.stats.figures.report`` (the rollups) and ``hub.coverage.centers``,
the same as ``/api/stats`` and ``/api/coverage``; the charts are SVG drawn on
the server (``hub.views.charts``). A district admin starts at, and stays inside, its
district; hub operators and auditors start at the city.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from hub.coverage.alerts import open_alerts
from hub.coverage.centers import LEVEL_NAMES, coverage
from hub.staff import scoped_center, visible
from hub.stats import rankings, satisfaction
from hub.stats.figures import NOT_AVAILABLE, report
from hub.stats.periods import period_from
from hub.stats.reports import DAY_LABELS, PERIODS, show
from hub.views import charts
from sync import envelope as env
from sync.case_clock import china_today
from sync.case_labels import EVALUATION_LEVELS
from sync.catalog_history import load_departments
from sync.topology import load_topology
from web.auth import current_user, requires

bp = Blueprint("dashboard", __name__)

KINDS = {"day": "日", "month": "月", "quarter": "季度", "year": "年"}
# (label, figure, kind): the tiles across the top.
TILES = (("收件", "received", "count"), ("受理", "accepted", "count"),
         ("办结", "completed", "count"), ("办结率", "completion_rate", "rate"),
         ("即办率", "immediate_rate", "rate"), ("按时办结率", "on_time_rate", "rate"),
         ("提前办结率", "early_rate", "rate"), ("平均办理工作日", "average_handling_days", "days"),
         ("补正率", "supplement_rate", "rate"), ("企业申请占比", "enterprise_share", "rate"),
         ("网上申请占比", "online_share", "rate"),
         ("收件移交", "handed_off", "count"), ("接收移交", "taken_over", "count"),
         ("满意率", "satisfaction_rate", "rate"), ("差评率", "bad_review_rate", "rate"),
         ("企业设立登记", "enterprises_registered", "count"),
         ("注册资本（万元）", "registered_capital", "count"),
         ("亿元以上项目", "projects_over_100m", "count"),
         ("项目总投资（万元）", "investment", "count"))


def change(now, before, kind: str) -> str:
    """The change from the previous period, as a person reads it (+12, −3.0 个百分点)."""
    if now is None or before is None:
        return ""
    delta = now - before
    if kind == "rate":
        return f"{'+' if delta >= 0 else '−'}{abs(delta) * 100:.1f} 个百分点"
    if kind == "days":
        return f"{'+' if delta >= 0 else '−'}{abs(delta):.1f} 天"
    return f"{'+' if delta >= 0 else '−'}{abs(delta):,}"


def breadcrumbs(code: str) -> list[tuple[str, str]]:
    """(code, name) from the login's scope (the city, or a district) down to ``code``."""
    topology, top = load_topology(), current_user().center
    chain = [topology.get(code)]
    while chain[-1].code != top and chain[-1].parent is not None:
        chain.append(topology.get(chain[-1].parent))
    return [(c.code, c.name) for c in reversed(chain)]


@bp.get("/dashboard")
@requires()
def dashboard():
    """``?center=&period=&date=`` (or ``start=&end=``), ``department=`` and ``rank=``."""
    today = china_today()
    center = scoped_center(request.args)
    period = period_from(request.args, today).to_date(today)
    department = request.args.get("department") or None
    result = report(center, period, department=department, today=today)
    rows = [(c["name"].replace("政务服务中心", "").replace("便民服务中心", ""),
             c["figures"]["received"], c["figures"]["completed"]) for c in result["children"]]
    by_children = charts.paired_bars(rows, ("收件", "办结"), title="下级中心收件与办结") \
        if rows else None
    days = [(label, result["figures"][key]) for key, label in DAY_LABELS.items()]
    distribution = charts.columns(days, title="办结用时（工作日）分布", unit="") \
        if any(value for _label, value in days) else None
    view = coverage(env.now_ms(), current_app.config["HALLSYNC"], root=center)
    within = visible()
    alerts = [a for a in open_alerts() if a["center"] in within]
    rank_by = request.args.get("rank")
    rank_by = rank_by if rank_by in rankings.RANKED else rankings.DEFAULT
    return render_template(
        "dashboard.html", r=result, crumbs=breadcrumbs(center), ranking=rankings.ranked(result["children"], rank_by),
        ranking_title=rankings.title(result["children"]), rank_by=rank_by,
        ranked_figures=rankings.RANKED, tiles=TILES, shown=show, change=change,
        by_children=by_children, distribution=distribution, kinds=KINDS, periods=PERIODS,
        departments=sorted(load_departments().items(), key=lambda d: d[0]),
        department=department, coverage=view, level_names=LEVEL_NAMES, alerts=alerts,
        not_available=NOT_AVAILABLE, args=request.args,
        windows=satisfaction.by_window(center, period.start, period.end),
        evaluation_levels=EVALUATION_LEVELS)
