"""One error shape: every error path of the hub's and the node's APIs answers with
the same problem keys, and the status in the body is the HTTP status."""
from __future__ import annotations

import pytest

from hub.app import create_app as create_hub
from node.app import create_app as create_node
from sync import envelope as env
from sync.signing import KeyPair

KEYS = ("code", "status", "title", "detail")

JSON_ONLY = {"Accept": "application/json"}


@pytest.fixture
def hub_client(tmp_path):
    return create_hub({"data_dir": str(tmp_path / "hub"), "TESTING": True}).test_client()


def sealed_post(client, path, body, **kw):
    envelope, data = env.seal(body, keys=KeyPair.generate(), sender="210102001",
                              recipient="hub", method="POST", path=path, **kw)
    return client.post(path, data=data, headers=envelope.headers())


@pytest.mark.parametrize("request_, code", [
    (lambda c: c.post("/sync/v1/push", data=b"x"), "ENVELOPE_MALFORMED"),
    (lambda c: sealed_post(c, "/sync/v1/push", {"events": []}), "KEY_UNKNOWN"),
    (lambda c: sealed_post(c, "/sync/v1/pull", {"since": 0}), "KEY_UNKNOWN"),
    (lambda c: sealed_post(c, "/sync/v1/heartbeat", {}), "KEY_UNKNOWN"),
    (lambda c: sealed_post(c, "/sync/v1/rotate", {}), "KEY_UNKNOWN"),
    (lambda c: sealed_post(c, "/sync/v1/events", {"from_seq": 1}), "KEY_UNKNOWN"),
    (lambda c: sealed_post(c, "/sync/v1/enroll", {"token": "a.b.c", "public_key": "eA=="}),
     "BODY_MALFORMED"),
    (lambda c: sealed_post(c, "/sync/v1/hub-key", {"since_key_id": "0" * 16}), "KEY_UNKNOWN"),
    (lambda c: sealed_post(c, "/sync/v1/enroll", {"token": 1}), "VALIDATION_FAILED"),
    (lambda c: c.get("/api/no/such"), "NOT_FOUND"),  # a page's errors are pages: test_error_pages
    (lambda c: c.get("/sync/v1/push"), "VALIDATION_FAILED"),
    (lambda c: c.get("/api/progress?number=210102-20260301-00001&code=23456789"),
     "PROGRESS_NOT_FOUND"),
    (lambda c: c.get("/api/progress?number=nonsense&code=23456789"), "VALIDATION_FAILED"),
    (lambda c: c.get("/api/public/cases?before=x"), "VALIDATION_FAILED"),
    (lambda c: c.get("/api/public/figures?period=week"), "VALIDATION_FAILED"),
    # A form file is fetched by nodes and scripts asking for JSON errors (a browser gets a page).
    (lambda c: c.get("/forms/nonsense", headers=JSON_ONLY), "VALIDATION_FAILED"),
    (lambda c: c.get("/forms/" + "0" * 64, headers=JSON_ONLY), "NOT_FOUND"),
    (lambda c: c.post("/sms/v1/receipts", data=b"[]"), "SMS_REPORT_UNSIGNED"),
    (lambda c: c.get("/api/citizen/me"), "NOT_AUTHENTICATED"),
    (lambda c: c.post("/api/citizen/code", json={"phone": "13900000000"}), "VALIDATION_FAILED"),
])
def test_hub_errors_share_one_shape(hub_client, request_, code):
    response = request_(hub_client)
    if response.headers.get("Hallsync-Signature"):
        body = env.unpack(response.data, 1 << 20)
    else:
        body = response.get_json()
    assert set(KEYS) <= set(body), body
    assert body["code"] == code and body["status"] == response.status_code


def test_node_errors_share_one_shape(tmp_path):
    client = create_node({"data_dir": str(tmp_path / "node"), "TESTING": True}).test_client()
    # Logged-in error paths (FORBIDDEN, CSRF) are in tests/web/test_auth.py.
    for path, code, status in (("/api/status", "NOT_AUTHENTICATED", 401),
                               ("/api/nothing", "NOT_FOUND", 404),
                               ("/api/progress?number=210102-20260301-00001&code=23456789",
                                "PROGRESS_NOT_FOUND", 404),
                               ("/api/progress?number=210102-20260301-00001", "VALIDATION_FAILED",
                                422),
                               ("/api/public/cases?limit=0", "VALIDATION_FAILED", 422)):
        response = client.get(path)
        body = response.get_json()
        assert set(KEYS) <= set(body) and body["code"] == code
        assert body["status"] == response.status_code == status


def test_a_throttled_client_gets_429_with_retry_after(tmp_path):
    client = create_node({"data_dir": str(tmp_path / "node"), "TESTING": True,
                          "progress_max_queries": 1}).test_client()
    path = "/api/progress?number=210102-20260301-00001&code=23456789"
    assert client.get(path).status_code == 404
    response = client.get(path)
    body = response.get_json()
    assert set(KEYS) <= set(body) and body["code"] == "TOO_MANY_REQUESTS"
    assert body["status"] == response.status_code == 429
    assert int(response.headers["Retry-After"]) == body["retry_after"] > 0


def test_busy_hub_answers_503_with_retry_after(tmp_path):
    app = create_hub({"data_dir": str(tmp_path / "hub"), "max_concurrent_syncs": 1})
    gate = app.extensions["hallsync"].gate
    assert gate.acquire(blocking=False)  # one sync in progress
    response = sealed_post(app.test_client(), "/sync/v1/push", {"events": []})
    body = env.unpack(response.data, 1 << 20)
    assert response.status_code == 503 and body["code"] == "HUB_BUSY"
    assert 30 <= int(response.headers["Retry-After"]) <= 60
    gate.release()
