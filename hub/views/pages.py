"""What every hub page shares: the frame's sections, who is logged in, the home page."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for

from sync.topology import load_topology
from web.auth import current_user, public

bp = Blueprint("pages", __name__)

STAFF = {"operator", "district_admin", "auditor"}
SECTIONS = [  # (endpoint, label, roles that see it; None: everyone)
    ("dashboard.dashboard", "运行概况", STAFF),
    ("case_pages.search_page", "办件查询", STAFF),
    ("catalog_pages.matter_list", "事项目录", None),
    ("catalog_pages.history", "版本历史", None),
    ("catalog_pages.consistency", "各中心版本", STAFF),
    ("catalog_pages.reform", "改革历程", None),
    ("progress.progress_page", "进度查询", None),
    ("public_cases.completed_list", "办件公示", None),
    ("public_figures.figures_page", "统计公开", None),
    ("catalog_edit.new", "变更目录", {"operator"}),
    ("coverage_pages.coverage_page", "接入情况", STAFF),
    ("handoff_pages.handoff_page", "在途移交", STAFF),
    ("card_pages.cards_page", "电子监察", STAFF),
    ("rectification_pages.page", "差评整改", STAFF),
    ("consultation_pages.staff_page", "在线咨询", STAFF),
    ("complaint_pages.staff_page", "投诉", STAFF),
]
# app.extensions: [(path under the hub's root, label)] of sites served beside the hub's
# pages (the city's departments at /city/, mounted by the composition tier).
MOUNTED_SECTIONS = "hallsync.mounted_sections"
# Under the site's name in the frame: the hub is not the city center's window (at /city/).
SITE_KIND = "全市政务服务监管平台"


@bp.app_context_processor
def _frame() -> dict:
    user = current_user()
    roles = user.role_set if user else frozenset()
    sections = [(url_for(endpoint), label, request.endpoint == endpoint)
                for endpoint, label, allowed in SECTIONS if allowed is None or roles & allowed]
    for path, label in current_app.extensions.get(MOUNTED_SECTIONS, ()):
        sections.append((f"{request.script_root}{path}", label, False))
    return {"site_name": load_topology().hub.name, "site_kind": SITE_KIND,
            "current_user": user, "sections": sections,
            "frame_shows_staff": True}


@bp.get("/")
@public
def home():
    """Staff start at the dashboard; citizens at the catalog."""
    if current_user() is not None:
        return redirect(url_for("dashboard.dashboard"))
    return redirect(url_for("catalog_pages.matter_list"))
