"""Staff logins: hashed passwords, login throttling, one server's directory (no Flask here).

A ``Directory`` holds one server's logins: a node's users are its center's
staff (``node/users.py``); the hub's are city operators, district admins and
auditors, each with a scope (``hub/staff.py``). Users are never synced: a password hash has no
business anywhere else, and each center manages its own staff. So adding or
disabling a user writes no outbox event.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from werkzeug.security import check_password_hash, generate_password_hash

from sync.errors import ConflictError, NotFound, ValidationError
from web.logins import LoginAttempt, User

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


@dataclass(frozen=True)
class Directory:
    """One server's staff logins: its tables, its roles, and who may log in there.

    ``home(roles, scope)`` is the center a new login belongs to (a node: its
    own; the hub: the scope asked for, checked against the roles) and
    ``refuses(user)`` the Chinese reason a stored user may not log in at this
    server (a node: a user of another center), or "".
    """

    user: type[User]
    attempt: type[LoginAttempt]
    roles: dict[str, str]
    home: Callable[[list[str], str | None], str]
    refuses: Callable[[User], str]
    server: str  # "node" or "hub": its cookie, and the command that opens an account

    def add_user(self, username: str, password: str, roles, *, scope: str | None = None,
                 display_name: str = "", now_ms: int) -> User:
        """Create a login (a node's before enrollment raises NOT_ENROLLED)."""
        name = normalize(username)
        if not USERNAME.fullmatch(name):
            raise ValidationError("用户名须为 2–32 位小写字母、数字或 _ . -", field="username")
        roles = sorted(set(roles))
        unknown = [r for r in roles if r not in self.roles]
        if not roles or unknown:
            raise ValidationError(f"角色须为 {', '.join(self.roles)} 之一（收到 {unknown or '无'}）",
                                  field="role")
        center = self.home(roles, scope)
        password_hash = hash_password(password)
        with self.user._meta.database.atomic():
            if self.user.get_or_none(self.user.username == name) is not None:
                raise ConflictError(f"用户 {name} 已存在", field="username")
            return self.user.create(username=name, display_name=display_name.strip(),
                                    password_hash=password_hash, roles=",".join(roles),
                                    center=center, created_ms=now_ms)

    def list_users(self) -> list[dict]:
        return [self.describe(u) for u in self.user.select().order_by(self.user.username)]

    def describe(self, user: User) -> dict:
        """A user as ``user add`` and ``user list`` show it (a site may add what it keeps)."""
        return describe(user)

    def disable_user(self, username: str) -> User:
        """Refuse this user's logins from now on (an open session ends at its next request)."""
        user = self.user.get_or_none(self.user.username == normalize(username))
        if user is None:
            raise NotFound(f"没有用户 {normalize(username)}", field="username")
        user.disabled = True
        user.save()
        return user

    def lockout_remaining_ms(self, username: str, remote: str, *, now_ms: int,
                             max_failures: int, lockout_s: float) -> int:
        """How long this username+address pair is still locked out (0: not locked)."""
        attempt = self.attempt
        recent = list(attempt.select(attempt.at_ms, attempt.ok)
                      .where(attempt.username == username, attempt.remote == remote)
                      .order_by(attempt.at_ms.desc(), attempt.id.desc())
                      .limit(max_failures))
        window_ms = int(lockout_s * 1000)
        if len(recent) < max_failures or any(a.ok for a in recent):
            return 0  # fewer failures than the limit since the last successful login
        newest, oldest = recent[0].at_ms, recent[-1].at_ms
        if newest - oldest > window_ms:
            return 0  # the failures are spread wider than the window
        return max(0, newest + window_ms - now_ms)

    def authenticate(self, username: str, password: str, remote: str, *, now_ms: int,
                     max_failures: int, lockout_s: float) -> LoginOutcome:
        """Check a login, counting failures per username and address, and record the attempt."""
        name = normalize(username)[:64]
        if not name or not password:
            return LoginOutcome(None, "请输入用户名和密码", 400)
        wait_ms = self.lockout_remaining_ms(name, remote, now_ms=now_ms,
                                            max_failures=max_failures, lockout_s=lockout_s)
        if wait_ms:
            # Not recorded: a locked pair's attempts are not evaluated, so they cannot prolong it.
            return LoginOutcome(
                None, f"登录失败次数过多，请 {math.ceil(wait_ms / 60000)} 分钟后再试", 429)
        user = self.user.get_or_none(self.user.username == name)
        password_ok = check_password_hash(user.password_hash if user else _dummy_hash(),
                                          password)
        if user is None or not password_ok:
            outcome = LoginOutcome(None, "用户名或密码错误", 401)
        elif user.disabled:
            outcome = LoginOutcome(None, "该账号已停用，请联系管理员", 403)
        elif refused := self.refuses(user):
            outcome = LoginOutcome(None, refused, 403)
        else:
            outcome = LoginOutcome(user)
        with self.user._meta.database.atomic():
            self.attempt.create(username=name, remote=remote[:64], at_ms=now_ms,
                                ok=outcome.user is not None)
            if outcome.user is not None:
                user.last_login_ms = now_ms
                user.save()
        return outcome


def describe(user: User) -> dict:
    """A user as shown by ``user list`` (never the hash)."""
    return {"username": user.username, "display_name": user.display_name,
            "roles": sorted(user.role_set), "center": user.center, "disabled": user.disabled,
            "created_ms": user.created_ms, "last_login_ms": user.last_login_ms}
