"""The center's staff logins: roles, hashed passwords, and login throttling (no Flask here).

Users are local to a node and never synced: a password hash has no business
at the hub, and each center manages its own staff. So adding or disabling a
user writes no outbox event.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from werkzeug.security import check_password_hash, generate_password_hash

from node import store
from node.models import LoginAttempt, User, database
from sync.errors import ConflictError, NotFound, ValidationError

ROLES = {"clerk": "窗口受理人员", "reviewer": "审核人员", "approver": "审批负责人",
         "center_admin": "中心管理员", "auditor": "审计人员"}
READ_ONLY_ROLES = frozenset({"auditor"})
MIN_PASSWORD = 8
USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{1,31}")


def normalize(username: str) -> str:
    """Usernames compare case-insensitively and without surrounding blanks."""
    return (username or "").strip().lower()


def hash_password(password: str) -> str:
    """A werkzeug hash (scrypt, salted) of a password of at least 8 characters."""
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(f"密码至少需要 {MIN_PASSWORD} 个字符", field="password")
    return generate_password_hash(password)


def add_user(username: str, password: str, roles, *, display_name: str = "",
             now_ms: int) -> User:
    """Create a login of this node's center; raises NOT_ENROLLED before enrollment."""
    name = normalize(username)
    if not USERNAME.fullmatch(name):
        raise ValidationError("用户名须为 2–32 位小写字母、数字或 _ . -", field="username")
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        raise ValidationError(f"角色须为 {', '.join(ROLES)} 之一（收到 {unknown or '无'}）",
                              field="role")
    center = store.state().center  # a user belongs to the center this node serves
    password_hash = hash_password(password)
    with database.atomic():
        if User.get_or_none(User.username == name) is not None:
            raise ConflictError(f"用户 {name} 已存在", field="username")
        return User.create(username=name, display_name=display_name.strip(),
                           password_hash=password_hash, roles=",".join(roles), center=center,
                           created_ms=now_ms)


def describe(user: User) -> dict:
    """A user as shown by ``user list`` (never the hash)."""
    return {"username": user.username, "display_name": user.display_name,
            "roles": sorted(user.role_set), "center": user.center, "disabled": user.disabled,
            "created_ms": user.created_ms, "last_login_ms": user.last_login_ms}


def list_users() -> list[dict]:
    return [describe(u) for u in User.select().order_by(User.username)]


def disable_user(username: str) -> User:
    """Refuse this user's logins from now on (an open session ends at its next request)."""
    user = User.get_or_none(User.username == normalize(username))
    if user is None:
        raise NotFound(f"没有用户 {normalize(username)}", field="username")
    user.disabled = True
    user.save()
    return user


@dataclass(frozen=True)
class LoginOutcome:
    """The user on success; otherwise a Chinese message for the form and its HTTP status."""

    user: User | None
    message: str = ""
    status: int = 200


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Unknown usernames cost one hash check too, so timing does not tell which names exist.
    return generate_password_hash("not a password of anyone")


def lockout_remaining_ms(username: str, remote: str, *, now_ms: int, max_failures: int,
                         lockout_s: float) -> int:
    """How long this username+address pair is still locked out (0: not locked)."""
    recent = list(LoginAttempt.select(LoginAttempt.at_ms, LoginAttempt.ok)
                  .where(LoginAttempt.username == username, LoginAttempt.remote == remote)
                  .order_by(LoginAttempt.at_ms.desc(), LoginAttempt.id.desc())
                  .limit(max_failures))
    window_ms = int(lockout_s * 1000)
    if len(recent) < max_failures or any(a.ok for a in recent):
        return 0  # fewer failures than the limit since the last successful login
    newest, oldest = recent[0].at_ms, recent[-1].at_ms
    if newest - oldest > window_ms:
        return 0  # the failures are spread wider than the window
    return max(0, newest + window_ms - now_ms)


def authenticate(username: str, password: str, remote: str, *, now_ms: int,
                 max_failures: int, lockout_s: float) -> LoginOutcome:
    """Check a login, counting failures per username and address, and record the attempt."""
    name = normalize(username)[:64]
    if not name or not password:
        return LoginOutcome(None, "请输入用户名和密码", 400)
    wait_ms = lockout_remaining_ms(name, remote, now_ms=now_ms, max_failures=max_failures,
                                   lockout_s=lockout_s)
    if wait_ms:
        # Not recorded: a locked pair's attempts are not evaluated, so they cannot prolong it.
        return LoginOutcome(None, f"登录失败次数过多，请 {math.ceil(wait_ms / 60000)} 分钟后再试",
                            429)
    user = User.get_or_none(User.username == name)
    password_ok = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if user is None or not password_ok:
        outcome = LoginOutcome(None, "用户名或密码错误", 401)
    elif user.disabled:
        outcome = LoginOutcome(None, "该账号已停用，请联系中心管理员", 403)
    elif user.center != store.state().center:
        outcome = LoginOutcome(None, "该账号不属于本中心", 403)
    else:
        outcome = LoginOutcome(user)
    with database.atomic():
        LoginAttempt.create(username=name, remote=remote[:64], at_ms=now_ms,
                            ok=outcome.user is not None)
        if outcome.user is not None:
            user.last_login_ms = now_ms
            user.save()
    return outcome
