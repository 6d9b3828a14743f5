"""A member of staff in a Flask test client: logs in and posts with the CSRF token."""
from __future__ import annotations

PASSWORD = "窗口-correct-horse"


class Staff:
    """A browser of one member of staff (a node's or the hub's)."""

    def __init__(self, client):
        self.client = client

    def token(self) -> str:
        return self.client.get("/api/csrf").get_json()["csrf_token"]

    def login(self, username: str, password: str = PASSWORD, **kw):
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": self.token(), **kw})

    def post(self, path: str, **kw):
        return self.client.post(path, headers={"X-CSRFToken": self.token()}, **kw)

    def submit(self, path: str, data: dict):
        """A form post, as the page's form sends it (the token as a field)."""
        return self.client.post(path, data={**data, "csrf_token": self.token()})


def hub_staff(app, username: str = "operator", roles=("operator",),
              scope: str | None = None) -> Staff:
    """A login at a hub app (made if missing), already logged in."""
    from hub.models import database
    from hub.staff import HUB_STAFF
    with database.connection_context():
        if HUB_STAFF.user.get_or_none(HUB_STAFF.user.username == username) is None:
            HUB_STAFF.add_user(username, PASSWORD, roles, scope=scope, now_ms=1)
    member = Staff(app.test_client())
    assert member.login(username).status_code == 302
    return member


def hub_account(hub, username: str, role: str, *, scope: str | None = None,
                name: str = "") -> None:
    """A login at a running hub process, made with ``hallsync hub user add``."""
    hub.cli("user", "add", username, "--role", role, *(("--scope", scope) if scope else ()),
            "--name", name or username, "--password-stdin", input=PASSWORD + "\n")


def browser_login(page, base_url: str, username: str, next_path: str) -> None:
    """Log in through the login form in a browser page, and land on ``next_path``."""
    page.goto(f"{base_url}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_path}")
