"""The window's JSON API: logins, roles, CSRF, this center only, the state machine."""
from __future__ import annotations

import pytest

from node import store
from node.app import create_app
from node.models import Case, OutboxEvent
from node.users import add_user
from sync import envelope as env
from tests.catalog_changes import matter

CENTER = "210102"
ENTERPRISE = {"kind": "enterprise", "name": "沈阳某建设有限公司",
              "id_code": "91210100MA0Q123430", "phone": "02423456789"}
INTAKE = {"matter_code": "SY04001", "applicant": ENTERPRISE, "outcome": "accept",
          "materials": [m["name"] for m in matter("SY04001")["materials"]]}


@pytest.fixture
def node_app(hub, make_node):
    node_dir = make_node(CENTER)
    node_dir.enroll(hub)
    node_dir.sync()  # the catalog
    store.bind(node_dir.data_dir)
    for name, roles in (("clerk1", ["clerk"]), ("rev1", ["reviewer"]), ("appr1", ["approver"]),
                        ("audit1", ["auditor"])):
        add_user(name, "correct horse", roles, now_ms=env.now_ms())
    return create_app({"data_dir": str(node_dir.data_dir)})


def logged_in(app, username):
    client = app.test_client()
    token = client.get("/api/csrf").get_json()["csrf_token"]
    response = client.post("/login", data={"username": username, "password": "correct horse",
                                           "csrf_token": token})
    assert response.status_code == 302
    token = client.get("/api/csrf").get_json()["csrf_token"]
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return client


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_case_through_the_api(node_app):
    clerk, reviewer, approver = (logged_in(node_app, u) for u in ("clerk1", "rev1", "appr1"))
    created = clerk.post("/api/cases", json=INTAKE)
    assert created.status_code == 201
    case = created.get_json()
    number = case["number"]
    assert case["state"] == "accepted" and len(case["query_code"]) == 8
    steps = [(reviewer, "start_review", {}), (reviewer, "submit_for_approval", {}),
             (approver, "decide", {"outcome": "approved", "document_number": "沈电审1号"}),
             (clerk, "deliver", {"method": "window"})]
    for client, action, data in steps:
        response = client.post(f"/api/cases/{number}/actions",
                               json={"action": action, "data": data})
        assert response.status_code == 200, response.get_json()
    shown = clerk.get(f"/api/cases/{number}").get_json()
    assert shown["state"] == "delivered" and len(shown["history"]) == 6
    listed = clerk.get("/api/cases?state=delivered").get_json()["cases"]
    assert [c["number"] for c in listed] == [number]


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_roles_center_csrf_and_bad_input(node_app):
    clerk, auditor = logged_in(node_app, "clerk1"), logged_in(node_app, "audit1")
    number = clerk.post("/api/cases", json=INTAKE).get_json()["number"]
    before = (Case.select().count(), OutboxEvent.select().count())
    cases = [
        (auditor.post("/api/cases", json=INTAKE), 403, "FORBIDDEN"),
        (auditor.get(f"/api/cases/{number}"), 200, None),  # auditors read
        (clerk.post(f"/api/cases/{number}/actions", json={"action": "decide", "data": {
            "outcome": "approved", "document_number": "X"}}), 403, "FORBIDDEN"),
        (clerk.post(f"/api/cases/{number}/actions", json={"action": "deliver",
                                                          "data": {"method": "window"}}),
         409, "CONFLICT"),
        (clerk.get("/api/cases/210103-20261127-00001"), 403, "FORBIDDEN"),  # another center
        (clerk.post("/api/cases", json={**INTAKE, "applicant": {**ENTERPRISE, "id_code": "1"}}),
         422, "VALIDATION_FAILED"),
        (clerk.post("/api/cases", data="not json", content_type="text/plain"), 422,
         "VALIDATION_FAILED"),
        (node_app.test_client().get("/api/cases"), 401, "NOT_AUTHENTICATED"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.get_json()
        if code:
            assert response.get_json()["code"] == code
    no_token = logged_in(node_app, "clerk1")
    del no_token.environ_base["HTTP_X_CSRFTOKEN"]
    assert no_token.post("/api/cases", json=INTAKE).status_code == 400
    assert (Case.select().count(), OutboxEvent.select().count()) == before
