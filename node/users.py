"""A node's staff logins: its center's own staff, never another center's (no Flask here)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from node import departments, store
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


@dataclass(frozen=True)
class CenterDirectory(Directory):
    """The center's logins, each with the departments it works for (``node.departments``)."""

    def add_user(self, username: str, password: str, roles, *, department: Iterable[str] = (),
                 **kw) -> User:
        """Create a login, scoped to ``department`` (codes; none: center-wide)."""
        codes = departments.checked(department)
        departments.require_scoped_role(roles, codes)
        with self.user._meta.database.atomic():
            user = super().add_user(username, password, roles, **kw)
            departments.replace(user.username, codes)
        return self.user.get_by_id(user.id)

    def describe(self, user: User) -> dict:
        return {**super().describe(user), "departments": departments.of(user)}


STAFF = CenterDirectory(User, LoginAttempt, ROLES, _own_center, _other_center, "node")
add_user = STAFF.add_user
