"""What every node page's frame shows: the center's name and the node's sections."""
from __future__ import annotations

from flask import Flask, current_app, request, url_for

from node.models import NodeState
from sync.errors import NotFound
from sync.topology import load_topology

SECTIONS = (  # (endpoint, label, the blueprint that marks it "here")
    ("catalog_pages.matter_list", "政务服务事项目录", "catalog_pages"),
    ("progress.progress_page", "进度查询", "progress"),
    ("public_cases.completed_list", "办件公示", "public_cases"),
    ("window.my_queue", "窗口办件", "window"),
    ("status.status_page", "同步状态", None),
)
HOME_LINK = "hallsync.home_link"  # app.extensions: (label, href) back to a site this node serves in


def init_app(app: Flask) -> None:
    app.context_processor(_frame)


def site_name(state: NodeState | None = None) -> str:
    """The center's name, or what the node is before it enrolls."""
    state = state or NodeState.get_or_none(NodeState.id == 1)
    if state is None:
        return "政务服务中心（尚未接入）"
    try:
        return load_topology().get(state.center).name
    except NotFound:
        return f"政务服务中心 {state.center}"


KINDS = {"city": "市本级窗口办件系统", "subcenter": "市分中心窗口办件系统",
         "district": "区县窗口办件系统", "street": "街道（乡镇）窗口办件系统"}


def site_kind(state: NodeState | None) -> str:
    """What this site is, under its name: the city center's window (served at the hub's
    /city/) or a center's, so neither is taken for the other nor for the hub."""
    if state is None:
        return "窗口办件系统（尚未接入市中心）"
    center = load_topology().by_code.get(state.center)
    return KINDS.get(center.level, "窗口办件系统") if center else "窗口办件系统"


def _frame() -> dict:
    sections = [(url_for(endpoint), label, here is not None and request.blueprint == here)
                for endpoint, label, here in SECTIONS]
    home = current_app.extensions.get(HOME_LINK)
    if home is not None:
        label, href = home()
        sections.append((href, label, False))
    state = NodeState.get_or_none(NodeState.id == 1)  # one read for the name and the kind
    return {"site_name": site_name(state), "site_kind": site_kind(state), "sections": sections}
