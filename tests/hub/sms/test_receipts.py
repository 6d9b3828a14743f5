"""Delivery reports: settled once (duplicates change nothing), refused unsigned or malformed;
and the whole way end to end: a node's acceptance → push → the hub process sends it through
the fake gateway process, whose reports (some lost, some doubled) come back."""
from __future__ import annotations

import time

import orjson
import pytest

from hub import db as hub_db
from hub.app import create_app
from hub.models import SmsMessage, database
from hub.sms import queue
from sync import sms_api
from tests.processes import HubServer
from tests.sms import SECRET, FakeGateway, sms_settings
from tests.test_cases import CLERK, DISTRICT, MATTER, PERSON, everything, keys


@pytest.fixture
def client(tmp_path, hub_db_url):
    app = create_app({"data_dir": str(tmp_path / "hub-data"), "database_url": hub_db_url,
                      "TESTING": True, **sms_settings("")})
    return app.test_client()


def report(out_id: str, success: bool = True) -> dict:
    return {"out_id": out_id, "success": success, "biz_id": "1^0", "phone_number": "13900000001",
            "err_code": "DELIVERED" if success else "MK:0001", "err_msg": ""}


def post(client, body, secret: str = SECRET):
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.post("/sms/v1/receipts", data=raw, content_type="application/json",
                       headers={sms_api.REPORT_SIGNATURE_HEADER: sms_api.sign_body(secret, raw)})


def statuses() -> dict:
    with database.connection_context():
        return dict(SmsMessage.select(SmsMessage.out_id, SmsMessage.status).tuples())


def queued(n: int) -> list[str]:
    with database.connection_context(), database.atomic():
        ids = [queue.enqueue("verification_code", f"1390000{i:04d}",
                             {"code": "123456", "minutes": "5"}, 1) for i in range(n)]
        SmsMessage.update(status="sent").execute()
    return ids


def test_a_report_settles_its_message_once(client):
    ok, bad = queued(2)
    first = post(client, [report(ok), report(bad, success=False), report("nobody-1")])
    assert first.status_code == 200 and first.get_json()["settled"] == 2
    again = post(client, [report(ok), report(ok)])  # duplicates: nothing changes
    assert again.status_code == 200 and again.get_json()["settled"] == 0
    assert statuses() == {ok: "delivered", bad: "undelivered"}


@pytest.mark.parametrize("body, secret, status, code", [
    ([report("x")], "another-secret-0123456789abcdef", 401, "SMS_REPORT_UNSIGNED"),
    (b"not json", SECRET, 422, "VALIDATION_FAILED"),
    ({"out_id": "x"}, SECRET, 422, "VALIDATION_FAILED"),
    ([{"out_id": "x", "success": "yes"}], SECRET, 422, "VALIDATION_FAILED"),
])
def test_an_unsigned_or_malformed_report_changes_nothing(client, body, secret, status, code):
    (out_id,) = queued(1)
    reply = post(client, body if body != [report("x")] else [report(out_id)], secret)
    assert reply.status_code == status and reply.get_json()["code"] == code
    assert statuses() == {out_id: "sent"}


def wait_for(predicate, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_end_to_end_through_a_faulty_gateway_each_is_sent_and_settled_once(
        tmp_path, hub_db_url, make_node):
    hub = HubServer(tmp_path / "hub-data", hub_db_url)
    hub.data_dir.mkdir(parents=True)
    fake = FakeGateway(faults="timeout=0.2,error=0.2,lost_receipt=0.3,duplicate_receipt=0.3,"
                              "delay_s=1.5", receipt_url=f"{hub.url}/sms/v1/receipts").start()
    env = {f"HALLSYNC_{k.upper()}": str(v) for k, v in sms_settings(
        fake.url, sms_timeout_s=0.5, sms_receipt_wait_s=2, sms_per_number_hour=100,
        sms_per_number_day=100).items()}
    hub.start(**env)
    try:
        node = make_node(DISTRICT)
        node.enroll(hub)
        node.sync()
        k = keys(node)
        from node.cases import intake
        for _ in range(40):
            intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": PERSON,
                                        "materials": everything(), "outcome": "accept"})
        assert node.sync()["errors"] == []

        def settled():
            db = hub_db.bind(hub.db_url)
            try:
                found = dict(SmsMessage.select(SmsMessage.status, SmsMessage.id).tuples())
                counts = queue.counts()
            finally:
                db.close()
            return counts if counts["delivered"] == 40 and found else None
        counts = wait_for(settled, 120)
        state = fake.state()
        assert state["delivered"] == state["messages"] == 40 and state["duplicates"] == []
        assert state["reports_lost"] > 0 and state["reports_duplicated"] > 0
        assert state["timeouts_injected"] > 0 and state["errors_injected"] > 0
        assert counts["delivered"] == 40
    finally:
        hub.stop()
        fake.stop()
