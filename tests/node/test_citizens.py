"""Citizens' logins mirrored at a node: the code's SMS is an ``sms.requested`` event written
with the code (the hub sends it), and a citizen sees the cases made with that number and
ID number, and no staff page."""
from __future__ import annotations

import orjson

from node import store
from node.app import create_app
from node.cases import intake
from node.models import CitizenCode, OutboxEvent, database
from tests.staff import Staff
from tests.test_cases import CLERK, DISTRICT, MATTER, PERSON, everything, keys, node  # noqa: F401


def code_messages() -> list[dict]:
    with database.connection_context():
        return [orjson.loads(p) for (p,) in OutboxEvent.select(OutboxEvent.payload)
                .where(OutboxEvent.type == "sms.requested").order_by(OutboxEvent.seq).tuples()
                if orjson.loads(p)["kind"] == "verification_code"]


def test_a_citizen_logs_in_at_a_node_and_sees_own_cases_only(node):
    k = keys(node)
    mine = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": PERSON,
                                       "materials": everything(), "outcome": "accept"})
    other = {**PERSON, "phone": "13700000000"}
    intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": other,
                                "materials": everything(), "outcome": "accept"})
    app = create_app({"data_dir": str(node.data_dir), "TESTING": True})
    citizen = Staff(app.test_client())
    assert citizen.post("/api/citizen/code", json={"phone": PERSON["phone"]}).status_code == 202
    (message,) = code_messages()
    assert message["phone"] == PERSON["phone"] and message["expires_at"].endswith("Z")
    with database.connection_context():
        assert message["params"]["code"] not in CitizenCode.get().code_hash
    reply = citizen.post("/api/citizen/session", json={
        "phone": PERSON["phone"], "code": message["params"]["code"], "id_code": PERSON["id_code"]})
    assert reply.status_code == 201
    cases = citizen.client.get("/api/citizen/me").get_json()["cases"]
    assert [c["number"] for c in cases] == [mine["number"]]
    assert cases[0]["state_label"] == "已受理"
    page = citizen.client.get("/citizen/").get_data(as_text=True)
    assert mine["number"] in page
    assert citizen.client.get("/window/").status_code == 302  # staff pages: the staff login
    assert citizen.client.get("/api/queue").status_code == 401
    store.bind(node.data_dir)
    # The code reaches the hub with the push, as any of the node's messages.
    assert node.sync()["errors"] == []
