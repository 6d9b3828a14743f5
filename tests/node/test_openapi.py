"""``node/openapi.json`` describes exactly the node's /api/ routes, and real answers fit it.

The schema check is a small hand-written one (type, required keys, properties,
items, allOf, enum, $ref): enough to catch a renamed or dropped key without a
new dependency.
"""
from __future__ import annotations

import json
import re

import pytest

from node.api import OPENAPI
from node.app import create_app
from tests.openapi_check import Schemas
from tests.node.test_window import (API_INTAKE, Staff, app, at, new_case, seed,  # noqa: F401
                                    staff)

DOC = json.loads(OPENAPI.read_text(encoding="utf-8"))
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found |= {(path, method.lower()) for method in rule.methods - IGNORED_METHODS}
    return found


def documented() -> set[tuple[str, str]]:
    return {(path, method) for path, item in DOC["paths"].items() for method in item}


def test_every_api_route_is_documented_and_nothing_else(tmp_path):
    app = create_app({"data_dir": str(tmp_path / "node"), "TESTING": True})
    assert routes(app) == documented()


def test_the_document_is_served_as_is(app):  # noqa: F811
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == DOC and DOC["openapi"].startswith("3.1")


def test_every_reference_resolves_and_every_operation_names_its_errors():
    text = OPENAPI.read_text(encoding="utf-8")
    for target in re.findall(r'"\$ref": "#/([^"]+)"', text):
        node = DOC
        for part in target.split("/"):
            assert part in node, target
            node = node[part]
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            if operation.get("security", DOC["security"]):
                assert {"401", "403"} <= codes, (path, method)
            if method == "post":
                assert {"400", "422"} <= codes, (path, method)
    problem = DOC["components"]["schemas"]["Problem"]
    assert problem["required"] == ["code", "status", "title", "detail"]


SCHEMAS = Schemas(DOC)
resolve, check = SCHEMAS.resolve, SCHEMAS.check


def response_schema(path: str, method: str, status: int) -> dict:
    answer = resolve(DOC["paths"][path][method]["responses"][str(status)])
    return answer["content"]["application/json"]["schema"]


def test_the_checker_catches_a_missing_key():
    with pytest.raises(AssertionError, match="missing 'deadline'"):
        check({"$ref": "#/components/schemas/Clock"},
              {"clock": None, "clock_label": "", "provisional": False, "remaining": None,
               "warning": None, "warning_label": "不计时", "paused": False})
    with pytest.raises(AssertionError, match=r"\$.warning: 'blue' not in"):
        check({"$ref": "#/components/schemas/Clock"},
              {"clock": None, "clock_label": "", "deadline": None, "provisional": False,
               "remaining": None, "warning": "blue", "warning_label": "", "paused": False})


def test_real_answers_fit_their_schemas(app, staff, at):  # noqa: F811
    at(None)
    number = new_case(app)
    new_case(app, "complete_immediate", code="SY24006",
             materials=[m for m in ("企业变更登记申请书", "变更决议或决定", "修改后的公司章程或章程修正案")],
             document_number="沈市监变字1号")
    clerk, reviewer, auditor = staff("clerk"), staff("reviewer"), staff("auditor")
    answers = [
        ("/api/csrf", "get", clerk.get("/api/csrf")),
        ("/api/status", "get", clerk.get("/api/status")),
        ("/api/catalog", "get", clerk.get("/api/catalog?q=电力")),
        ("/api/cases", "get", clerk.get("/api/cases?q=沈阳")),
        ("/api/cases", "post", clerk.json("/api/cases", API_INTAKE)),
        ("/api/cases/{number}", "get", clerk.get(f"/api/cases/{number}")),
        ("/api/cases/{number}/actions", "post", reviewer.json(
            f"/api/cases/{number}/actions", {"action": "start_review", "data": {"reason": "开始"}})),
        ("/api/queue", "get", reviewer.get("/api/queue")),
        ("/api/queue", "get", auditor.get("/api/queue")),
        ("/api/figures", "get", auditor.get("/api/figures")),
        # and the errors
        ("/api/cases", "get", staff(None).get("/api/cases")),
        ("/api/cases", "post", auditor.json("/api/cases", API_INTAKE)),
        ("/api/cases", "post", clerk.client.post("/api/cases", json=API_INTAKE)),
        ("/api/cases", "post", clerk.json("/api/cases", {**API_INTAKE, "matter_code": "SY99999"})),
        ("/api/cases/{number}", "get", clerk.get("/api/cases/210103-20261127-00001")),
        ("/api/cases/{number}", "get", clerk.get("/api/cases/210102-20200101-00001")),
        ("/api/cases/{number}/actions", "post", clerk.json(
            f"/api/cases/{number}/actions", {"action": "deliver", "data": {"method": "window"}})),
        ("/api/queue", "get", clerk.get("/api/queue?role=reviewer")),
    ]
    statuses = []
    for path, method, response in answers:
        statuses.append(response.status_code)
        check(response_schema(path, method, response.status_code), response.get_json(),
              f"{method.upper()} {path} {response.status_code}")
    assert statuses == [200] * 4 + [201] + [200] * 5 + [401, 403, 400, 422, 403, 404, 409, 403]


def test_answers_of_citations_and_key_projects_fit(app, staff, at):  # noqa: F811
    from tests.node.test_key_projects import example_json
    from tests.node.test_precedents import decided, new_case as made, to_approval
    at(None)
    admin, clerk, approver = staff("center-admin"), staff("clerk"), staff("approver")
    cited = decided(app, "沈电审〔2026〕7号", "施工方案满足安全距离要求")
    number = to_approval(app, made(app))
    answers = [
        ("/api/projects", "post", admin.json("/api/projects", example_json())),
        ("/api/projects", "get", clerk.get("/api/projects?year=2026")),
        ("/api/projects/{year}/{code}", "get", clerk.get("/api/projects/2026/ZD2026-002")),
        ("/api/cases", "post", clerk.json("/api/cases", {
            **API_INTAKE, "key_project": {"year": 2026, "code": "ZD2026-002", "step": 5}})),
        ("/api/cases/{number}/precedents", "get",
         approver.get(f"/api/cases/{number}/precedents?q=安全距离")),
        ("/api/cases/{number}/actions", "post", approver.json(
            f"/api/cases/{number}/actions", {"action": "decide", "data": {
                "outcome": "approved", "document_number": "沈电审〔2026〕8号",
                "precedent": {"number": cited, "note": "同类施工方案"}}})),
        # and the errors
        ("/api/projects", "post", clerk.json("/api/projects", example_json())),
        ("/api/projects", "post", admin.json("/api/projects", {"year": 2026, "projects": []})),
        ("/api/projects", "post", admin.json("/api/projects", {
            **example_json(), "projects": example_json()["projects"][:1]})),
        ("/api/projects", "get", clerk.get("/api/projects?year=abc")),
        ("/api/projects/{year}/{code}", "get", clerk.get("/api/projects/2026/ZD2099-009")),
        ("/api/cases/{number}/precedents", "get",
         approver.get("/api/cases/210102-20200101-00009/precedents")),
        ("/api/cases/{number}/precedents", "get",
         approver.get(f"/api/cases/{number}/precedents?q={'长' * 101}")),
    ]
    statuses = []
    for path, method, response in answers:
        statuses.append(response.status_code)
        check(response_schema(path, method, response.status_code), response.get_json(),
              f"{method.upper()} {path} {response.status_code}")
    assert statuses == [200, 200, 200, 201, 200, 200, 403, 422, 409, 422, 404, 404, 422]
