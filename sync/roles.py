"""Staff roles: a node's window roles and the hub's (domain.md §5 on who does what).

Each server checks its own staff's roles (``web.auth.requires``); the names
are here so a view can only ask for a role that some server knows.
"""
from __future__ import annotations

NODE = {"clerk": "窗口受理人员", "reviewer": "审核人员", "approver": "审批负责人",
        "center_admin": "中心管理员", "auditor": "审计人员"}
# At the hub a login's ``center`` is its scope: the hub itself (the whole city)
# or, for a district admin, one district and its streets.
HUB = {"operator": "市中心管理员", "district_admin": "区县管理员", "auditor": "审计人员"}
READ_ONLY = frozenset({"auditor"})
KNOWN = frozenset(NODE) | frozenset(HUB)
