"""Logins at the hub: scopes, every view marked, and the catalog changed on its pages."""
from __future__ import annotations

import re

import orjson
import pytest

from hub.app import create_app
from hub.catalog import authority as catalog
from hub.models import CatalogVersion, HubMessage
from hub.models import database as hub_database
from hub.staff import HUB_STAFF
from sync.errors import ValidationError
from tests.catalog_changes import matter
from tests.conftest import BACKENDS
from tests.staff import PASSWORD, Staff, hub_staff

DISTRICT, STREET, OTHER_STREET = "210102", "210102001", "210103001"
ACCOUNTS = {"operator": (["operator"], None), "auditor": (["auditor"], None),
            "heping": (["district_admin"], DISTRICT)}


@pytest.fixture(params=BACKENDS)
def app(request, tmp_path):
    url = (f"sqlite:///{tmp_path}/hub.db" if request.param == "sqlite"
           else request.getfixturevalue("pg_database"))
    app = create_app({"data_dir": str(tmp_path / "hub"), "database_url": url, "TESTING": True})
    with hub_database.connection_context():
        for name, (roles, scope) in ACCOUNTS.items():
            HUB_STAFF.add_user(name, PASSWORD, roles, scope=scope, display_name=f"{name}甲",
                               now_ms=1)
    return app


def staff(app, username: str | None = None) -> Staff:
    """A logged-in member of ``ACCOUNTS``, or an anonymous visitor."""
    return hub_staff(app, username) if username else Staff(app.test_client())


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def versions() -> int:
    with hub_database.connection_context():
        return catalog.current_version()


# -- accounts and scopes -------------------------------------------------------------------

def test_scopes_follow_the_roles(app):
    with hub_database.connection_context():
        with pytest.raises(ValidationError) as no_scope:
            HUB_STAFF.add_user("x1", PASSWORD, ["district_admin"], now_ms=1)
        with pytest.raises(ValidationError) as street_scope:
            HUB_STAFF.add_user("x2", PASSWORD, ["district_admin"], scope=STREET, now_ms=1)
        with pytest.raises(ValidationError) as narrowed:
            HUB_STAFF.add_user("x3", PASSWORD, ["operator"], scope=DISTRICT, now_ms=1)
        with pytest.raises(ValidationError) as node_role:
            HUB_STAFF.add_user("x4", PASSWORD, ["clerk"], now_ms=1)
        listed = {u["username"]: u["center"] for u in HUB_STAFF.list_users()}
    assert {no_scope.value.field, street_scope.value.field, narrowed.value.field} == {"scope"}
    assert node_role.value.field == "role"
    assert listed == {"auditor": "210100", "heping": DISTRICT, "operator": "210100"}


def test_every_hub_view_checks_a_login_or_says_it_is_public(app):
    for endpoint, view in app.view_functions.items():
        if endpoint != "static":  # a citizen's own pages: the citizen's login (web.citizen_auth)
            assert (hasattr(view, "required_roles") or getattr(view, "public", False)
                    or getattr(view, "citizen", False)), endpoint


def test_citizens_read_the_catalog_but_staff_views_need_a_login(app):
    anonymous = app.test_client()
    assert anonymous.get("/catalog/").status_code == 200
    assert anonymous.get("/api/catalog").get_json()["count"] == 106
    assert anonymous.get("/api/coverage").get_json()["code"] == "NOT_AUTHENTICATED"
    assert anonymous.get("/api/catalog/consistency").status_code == 401
    page = anonymous.get("/catalog/consistency")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert "工作人员登录" in anonymous.get("/catalog/").get_data(as_text=True)


def test_a_district_admin_sees_only_its_district(app):
    heping = staff(app, "heping")
    view = heping.client.get("/api/coverage").get_json()
    codes = {c["code"] for c in view["centers"]}
    assert STREET in codes and DISTRICT in codes and OTHER_STREET not in codes
    assert view["tree"]["code"] == DISTRICT and view["totals"]["centers"] == len(codes)
    everything = staff(app, "auditor").client.get("/api/coverage").get_json()
    assert OTHER_STREET in {c["code"] for c in everything["centers"]}
    assert everything["totals"]["centers"] == 208


# -- the catalog changed on the hub's pages ------------------------------------------------

def cancel_form(code: str = "SY01006", **extra) -> dict:
    return {"op": "cancel", "codes": code, "reason": "国务院决定取消", "effective_date": "2026-12-01",
            **extra}


def test_an_operator_previews_then_publishes_a_change(app):
    operator = staff(app, "operator")
    form = operator.client.get("/catalog/changes/new?op=cancel&code=SY01006")
    assert form.status_code == 200 and 'value="SY01006"' in form.get_data(as_text=True)
    preview = operator.submit("/catalog/changes/preview", cancel_form())
    shown = text(preview)
    assert preview.status_code == 200 and "预览：第 2 版（取消）" in shown
    assert "106 → 107" not in shown and "106 → 105" in shown and "SY01006" in shown
    assert versions() == 1  # a preview changes nothing
    published = operator.submit("/catalog/changes", cancel_form(base_version="1"))
    assert published.status_code == 302 and published.headers["Location"].endswith("/catalog/history")
    history = operator.client.get("/catalog/history")
    assert "已发布第 2 版（取消）" in text(history)
    with hub_database.connection_context():
        body = orjson.loads(CatalogVersion.get_by_id(2).body)
        sent = HubMessage.select().where(HubMessage.type == "catalog.version").count()
    assert body["removed"] == [{"code": "SY01006", "status": "cancelled"}]
    assert body["author"] == "沈阳市政务服务中心 operator甲（operator）" and sent == 2


def test_an_amendment_starts_from_the_matter_as_it_stands(app):
    operator = staff(app, "operator")
    page = operator.client.get("/catalog/SY04001").get_data(as_text=True)
    assert "变更此事项" in page and "/catalog/changes/new?op=amend&amp;code=SY04001" in page
    form = operator.client.get("/catalog/changes/new?op=amend&code=SY04001").get_data(as_text=True)
    prefilled = re.search(r'<textarea id="matters"[^>]*>(.*?)</textarea>', form, re.S).group(1)
    edited = orjson.loads(prefilled.replace("&#34;", '"').replace("&quot;", '"'))
    assert edited["basic_code"] == "SY04001" and "version" not in edited
    edited["promised_limit_days"] = matter("SY04001")["promised_limit_days"] - 1
    shown = text(operator.submit("/catalog/changes/preview", {
        "op": "amend", "matters": orjson.dumps(edited).decode(), "reason": "压缩承诺时限",
        "effective_date": "2026-12-01"}))
    assert "变更 1 项" in shown and "承诺办结时限" in shown


@pytest.mark.parametrize("form, field, message", [
    (cancel_form(reason=""), "reason", "reason: 必填"),
    (cancel_form(code="SY99999"), "codes[0]", "不在现行目录中"),
    (cancel_form(effective_date="2026-13-01"), "effective_date", "YYYY-MM-DD"),
    ({"op": "amend", "matters": "{not json", "reason": "r", "effective_date": "2026-12-01"},
     "matters", "不是有效的 JSON"),
    ({"op": "amend", "matters": orjson.dumps({**matter("SY04001"), "online_depth": 9}).decode(),
      "reason": "r", "effective_date": "2026-12-01"}, "matters[0].online_depth", "online_depth"),
])
def test_a_bad_change_names_its_field_and_changes_nothing(app, form, field, message):
    operator = staff(app, "operator")
    for path in ("/catalog/changes/preview", "/catalog/changes"):
        response = operator.submit(path, {**form, "base_version": "1"})
        assert response.status_code == 400 and message in text(response), text(response)
        assert 'class="banner error"' in response.get_data(as_text=True)
    assert versions() == 1


def test_a_stale_preview_is_not_published(app):
    operator = staff(app, "operator")
    assert operator.submit("/catalog/changes", cancel_form(base_version="1")).status_code == 302
    stale = operator.submit("/catalog/changes", cancel_form("SY01011", base_version="1"))
    assert stale.status_code == 400 and "请重新预览" in text(stale) and versions() == 2


@pytest.mark.parametrize("who", [None, "auditor", "heping"])
def test_only_operators_change_the_catalog(app, who):
    member = staff(app, who)
    form = member.client.get("/catalog/changes/new")
    posted = member.submit("/catalog/changes", cancel_form(base_version="1"))
    if who is None:
        assert form.status_code == 302 and posted.status_code == 302  # to the login page
    else:
        assert form.status_code == 403 and posted.status_code == 403
        assert "变更此事项" not in member.client.get("/catalog/SY04001").get_data(as_text=True)
    assert versions() == 1


def test_a_district_admin_sees_its_own_centers_catalog_versions(app):
    heping = staff(app, "heping").client.get("/api/catalog/consistency").get_json()
    codes = {c["code"] for c in heping["centers"]}
    assert DISTRICT in codes and STREET in codes and OTHER_STREET not in codes
    assert sum(level["centers"] for level in heping["levels"].values()) == len(codes)
    city = staff(app, "auditor").client.get("/api/catalog/consistency").get_json()
    assert len(city["centers"]) == 208
