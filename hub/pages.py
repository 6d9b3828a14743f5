"""What every hub page shares: the frame's sections, who is logged in, the home page."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for

from hub.city_node import PREFIX as CITY_PREFIX, mounted
from node.auth import current_user, public
from sync.topology import load_topology

bp = Blueprint("pages", __name__)

STAFF = {"operator", "district_admin", "auditor"}
SECTIONS = [  # (endpoint, label, roles that see it; None: everyone)
    ("dashboard.dashboard", "运行概况", STAFF),
    ("catalog_pages.matter_list", "事项目录", None),
    ("catalog_pages.history", "版本历史", None),
    ("catalog_pages.consistency", "各中心版本", STAFF),
    ("catalog_pages.reform", "改革历程", None),
    ("catalog_edit.new", "变更目录", {"operator"}),
    ("coverage_pages.coverage_page", "接入情况", STAFF),
    ("handoff_pages.handoff_page", "在途移交", STAFF),
]


@bp.app_context_processor
def _frame() -> dict:
    user = current_user()
    roles = user.role_set if user else frozenset()
    sections = [(url_for(endpoint), label, request.endpoint == endpoint)
                for endpoint, label, allowed in SECTIONS if allowed is None or roles & allowed]
    if mounted(current_app):
        # The city's departments log in there with the city node's own staff logins.
        sections.append((f"{request.script_root}{CITY_PREFIX}/window/", "市级部门办件", False))
    return {"site_name": load_topology().hub.name, "current_user": user,
            "hub_sections": sections}


@bp.get("/")
@public
def home():
    """Staff start at the dashboard; citizens at the catalog."""
    if current_user() is not None:
        return redirect(url_for("dashboard.dashboard"))
    return redirect(url_for("catalog_pages.matter_list"))
