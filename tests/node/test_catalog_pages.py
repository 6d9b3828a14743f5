"""The node's catalog pages: search, a matter's page, forms, banners, escaping, the JSON API.

The node gets its catalog the real way: it enrolls with an in-process hub and
pulls the hub's signed versions.
"""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from hub.app import create_app as create_hub
from hub.catalog import authority as hub_catalog
from hub.ledger.enrollment import make_token
from hub.models import database as hub_database
from node.app import create_app as create_node
from node.app import load_settings
from node.enroll import enroll
from node.syncer import Node
from sync import envelope as env
from sync.catalog_history import load_departments, load_matters
from tests.catalog_changes import CHANGES, change, matter

CENTER = "210102001"


class CatalogNode:
    """An in-process hub and one node enrolled with it; ``client()`` is the node's pages."""

    def __init__(self, tmp_path):
        self.hub = create_hub({"data_dir": str(tmp_path / "hub")})
        self.server = make_server("127.0.0.1", 0, self.hub, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{self.server.server_port}"
        with hub_database.connection_context():
            token = make_token(CENTER, hub_keys=self.hub.extensions["hallsync"].keys, ttl_s=60,
                               now_ms=env.now_ms())
        self.data_dir = tmp_path / "node"
        self.settings = load_settings({"data_dir": str(self.data_dir)})
        enroll(self.data_dir, url, token, self.settings)
        self.pull()

    def change(self, body: dict) -> None:
        """Apply a catalog change at the hub and pull it to the node."""
        with hub_database.connection_context():
            hub_catalog.apply_change(body, keys=self.hub.extensions["hallsync"].keys)
        self.pull()

    def pull(self) -> None:
        node = Node(self.data_dir, self.settings)
        try:
            assert node.pull().problems == []
        finally:
            node.close()

    def client(self):
        return create_node({"data_dir": str(self.data_dir), "TESTING": True}).test_client()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def center(tmp_path):
    node = CatalogNode(tmp_path)
    yield node
    node.close()


@pytest.fixture
def client(center):
    return center.client()


def codes(client, query: str) -> list[str]:
    response = client.get(f"/api/catalog?{query}")
    assert response.status_code == 200, response.get_json()
    return [row["code"] for row in response.get_json()["matters"]]


def test_the_list_shows_the_version_and_every_matter(client):
    page = client.get("/catalog/").get_data(as_text=True)
    assert "事项目录第 <b>1</b> 版" in page and "现行事项 <b>106</b> 项" in page
    assert '<b id="count">106</b>' in page
    assert "企业投资项目核准" in page and "和平区" in page  # the center's name in the frame


def test_search_by_a_chinese_name_fragment(client):
    page = client.get("/catalog/", query_string={"q": "投资项目"}).get_data(as_text=True)
    assert "企业投资项目核准" in page and "政府投资项目审批" in page
    expected = sorted(m.basic_code for m in load_matters() if "投资项目" in m.name)
    assert codes(client, "q=投资项目") == expected


def test_search_by_code_ignores_case(client):
    assert codes(client, "q=sy01001") == ["SY01001"]
    assert codes(client, "q=SY0100121010001") == ["SY01001"]  # the implementation code


@pytest.mark.parametrize("word", ["市发展和改革委员会", "发改委", "发展和改革"])
def test_search_by_department_name_or_short_name(client, word):
    expected = sorted(m.basic_code for m in load_matters() if m.department == "ndrc")
    assert codes(client, f"q={word}") == expected


def test_every_word_must_match(client):
    assert codes(client, "q=发改委 核准") == ["SY01001"]


@pytest.mark.parametrize("query, check", [
    ("level=street", lambda m: "street" in m.levels),
    ("depth=4", lambda m: m.online_depth == 4),
    ("type=20", lambda m: m.type == "20"),
    ("department=market", lambda m: m.department == "market"),
    ("level=district&depth=3", lambda m: "district" in m.levels and m.online_depth == 3),
])
def test_filters(client, query, check):
    expected = sorted(m.basic_code for m in load_matters() if check(m))
    assert expected and codes(client, query) == expected


def test_the_filter_form_keeps_its_values_and_lists_departments(client):
    page = client.get("/catalog/?q=许可&level=street&depth=4").get_data(as_text=True)
    assert 'value="许可"' in page
    assert '<option value="street" selected>' in page and '<option value="4" selected>' in page
    assert f'<option value="ndrc" >{load_departments()["ndrc"].name}</option>' in page


def test_a_bad_filter_is_named_on_the_page_and_refused_by_the_api(client):
    page = client.get("/catalog/?level=moon").get_data(as_text=True)
    assert "查询条件有误" in page and "moon" in page
    response = client.get("/api/catalog?depth=9")
    body = response.get_json()
    assert response.status_code == 422 and body["code"] == "VALIDATION_FAILED"
    assert body["detail"].startswith("depth:")


def test_the_api_rows(client):
    body = client.get("/api/catalog?q=SY01001").get_json()
    assert body["catalog_version"] == 1 and body["count"] == 1
    assert body["matters"] == [{"code": "SY01001", "national_code": "21010000FG-XK-0001",
                                "name": "企业投资项目核准", "department": "ndrc",
                                "levels": ["city"], "type": "01", "online_depth": 3,
                                "promised_limit_days": 5}]


def test_a_matter_page_shows_materials_limits_fees_and_forms(client):
    page = client.get("/catalog/SY01001").get_data(as_text=True)
    m = matter("SY01001")
    for text in ("SY0100121010001", "行政许可", "市发展和改革委员会", "市自然资源局",
                 m["legal_basis"], "20 个工作日", "5 个工作日", "联办件", m["acceptance_conditions"],
                 "建设项目用地预审与选址意见书", "自然资源主管部门", "必备", "非必备", "电子证照可复用",
                 "不收费", "Ⅲ级（网上申请、预审）", "1 次", "项目申请报告（填写示例）", "2017-02-01"):
        assert text in page, text
    assert "已取消" not in page


def test_fees_are_shown_in_yuan(client):
    with_fee = next(m for m in load_matters() if m.fees)
    page = client.get(f"/catalog/{with_fee.basic_code}").get_data(as_text=True)
    fee = with_fee.fees[0]
    assert f"¥{fee.amount_fen // 100:,}.{fee.amount_fen % 100:02d} / {fee.unit}" in page


def test_a_form_not_in_the_store_is_named_not_linked(center, client):
    page = client.get("/catalog/SY01001").get_data(as_text=True)
    assert page.count("表格文件尚未上传") == 2 and "/catalog/forms/" not in page
    stored = center.data_dir / "forms" / "SY01001" / "application.docx"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"PK\x03\x04 a real form")
    page = client.get("/catalog/SY01001").get_data(as_text=True)
    assert page.count("表格文件尚未上传") == 1
    assert 'href="/catalog/forms/SY01001/application.docx"' in page
    with client.get("/catalog/forms/SY01001/application.docx") as download:
        assert download.status_code == 200 and download.data == b"PK\x03\x04 a real form"
        assert "attachment" in download.headers["Content-Disposition"]


@pytest.mark.parametrize("path", ["/catalog/forms/SY01001/application-sample.pdf",
                                  "/catalog/forms/../node.key", "/catalog/forms/%2e%2e/node.key"])
def test_form_downloads_never_leave_the_store(client, path):
    response = client.get(path)
    assert response.status_code == 404 and "<h1>未找到页面</h1>" in response.get_data(as_text=True)


def test_an_unknown_matter_is_a_chinese_404_page(client):
    response = client.get("/catalog/SY99999")
    assert response.status_code == 404 and "未找到事项" in response.get_data(as_text=True)


@pytest.mark.parametrize("op, code, banner", [
    ("cancel", "SY01006", "已取消"), ("convert", "SY02006", "已转为备案"),
    ("merge", "SY03006", "已合并"),
])
def test_a_matter_that_left_the_catalog_shows_a_banner(center, op, code, banner):
    center.change(CHANGES[op])
    client = center.client()
    response = client.get(f"/catalog/{code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="status-banner"><b>{banner}</b>' in page and "事项目录第 2 版" in page
    assert code not in codes(client, "")
    assert "事项目录第 <b>2</b> 版" in client.get("/catalog/").get_data(as_text=True)


def test_output_is_escaped(center):
    hostile = {**matter("SY04001"), "basic_code": "SY04999",
               "implementation_code": "SY0499921010001", "national_code": "21010000GX-XK-0999",
               "name": "<script>alert(1)</script>测试事项"}
    center.change(change("add", matters=[hostile]))
    client = center.client()
    listed = client.get("/catalog/?q=测试事项").get_data(as_text=True)
    shown = client.get("/catalog/SY04999").get_data(as_text=True)
    for page in (listed, shown):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;测试事项" in page
        assert "<script>" not in page
    assert 'value="&lt;script' not in listed  # the query box echoes only what was typed
    echoed = client.get("/catalog/", query_string={"q": '"><b>x'}).get_data(as_text=True)
    assert 'value="&#34;&gt;&lt;b&gt;x"' in echoed


def test_a_node_without_a_catalog_says_so(tmp_path):
    client = create_node({"data_dir": str(tmp_path / "fresh"), "TESTING": True}).test_client()
    page = client.get("/catalog/").get_data(as_text=True)
    assert "尚未收到市中心下发的事项目录" in page and "尚未接入" in page
    assert client.get("/api/catalog").get_json() == {"catalog_version": 0, "count": 0,
                                                       "matters": []}
