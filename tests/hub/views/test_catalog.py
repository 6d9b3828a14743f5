"""The hub's catalog pages: the matters, the versions and diffs, every center's version, the reform."""
from __future__ import annotations

import re

import pytest

from hub.app import create_app
from hub.catalog import authority as catalog
from hub.models import CenterState
from hub.models import database as hub_database
from sync import envelope as env
from sync.catalog_history import load_matters
from sync.catalog_search import money, search
from tests.catalog_changes import CHANGES, change, matter
from tests.processes import ROOT
from tests.staff import hub_staff


@pytest.fixture
def app(tmp_path):
    return create_app({"data_dir": str(tmp_path / "hub"), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auditor(app):
    """A logged-in hub auditor: the consistency view is for staff."""
    return hub_staff(app, "auditor", ["auditor"]).client


@pytest.fixture
def apply(app):
    """Apply a catalog change as the hub's operator would."""
    def apply_(body: dict) -> dict:
        with hub_database.connection_context():
            return catalog.apply_change(body, keys=app.extensions["hallsync"].keys)
    return apply_


def text(response) -> str:
    """The page's text without tags, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_list_searches_the_matters_in_force(client):
    page = client.get("/catalog/?q=投资项目核准").get_data(as_text=True)
    assert "企业投资项目核准" in page and "沈阳市政务服务中心" in page
    body = client.get("/api/catalog?q=发改委&level=city").get_json()
    expected = sorted(m.basic_code for m in load_matters()
                      if m.department == "ndrc" and "city" in m.levels)
    assert body["catalog_version"] == 1 and [r["code"] for r in body["matters"]] == expected
    assert client.get("/api/catalog").get_json()["count"] == 106


def test_a_matter_page_shows_its_materials(client):
    page = client.get("/catalog/SY01001").get_data(as_text=True)
    for material in matter("SY01001")["materials"]:
        assert material["name"] in page and material["issuer"] in page


def test_a_cancelled_matter_shows_when_and_why(client, apply):
    apply(CHANGES["cancel"])
    response = client.get("/catalog/SY01006")
    page = text(response)
    assert response.status_code == 200
    assert "已取消 ： 事项目录第 2 版（2026-12-01 起施行）已将该事项移出目录" in page
    assert "调整理由：测试cancel" in page
    assert "SY01006" not in [r["code"] for r in client.get("/api/catalog").get_json()["matters"]]


def test_a_merged_matter_links_to_what_replaced_it(client, apply):
    apply(CHANGES["merge"])
    page = client.get("/catalog/SY03006").get_data(as_text=True)
    assert "<b>已合并</b>" in page
    assert '<a href="/catalog/SY03001">合并后的事项（测试）（SY03001）</a>' in page


def test_a_converted_matter_says_so(client, apply):
    apply(CHANGES["convert"])
    assert "<b>已转为备案</b>" in client.get("/catalog/SY02006").get_data(as_text=True)


def test_history_and_diff(client, apply):
    apply(CHANGES["cancel"])
    apply(CHANGES["amend"])
    history = text(client.get("/catalog/history"))
    assert "第 3 版 变更 2026-12-01 市政务服务中心 王敏 测试amend" in history
    assert "第 2 版 取消" in history and "第 1 版 新增 2015-12-31 系统初始化" in history
    assert 'href="/catalog/diff?old=2&amp;new=3"' in client.get("/catalog/history").get_data(
        as_text=True)
    removed = text(client.get("/catalog/diff?old=1&new=2"))
    assert "事项数 106 → 105" in removed
    assert "移出 1 项" in removed and "SY01006 政府投资项目审批" in removed
    days = matter("SY04001")["promised_limit_days"]
    amended = text(client.get("/catalog/diff"))  # default: the latest against the one before
    assert "第 2 版 → 第 3 版" in amended
    assert f"承诺办结时限 {days} {days - 1}" in amended


@pytest.mark.parametrize("query", ["old=x", "new=99", "old=-1"])
def test_a_bad_diff_version_names_the_field(client, query):
    page = client.get(f"/catalog/diff?{query}")  # a person gets the page (web.errors)
    assert page.status_code == 422 and page.mimetype == "text/html"
    response = client.get(f"/catalog/diff?{query}", headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["detail"].split(":")[0] == query.split("=")[0]


def test_consistency_per_level_and_the_centers_behind(auditor, apply):
    client = auditor
    now = env.now_ms()
    with hub_database.connection_context():
        for code, version in (("210102001", 1), ("210102002", 0), ("210102", 1)):
            CenterState.create(code=code, enrolled_at=now, catalog_version=version,
                               calendar_version=1)  # the calendar is current everywhere
    apply(CHANGES["cancel"])
    apply(CHANGES["amend"])
    with hub_database.connection_context():
        CenterState.update(catalog_version=3).where(CenterState.code == "210102").execute()
    page = text(client.get("/catalog/consistency"))
    assert "街道 189 个中心：已接入 2，当前版本 0，落后 2" in page
    assert "区县 14 个中心：已接入 1，当前版本 1，落后 0" in page
    assert "分中心 5 个中心：已接入 0，当前版本 0，落后 0" in page
    html = client.get("/catalog/consistency").get_data(as_text=True)
    lagging = re.findall(r'<td class="code">([0-9A-Z]+)</td>', html)
    assert lagging[:2] == ["210102002", "210102001"]  # 3 behind, then 2 behind
    assert "210102" not in lagging and len(lagging) == 5 + 14 + 189 - 1
    by_code = re.findall(r'<td class="code">([0-9A-Z]+)</td>',
                         client.get("/catalog/consistency?sort=code").get_data(as_text=True))
    assert by_code == sorted(by_code)
    body = client.get("/api/catalog/consistency").get_json()
    assert body["version"] == 3
    assert body["levels"]["street"] == {"centers": 189, "enrolled": 2, "current": 0, "behind": 2,
                                        "calendar_behind": 0}
    row = next(c for c in body["centers"] if c["code"] == "210102001")
    assert (row["level"], row["version"], row["behind"]) == ("street", 1, 2)


def test_consistency_refuses_an_unknown_sort(auditor):
    response = auditor.get("/catalog/consistency?sort=random",
                           headers={"Accept": "application/json"})
    assert response.status_code == 422 and response.get_json()["code"] == "VALIDATION_FAILED"
    assert auditor.get("/catalog/consistency?sort=random").mimetype == "text/html"


def test_the_reform_page_is_computed_from_the_history(client):
    page = text(client.get("/catalog/reform"))
    assert "1,229 → 106，精简 91%" in page
    assert "沈阳市第一批取消和调整行政审批事项 2002-07-01 起施行" in page
    assert "1,229 项 → 301 项（减少 928 项）" in page
    assert "本市自行设立的审批事项，没有法律、法规依据，原则上全部取消" in page
    # The 2015-10 merge into 食品经营许可 is after the history (established): one more cancel.
    assert "取消 794 项，下放 120 项，合并 17 项，转换为备案 192 项" in page
    assert len(re.findall(r"\d{4}-\d{2}-\d{2} 起施行", page)) == 6


def test_output_is_escaped(client, apply):
    hostile = {**matter("SY04001"), "basic_code": "SY04999", "implementation_code": "SY04999",
               "national_code": "21010000GX-XK-0999",
               "name": "<script>alert(1)</script>"}
    apply({**change("add", matters=[hostile]), "reason": "<img src=x onerror=alert(2)>"})
    for path in ("/catalog/?q=SY04999", "/catalog/SY04999", "/catalog/history", "/catalog/diff"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "<img" not in page, path
        assert "&lt;script&gt;" in page or "&lt;img" in page, path


def test_the_hub_shows_the_nodes_catalog_templates_and_style(client):
    assert not (ROOT / "hub" / "templates" / "catalog" / "list.html").exists()
    css = client.get("/static/hallsync.css")
    assert css.status_code == 200
    css.close()
    page = client.get("/catalog/").get_data(as_text=True)
    assert "/catalog/history" in page  # the hub's own frame around the node's list


@pytest.mark.parametrize("fen, shown", [(0, "¥0.00"), (5, "¥0.05"), (1250, "¥12.50"),
                                        (123456789, "¥1,234,567.89")])
def test_money(fen, shown):
    assert money(fen) == shown


def test_search_is_sorted_by_code_and_matches_codes_in_any_case():
    matters = [{**matter("SY04001")}, {**matter("SY01001")}]
    assert [m["basic_code"] for m in search(matters)] == ["SY01001", "SY04001"]
    assert [m["basic_code"] for m in search(matters, q="sy04")] == ["SY04001"]
