"""A node's staff logins: its center's own staff, never another center's (no Flask here)."""
from __future__ import annotations

from node import store
from node.models import LoginAttempt, User
from sync import roles as known_roles
from sync.errors import ValidationError
from web.staff import Directory

ROLES = known_roles.NODE


def _own_center(_roles, scope: str | None) -> str:
    center = store.state().center  # a node's staff always belong to the center it serves
    if scope not in (None, center):
        raise ValidationError(f"本节点只能为本中心 {center} 开设账号", field="scope")
    return center


def _other_center(user: User) -> str:
    return "" if user.center == store.state().center else "该账号不属于本中心"


STAFF = Directory(User, LoginAttempt, ROLES, _own_center, _other_center, "node")
add_user = STAFF.add_user
