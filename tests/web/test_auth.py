"""Staff logins: passwords, lockout, session timeout, CSRF, roles and centers, the user CLI."""
from __future__ import annotations

import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from flask import Blueprint, jsonify, url_for

from node import store
from node.app import create_app
from node.models import NodeState, User, database
from node.store import require_center
from node.users import ROLES, STAFF, add_user
from sync.errors import ConfigError
from tests.processes import ROOT, child_env
from tests.staff import PASSWORD, Staff
from web.auth import requires

CENTER = "210102001"
OTHER_CENTER = "210102002"
START_MS = 1_700_000_000_000
KEYS = ("code", "status", "title", "detail")

probe = Blueprint("probe", __name__)


@probe.get("/probe/clerk")
@requires("clerk")
def clerk_page():
    return "受理"


@probe.get("/api/probe/review")
@requires("reviewer", "approver")
def review_api():
    return jsonify(ok=True)


@probe.get("/probe/admin")
@requires("center_admin")
def admin_page():
    return "管理"


@probe.post("/api/probe/write")
@requires()
def write_api():
    return jsonify(ok=True)


@probe.get("/api/probe/case/<center>")
@requires()
def case_api(center):
    require_center(center)
    return jsonify(ok=True)


@probe.get("/probe/case/<center>")
@requires()
def case_page(center):
    require_center(center)
    return "案件"


def enroll_fake(data_dir) -> None:
    """A node state as enrollment leaves it (users need the node's center)."""
    store.bind(data_dir)
    with database.connection_context():
        NodeState.create(center=CENTER, hub_url="http://127.0.0.1:1", hub_key="0" * 64,
                         hub_key_id="0" * 16, key_id="1" * 16, acked_hash="0" * 64,
                         enrolled_ms=START_MS)


class Clock:
    def __init__(self):
        self.ms = START_MS

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(scope="session")
def staff_db(tmp_path_factory):
    """A node.db with one user per role, made once: scrypt is slow on purpose."""
    data_dir = tmp_path_factory.mktemp("staff")
    enroll_fake(data_dir)
    with database.connection_context():
        for role in ROLES:
            add_user(role.replace("_", "-"), PASSWORD, [role], display_name=ROLES[role],
                     now_ms=START_MS)
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return data_dir / "node.db"


@pytest.fixture
def app(tmp_path, clock, staff_db):
    data_dir = tmp_path / "node"
    data_dir.mkdir()
    shutil.copyfile(staff_db, data_dir / "node.db")
    app = create_app({"data_dir": str(data_dir), "TESTING": True, "login_max_failures": 3,
                      "login_lockout_s": 900, "session_timeout_s": 600})
    app.register_blueprint(probe)
    app.extensions["auth"].now_ms = clock
    return app


@pytest.fixture
def staff(app):
    return Staff(app.test_client())


def user(username: str) -> User:
    with database.connection_context():
        return User.get(User.username == username)


def test_login_page_speaks_chinese_and_carries_a_csrf_token(staff):
    page = staff.client.get("/login").get_data(as_text=True)
    assert "工作人员登录" in page and "用户名" in page and "密码" in page
    assert re.search(r'name="csrf_token" value="[^"]{20,}"', page)


def test_without_login_pages_redirect_and_the_api_answers_401(staff):
    page = staff.client.get("/?x=1")
    assert page.status_code == 302 and "/login?next=/?x%3D1" in page.headers["Location"]
    api = staff.client.get("/api/status")
    body = api.get_json()
    assert api.status_code == 401 and set(KEYS) <= set(body)
    assert body["code"] == "NOT_AUTHENTICATED" and body["status"] == 401
    assert staff.client.get("/__heartbeat__").status_code in (200, 503)  # stays public


def test_login_then_logout(staff):
    response = staff.login("clerk", next="/api/status")
    assert response.status_code == 302 and response.headers["Location"] == "/api/status"
    assert staff.client.get("/").status_code == 200
    assert staff.client.get("/api/status").get_json()["center"] == CENTER
    assert user("clerk").last_login_ms == START_MS
    assert staff.post("/logout").status_code == 302
    assert staff.client.get("/").status_code == 302


@pytest.mark.parametrize("username, password, status, message", [
    ("clerk", "wrong password", 401, "用户名或密码错误"),
    ("nobody", PASSWORD, 401, "用户名或密码错误"),
    ("", "", 400, "请输入用户名和密码"),
])
def test_failed_login_says_why_in_chinese(staff, username, password, status, message):
    response = staff.login(username, password)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert staff.client.get("/api/status").status_code == 401


# What browsers turn into another host: tabs, newlines and CRs dropped anywhere, leading
# spaces and control characters stripped, backslashes read as slashes; and plain schemes.
ELSEWHERE = ["//evil.example/x", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
             "/\n/evil.example", "/\r/evil.example", "/\r\nSet-Cookie: a=b", " //evil.example",
             "\t//evil.example", "\x01//evil.example", "/\x00/evil.example", "/\x1f/evil.example",
             "/\u3000/evil.example", "/\u200b/evil.example", "/%09/evil.example",
             "/%2F/evil.example", "/%5Cevil.example", "/%0a/evil.example",
             "https://evil.example/", "javascript:alert(1)", "evil.example", "", "/x\ty"]


@pytest.fixture(scope="module")
def hub_app(tmp_path_factory):
    """A hub on SQLite with one operator: its login is the same code, checked the same way."""
    from hub.app import create_app as create_hub
    from hub.models import database as hub_database
    from hub.staff import HUB_STAFF
    data_dir = tmp_path_factory.mktemp("hub")
    hub = create_hub({"data_dir": str(data_dir), "TESTING": True,
                      "database_url": f"sqlite:///{data_dir}/hub.db"})
    with hub_database.connection_context():
        HUB_STAFF.add_user("operator", PASSWORD, ["operator"], now_ms=1)
    return hub


@pytest.fixture(params=["node", "hub"])
def site(request, staff, hub_app):
    """(a visitor at that site, a username there)."""
    if request.param == "node":
        return staff, "clerk"
    return Staff(hub_app.test_client()), "operator"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_next_never_leaves_the_site(site, target):
    visitor, username = site
    page = visitor.client.get("/login", query_string={"next": target})
    assert page.status_code == 200 and "evil.example" not in page.get_data(as_text=True)
    response = visitor.login(username, next=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    again = visitor.client.get("/login", query_string={"next": target})  # already logged in
    assert again.status_code == 302 and again.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/api/status", "/?x%3D1", "/catalog/?q=%E5%8A%9E%20a#top"])
def test_next_keeps_a_path_on_the_site(site, target):
    visitor, username = site
    assert visitor.login(username, next=target).headers["Location"] == target


def test_lockout_after_failures_per_username_and_address_then_unlock(staff, clock):
    for _ in range(3):
        assert staff.login("reviewer", "wrong password").status_code == 401
        clock.advance(10)
    locked = staff.login("reviewer")  # even the right password: the pair is locked
    assert locked.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试" in locked.get_data(as_text=True)
    clock.advance(600)
    assert "请 5 分钟后再试" in staff.login("reviewer").get_data(as_text=True)
    other = Staff(staff.client.application.test_client())
    from_elsewhere = other.client.post("/login", environ_base={"REMOTE_ADDR": "10.1.2.3"},
                                       data={"username": "reviewer", "password": PASSWORD,
                                             "csrf_token": other.token()})
    assert from_elsewhere.status_code == 302  # another address is not locked out
    clock.advance(300)
    assert staff.login("reviewer").status_code == 302


def test_session_times_out_when_idle_and_activity_renews_it(staff, clock, app):
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 600
    staff.login("approver")
    for _ in range(3):
        clock.advance(590)
        assert staff.client.get("/").status_code == 200  # each request renews it
    clock.advance(601)
    page = staff.client.get("/")
    assert page.status_code == 302 and "expired=1" in page.headers["Location"]
    assert "登录已超时" in staff.client.get(page.headers["Location"]).get_data(as_text=True)
    staff.login("approver")
    clock.advance(601)
    api = staff.client.get("/api/status")
    assert api.status_code == 401 and "timed out" in api.get_json()["detail"]


def test_a_post_without_csrf_token_is_refused_with_a_clear_message(staff):
    staff.login("clerk")
    api = staff.client.post("/api/probe/write")
    body = api.get_json()
    assert api.status_code == 400 and set(KEYS) <= set(body)
    assert body["code"] == "VALIDATION_FAILED" and body["field"] == "csrf_token"
    assert "CSRF token is missing" in body["detail"] and "X-CSRFToken" in body["detail"]
    bad = staff.client.post("/api/probe/write", headers={"X-CSRFToken": "forged"})
    assert bad.status_code == 400 and bad.get_json()["field"] == "csrf_token"
    page = staff.client.post("/logout")
    assert page.status_code == 400 and "安全令牌" in page.get_data(as_text=True)
    assert staff.client.get("/").status_code == 200  # still logged in
    login = staff.client.post("/login", data={"username": "clerk", "password": PASSWORD})
    assert login.status_code == 400 and "安全令牌" in login.get_data(as_text=True)
    assert staff.post("/api/probe/write").get_json() == {"ok": True}


ALLOWED = {  # (method, path) → the roles that may; every other role gets 403
    ("GET", "/"): set(ROLES),
    ("GET", "/api/status"): set(ROLES),
    ("GET", "/probe/clerk"): {"clerk"},
    ("GET", "/api/probe/review"): {"reviewer", "approver"},
    ("GET", "/probe/admin"): {"center_admin"},
    ("POST", "/api/probe/write"): set(ROLES) - {"auditor"},  # auditors are read-only
    ("GET", f"/api/probe/case/{CENTER}"): set(ROLES),
    ("GET", f"/api/probe/case/{OTHER_CENTER}"): set(),  # another center's record
    ("GET", f"/probe/case/{OTHER_CENTER}"): set(),
}


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("method, path", sorted(ALLOWED))
def test_roles_and_center_decide(staff, method, path, role):
    assert staff.login(role.replace("_", "-")).status_code == 302
    response = staff.post(path) if method == "POST" else staff.client.get(path)
    if role in ALLOWED[(method, path)]:
        assert response.status_code == 200, response.get_data(as_text=True)
        return
    assert response.status_code == 403
    if path.startswith("/api/"):
        body = response.get_json()
        assert set(KEYS) <= set(body) and body["code"] == "FORBIDDEN" and body["status"] == 403
    else:
        assert "无权访问" in response.get_data(as_text=True)


def test_an_auditor_reads_but_cannot_write_and_can_log_out(staff):
    staff.login("auditor")
    assert staff.client.get("/api/status").status_code == 200
    refused = staff.post("/api/probe/write")
    assert refused.status_code == 403 and refused.get_json()["reason"] == "read_only"
    assert staff.post("/logout").status_code == 302


def test_a_disabled_user_cannot_log_in_and_loses_an_open_session(staff):
    staff.login("clerk")
    with database.connection_context():
        STAFF.disable_user("clerk")
    assert staff.client.get("/").status_code == 302
    refused = staff.login("clerk")
    assert refused.status_code == 403 and "已停用" in refused.get_data(as_text=True)


def test_the_password_is_never_stored_in_clear(app):
    stored = user("clerk").password_hash
    assert stored.startswith(("scrypt:", "pbkdf2:")) and PASSWORD not in stored
    for path in Path(app.config["HALLSYNC"]["data_dir"]).glob("node.db*"):
        assert PASSWORD.encode() not in path.read_bytes()


def test_secret_key_is_made_once_private_and_reused(app, tmp_path):
    path = tmp_path / "node" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_text()) == 64
    again = create_app({"data_dir": str(tmp_path / "node")})
    assert again.secret_key == app.secret_key == path.read_text()
    chosen = create_app({"data_dir": str(tmp_path / "node"), "secret_key": "k" * 40})
    assert chosen.secret_key == "k" * 40
    with pytest.raises(ConfigError, match="secret_key"):
        create_app({"data_dir": str(tmp_path / "node"), "secret_key": "short"})


# Views that answer without a login, on purpose. The catalog pages serve citizens too.
PUBLIC_ENDPOINTS = {"static"}  # Flask's own


def test_every_view_checks_login_or_says_it_is_public(app):
    for endpoint, view in app.view_functions.items():
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        # A citizen's pages are guarded by the citizen's own login (web.citizen_auth).
        assert (hasattr(view, "required_roles") or getattr(view, "public", False)
                or getattr(view, "citizen", False)), endpoint


# -- the CLI, through real `hallsync` processes ----------------------------------------


def run_hallsync(*args, stdin: str = "") -> subprocess.CompletedProcess:
    # A session of its own: without a terminal, click's hidden prompt reads standard input.
    return subprocess.run([sys.executable, "-m", "hallsync", *map(str, args)], input=stdin,
                          capture_output=True, text=True, env=child_env(), cwd=ROOT,
                          timeout=120, start_new_session=True)


def test_user_cli_add_list_disable(tmp_path):
    data_dir = tmp_path / "node"
    enroll_fake(data_dir)
    database.close()
    added = run_hallsync("node", "user", "add", "Alice", "--role", "clerk", "--role",
                         "reviewer", "--name", "张三", "--password-stdin", "--data-dir",
                         data_dir, "--json", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert orjson.loads(added.stdout.splitlines()[-1])["roles"] == ["clerk", "reviewer"]
    prompted = run_hallsync("node", "user", "add", "bob", "--role", "auditor", "--data-dir",
                            data_dir, stdin="password-of-bob\npassword-of-bob\n")
    assert prompted.returncode == 0, prompted.stderr
    listed = run_hallsync("node", "user", "list", "--data-dir", data_dir, "--json")
    users = orjson.loads(listed.stdout.splitlines()[-1])["users"]
    assert [(u["username"], u["display_name"], u["center"], u["disabled"]) for u in users] == [
        ("alice", "张三", CENTER, False), ("bob", "", CENTER, False)]
    assert "password" not in listed.stdout and PASSWORD not in listed.stdout
    assert run_hallsync("node", "user", "disable", "alice", "--data-dir",
                        data_dir).returncode == 0
    listed = run_hallsync("node", "user", "list", "--data-dir", data_dir)
    assert re.search(r"alice\s+停用", listed.stdout) and re.search(r"bob\s+启用", listed.stdout)
    app = create_app({"data_dir": str(data_dir), "TESTING": True})
    refused = Staff(app.test_client()).login("alice")
    assert refused.status_code == 403 and "已停用" in refused.get_data(as_text=True)
    assert Staff(app.test_client()).login("bob", "password-of-bob").status_code == 302


@pytest.mark.parametrize("args, stdin, message", [
    (["--role", "clerk", "--password-stdin"], "short\n", "VALIDATION_FAILED: 密码至少需要 8 个字符"),
    (["--role", "clerk", "--password-stdin"], "", "VALIDATION_FAILED: 标准输入中没有密码"),
    (["--role", "janitor", "--password-stdin"], PASSWORD + "\n", "Invalid value for '--role'"),
    (["--role", "clerk", "--password-stdin"], PASSWORD + "\n", "CONFLICT: 用户 carol 已存在"),
])
def test_user_cli_refuses_bad_input(tmp_path, args, stdin, message):
    data_dir = tmp_path / "node"
    enroll_fake(data_dir)
    with database.connection_context():
        add_user("carol", PASSWORD, ["clerk"], now_ms=START_MS)
    database.close()
    name = "carol" if "CONFLICT" in message else "dave"
    result = run_hallsync("node", "user", "add", name, *args, "--data-dir", data_dir,
                          stdin=stdin)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_user_cli_needs_an_enrolled_node(tmp_path):
    result = run_hallsync("node", "user", "add", "erin", "--role", "clerk", "--password-stdin",
                          "--data-dir", tmp_path / "node", stdin=PASSWORD + "\n")
    assert result.returncode == 2 and "NOT_ENROLLED" in result.stderr


# -- the security headers, on every response of both sites ---------------------------------

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
SAMPLE_ARGUMENTS = {"filename": "hallsync.css", "period": "month", "path": "x.pdf"}


def every_get_path(app) -> list[str]:
    """One path for each GET route of ``app``, its arguments filled with samples."""
    paths = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" in rule.methods:
                values = {name: SAMPLE_ARGUMENTS.get(name, "1") for name in rule.arguments}
                paths.append(url_for(rule.endpoint, **values))
    return sorted(paths)


@pytest.mark.parametrize("logged_in", [False, True])
def test_every_response_carries_the_security_headers(site, logged_in):
    """Pages, JSON, problems, redirects, CSV, static files: each GET route, and a few refusals."""
    visitor, username = site
    if logged_in:
        assert visitor.login(username).status_code == 302
    responses = {path: visitor.client.get(path)
                 for path in every_get_path(visitor.client.application)}
    responses["missing page"] = visitor.client.get("/no/such/page")
    responses["wrong method"] = visitor.client.put("/login")
    responses["unsigned sync"] = visitor.client.post("/sync/v1/pull", data=b"{")
    responses["login form post"] = visitor.login(username)
    assert {200, 302, 404, 405} <= {r.status_code for r in responses.values()}
    for name, response in responses.items():
        response.close()  # a static file's answer holds the file open
        for header, value in SECURITY_HEADERS.items():
            assert response.headers.get(header) == value, (name, response.status_code, header)


def test_a_header_the_response_set_itself_is_kept():
    from flask import Response

    from web.security_headers import HEADERS, _add_headers
    response = _add_headers(Response("x", headers={"referrer-policy": "no-referrer"}))
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert response.headers["X-Content-Type-Options"] == HEADERS["X-Content-Type-Options"]


def test_the_signed_apis_open_no_session(hub_app):
    """A node, a department's system or the SMS gateway proves each request by a signature:
    a cookie sent along is neither read nor renewed, while the staff's pages keep theirs."""
    assert set(hub_app.session_interface.signed_prefixes) == {"/sync/v1/", "/dept/v1/",
                                                              "/sms/v1/"}
    operator = Staff(hub_app.test_client())
    assert operator.login("operator").status_code == 302
    for path in ("/sync/v1/pull", "/dept/v1/results", "/sms/v1/receipts"):
        refused = operator.client.post(path, data=b"{")
        assert refused.status_code in (400, 401, 403) and "Set-Cookie" not in refused.headers, path
    page = operator.client.get("/api/csrf")
    assert page.status_code == 200 and "Set-Cookie" in page.headers  # the session renewed
    home = operator.client.get("/")
    assert home.status_code in (200, 302) and "/login" not in home.headers.get("Location", "")
