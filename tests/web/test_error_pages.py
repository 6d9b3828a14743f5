"""An error on a page is a page: in the site's frame, in Chinese, naming what to correct,
with the way back; the API and the sync protocol keep answering problem JSON (issue 16)."""
from __future__ import annotations

import re

import pytest

from hub.app import create_app as create_hub
from tests.node.test_window import app, seed, staff  # noqa: F401  (fixtures)
from tests.staff import hub_staff

ENGLISH = re.compile(r"[A-Za-z]{3,}")


def problem_text(html: str) -> str:
    return re.search(r'<div class="banner error" role="alert"[^>]*>(.*?)</div>', html, re.S).group(1)


@pytest.fixture
def operator(tmp_path):
    return hub_staff(create_hub({"data_dir": str(tmp_path / "hub"), "TESTING": True}),
                     "wangmin", ["operator"]).client


@pytest.mark.parametrize("path, status, title, says", [
    ("/dashboard?period=month&date=2026/11", 422, "输入有误", "日期：按月查看时应写作年-月，例如 2026-11"),
    ("/dashboard?period=quarter&date=2026-Q5", 422, "输入有误", "日期：按季度查看时应写作年-Q季度"),
    ("/dashboard?start=2026-13-01", 422, "输入有误", "开始日期：日期应写作年-月-日"),
    ("/dashboard?start=2026-10-05&end=2026-10-01", 422, "输入有误", "结束日期：结束日期不能早于开始日期"),
    ("/dashboard?period=week", 422, "输入有误", "周期：周期应为日、月、季度或年"),
    ("/dashboard?department=nosuch", 422, "输入有误", "部门：未知的部门代码"),
    ("/dashboard?center=999999", 404, "未找到页面", "没有编码为 &#39;999999&#39; 的中心"),
    ("/reports/week", 422, "输入有误", "周期：报表应为月报、季报、年报之一"),
    ("/no/such/page", 404, "未找到页面", "您要找的页面不存在"),
])
def test_bad_input_on_a_hub_page_is_a_page_in_the_frame(operator, path, status, title, says):
    answer = operator.get(path)
    html = answer.get_data(as_text=True)
    assert (answer.status_code, answer.mimetype) == (status, "text/html"), html[:300]
    assert '<header class="top">' in html and f"<h1>{title}</h1>" in html
    assert says in problem_text(html)
    said = re.sub(r"&#39;.*?&#39;", "", problem_text(html))  # what the user typed, quoted
    assert not ENGLISH.search(said), said
    assert 'href="/dashboard"' in html or 'href="/reports/week"' in html or "返回首页" in html


@pytest.mark.parametrize("path, status, code, field", [
    ("/api/stats?period=month&date=2026/11", 422, "VALIDATION_FAILED", "date"),
    ("/api/stats?center=999999", 404, "CENTER_UNKNOWN", None),
    ("/api/no-such", 404, "NOT_FOUND", None),
])
def test_the_api_keeps_answering_problem_json(operator, path, status, code, field):
    answer = operator.get(path)
    body = answer.get_json()
    assert (answer.status_code, body["code"], body.get("field")) == (status, code, field)


def test_a_script_asking_for_json_on_a_page_gets_json(operator):
    answer = operator.get("/dashboard?period=month&date=2026/11",
                          headers={"Accept": "application/json"})
    assert answer.status_code == 422 and answer.get_json()["field"] == "date"


def test_a_node_page_error_is_a_page_in_its_frame(staff):  # noqa: F811
    clerk = staff("clerk")
    answer = clerk.get("/no/such/page")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert '<header class="top">' in html and "您要找的页面不存在" in problem_text(html)
    api = clerk.get("/api/no/such")
    assert api.status_code == 404 and api.get_json()["code"] == "NOT_FOUND"


def test_a_server_error_raised_by_the_http_layer_keeps_its_own_code(tmp_path):
    """An HTTP exception of 5xx is the server's fault, never the client's input."""
    from werkzeug.exceptions import ServiceUnavailable
    app = create_hub({"data_dir": str(tmp_path / "hub"), "TESTING": True})

    @app.get("/api/unavailable")
    def _unavailable():
        raise ServiceUnavailable("maintenance")

    answer = app.test_client().get("/api/unavailable")
    assert answer.status_code == 503
    assert answer.get_json()["code"] == "INTERNAL"
