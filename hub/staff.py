"""The hub's logins and what each may see.

A hub login's ``center`` is its scope: operators and auditors work for the
whole city (the hub's own code), a district admin for one district and its
streets. ``visible`` and ``require_scope`` are how every hub view applies it.
"""
from __future__ import annotations

import functools

from hub.models import StaffLoginAttempt, StaffUser
from sync import roles as known_roles
from sync.errors import Forbidden, ValidationError
from sync.topology import load_topology
from web.auth import current_user
from web.staff import Directory

CITY_WIDE = frozenset({"operator", "auditor"})


def _scope_for(roles: list[str], scope: str | None) -> str:
    topology = load_topology()
    if "district_admin" in roles:
        if CITY_WIDE & set(roles):
            raise ValidationError("区县管理员不能同时拥有全市范围的角色", field="role")
        district = topology.by_code.get(scope or "")
        if district is None or district.level != "district":
            raise ValidationError(f"区县管理员须以 --scope 指定一个区县中心编码（收到 {scope!r}）",
                                  field="scope")
        return district.code
    if scope not in (None, topology.hub.code):
        raise ValidationError("市中心管理员和审计人员的范围是全市，不能指定其他中心", field="scope")
    return topology.hub.code


def _unknown_scope(user: StaffUser) -> str:
    return "" if user.center in load_topology().by_code else "该账号的管理范围已不存在"


HUB_STAFF = Directory(StaffUser, StaffLoginAttempt, known_roles.HUB, _scope_for, _unknown_scope,
                      "hub")


@functools.cache
def _subtree(code: str) -> frozenset[str]:
    return frozenset(load_topology().subtree(code))


def visible() -> frozenset[str]:
    """The centers the logged-in user may see: the whole city, or one district's subtree."""
    return _subtree(current_user().center)


def require_scope(code: str) -> None:
    """Raise 404 CENTER_UNKNOWN for no such center, 403 FORBIDDEN for one outside the
    logged-in user's scope."""
    load_topology().get(code)
    if code not in visible():
        raise Forbidden(f"center {code} is outside your scope {current_user().center}",
                        reason="scope")


def scoped_center(args) -> str:
    """``?center=`` if inside the login's scope (404 unknown, 403 outside), else the scope."""
    center = args.get("center") or current_user().center
    require_scope(center)
    return center
