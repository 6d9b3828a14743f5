"""Staff login at a node or the hub: sessions, CSRF, the ``requires`` check, ``/login`` and ``/logout``.

Rules, each enforced here once:

- Every page and ``/api/`` view is wrapped in ``requires(*roles)`` (no roles: any
  logged-in user) or marked ``public``. Without a login an API view answers 401
  ``NOT_AUTHENTICATED`` and a page redirects to ``/login``; without the role, 403
  ``FORBIDDEN`` (a Chinese page, or the problem JSON under ``/api/``).
- A user whose only role is read-only (auditor) cannot POST, PUT, PATCH or DELETE.
- A session ends after ``session_timeout_s`` without a request; each request renews it.
- CSRF (Flask-WTF) guards every POST, PUT, PATCH and DELETE, the JSON API included:
  a script reads ``GET /api/csrf`` and sends the token as ``X-CSRFToken``.
- The secret key is the ``secret_key`` setting or, when empty, random bytes made
  once into ``DATA_DIR/secret.key`` (0600); never a constant in code.
- A signed API (``signed_api``: nodes, departments' systems, the SMS gateway) proves each
  request by its signature: it takes no CSRF token and opens no session.
"""
from __future__ import annotations

import functools
import logging
import secrets
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from flask import (Blueprint, Flask, current_app, g, jsonify, redirect, render_template, request,
                   session, url_for)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from sync import envelope as env
from sync import roles as known_roles
from sync.errors import AuthError, Code, ConfigError, Forbidden, ValidationError
from sync.signing import write_atomic
from web.errors import problem_response
from web.logins import User
from web.next_path import same_site_path
from web.staff import Directory

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
log = logging.getLogger("hallsync.auth")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DENIED = {"role": "您的账号没有执行此操作的权限。", "read_only": "审计人员为只读账号，不能修改数据。",
          "center": "该记录属于其他中心，本中心不能查看或办理。",
          "scope": "该中心不在您的管理范围内：区县管理员只能查看和督办本区县及所属街道。",
          "department": "该办件或咨询属于其他部门：您的账号只能查看和办理本部门的事项。"}


def init_app(app: Flask, directory: Directory) -> None:
    """Secret key, session cookie, CSRF, the per-request login check and the auth pages.

    ``directory``: whose logins these are (a node's staff, or the hub's).
    """
    settings = app.config["HALLSYNC"]
    app.secret_key = settings["secret_key"] or load_or_make_secret(settings["data_dir"])
    app.config.update(
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=settings["session_timeout_s"]),
        # Cookies ignore ports: two nodes (or the hub) on one host must not share a cookie.
        SESSION_COOKIE_NAME=f"hallsync_{directory.server}_{settings['port']}",
        SESSION_COOKIE_SAMESITE="Lax",
        # The token lives as long as the session that holds it; the session has the timeout.
        WTF_CSRF_TIME_LIMIT=None)
    app.extensions["auth"] = SimpleNamespace(directory=directory,
                                             now_ms=env.now_ms)  # tests move the clock
    csrf.init_app(app)
    app.before_request(_load_user)
    app.register_error_handler(Forbidden, _forbidden)
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_blueprint(bp)


class _Sessions(SecureCookieSessionInterface):
    """The cookie session, but none for a signed API's requests: a node sends no cookie,
    and opening and saving a session (its signer made anew each time) cost about 20 µs a
    request for nothing, on the path every node's every round takes.

    By path, since Flask opens the session before it matches the URL to a blueprint.
    """

    def __init__(self) -> None:
        self.signed_prefixes: tuple[str, ...] = ()

    def open_session(self, app, request):
        if request.path.startswith(self.signed_prefixes):
            return None  # Flask's null session: empty to read, never saved
        return super().open_session(app, request)


def signed_api(app: Flask, blueprint: Blueprint) -> None:
    """Register ``blueprint``, whose every request carries a signature (a signed envelope
    bound to its nonce, a gateway's signed report), which is what stops forged requests."""
    if not blueprint.url_prefix:
        raise ValueError(f"{blueprint.name}: a signed API needs a URL prefix of its own")
    if not isinstance(app.session_interface, _Sessions):
        app.session_interface = _Sessions()
    app.session_interface.signed_prefixes += (blueprint.url_prefix.rstrip("/") + "/",)
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)


def load_or_make_secret(data_dir) -> str:
    """``DATA_DIR/secret.key``, made with 32 random bytes the first time."""
    path = Path(data_dir) / "secret.key"
    if not path.exists():
        write_atomic(path, secrets.token_hex(32).encode(), mode=0o600)
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise ConfigError("secret_key", str(path), "is shorter than 32 characters: delete the "
                                                   "file to make a new one")
    return secret


def _now() -> int:
    return current_app.extensions["auth"].now_ms()


def _directory() -> Directory:
    return current_app.extensions["auth"].directory


def _is_api() -> bool:
    return request.path.startswith("/api/")


def current_user() -> User | None:
    """The logged-in user of this request, or None."""
    return g.get("user")


def _load_user():
    """Find the session's user, end idle or stale sessions, refuse writes by auditors."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    settings = current_app.config["HALLSYNC"]
    now = _now()
    if now - session.get("seen_ms", 0) > settings["session_timeout_s"] * 1000:
        session.clear()  # a cookie replayed after its expiry must not work either
        g.session_expired = True
        return
    model = _directory().user
    user = model.get_or_none(model.id == user_id)
    if user is None or user.disabled or _directory().refuses(user):
        session.clear()
        return
    session["seen_ms"] = now
    g.user = user
    if (request.method in WRITE_METHODS and user.role_set <= known_roles.READ_ONLY
            and request.blueprint != "auth"):  # an auditor may still log out
        raise Forbidden("auditors are read-only", reason="read_only")


def public(view):
    """Mark a view as open without a login (the route test checks every view is marked)."""
    view.public = True
    return view


def requires(*roles: str):
    """Let the view run only for a logged-in user holding one of ``roles`` (none: any role)."""
    unknown = set(roles) - known_roles.KNOWN
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; known: {sorted(known_roles.KNOWN)}")

    def decorate(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            user = current_user()
            if user is None:
                return _login_needed()
            if roles and not user.role_set & set(roles):
                raise Forbidden(f"needs one of the roles {', '.join(roles)}", reason="role")
            return view(*args, **kwargs)
        checked.required_roles = frozenset(roles)
        return checked
    return decorate


def _login_needed():
    expired = bool(g.get("session_expired"))
    if _is_api():
        detail = "the session timed out" if expired else "not logged in"
        return problem_response(AuthError(f"{detail}: log in at {url_for('auth.login')}",
                                          code=Code.NOT_AUTHENTICATED))
    # The script root too: a node mounted in the hub (/city) must come back under it.
    target = request.script_root + (request.full_path if request.query_string else request.path)
    return redirect(url_for("auth.login", next=target, expired=1 if expired else None))


def _forbidden(error: Forbidden):
    if _is_api():
        return problem_response(error)
    message = DENIED.get(error.extra.get("reason"), DENIED["role"])
    return render_template("auth/denied.html", title="无权访问", message=message), 403


def _csrf_failed(error: CSRFError):
    if _is_api():
        return problem_response(ValidationError(
            f"{error.description} Read a token from GET /api/csrf and send it in the "
            "X-CSRFToken header.", field="csrf_token", status=400))
    message = "页面已过期或缺少安全令牌，请刷新页面后重新提交。"
    if request.endpoint == "auth.login":
        return _login_form(message, 400)
    return render_template("auth/denied.html", title="请求无效", message=message), 400


def _safe_next(target: str | None) -> str:
    """Only a path on this site (``next_path``), else the site's root."""
    return same_site_path(target) or request.script_root + "/"


def _login_form(message: str = "", status: int = 200):
    settings = current_app.config["HALLSYNC"]
    return render_template("auth/login.html", message=message,
                           max_failures=settings["login_max_failures"],
                           lockout_minutes=max(1, settings["login_lockout_s"] // 60),
                           next=_safe_next(request.values.get("next")),
                           username=request.form.get("username", "")), status


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.method == "GET":
        if request.args.get("expired"):
            return _login_form("登录已超时，请重新登录。")
        if current_user() is not None:
            return redirect(_safe_next(request.args.get("next")))
        return _login_form()
    settings = current_app.config["HALLSYNC"]
    outcome = _directory().authenticate(
        request.form.get("username", ""), request.form.get("password", ""),
        request.remote_addr or "", now_ms=_now(), max_failures=settings["login_max_failures"],
        lockout_s=settings["login_lockout_s"])
    if outcome.user is None:
        if outcome.status == 429:
            log.warning("login locked out: %r from %s", request.form.get("username"),
                        request.remote_addr)
        return _login_form(outcome.message, outcome.status)
    session.clear()  # a fresh session (and CSRF token) at login: no fixation
    session.permanent = True
    session["user_id"] = outcome.user.id
    session["seen_ms"] = _now()
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
@public
def logout():
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/api/csrf")
@public
def csrf_token():
    """A CSRF token for scripts: send it back as the X-CSRFToken header."""
    return jsonify({"csrf_token": generate_csrf(), "header": "X-CSRFToken"})
