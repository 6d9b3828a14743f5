"""好差评 at the hub's online hall with the SMS link: the hub spends the link once and
forwards the evaluation through the pull stream to the center that owns the case, which
records it as the applicant's own signed event; the hub's copy of the case then has it."""
from __future__ import annotations

import re

import orjson
import requests

from hub import db as hub_db
from hub.models import HubCaseAction
from node import store
from node.cases import act, intake
from node.models import CaseAction, OutboxEvent, database
from tests.test_cases import (APPROVER, CLERK, DISTRICT, MATTER, PERSON, REVIEWER,  # noqa: F401
                              everything, keys, node)


def link_token() -> str:
    with database.connection_context():
        for (payload,) in OutboxEvent.select(OutboxEvent.payload).where(
                OutboxEvent.type == "sms.requested").tuples():
            if orjson.loads(payload)["kind"] == "evaluation_link":
                return orjson.loads(payload)["params"]["token"]
    raise AssertionError("no link")


def test_an_evaluation_made_at_the_hub_is_recorded_by_the_owning_center(hub, node):
    k = keys(node)
    number = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": PERSON,
                                         "materials": everything(), "outcome": "accept"})["number"]
    for action, actor, data in [("start_review", REVIEWER, {}),
                                ("submit_for_approval", REVIEWER, {}),
                                ("decide", APPROVER, {"outcome": "approved",
                                                      "document_number": "沈电审〔2026〕7号"})]:
        act(k, DISTRICT, number, action, actor, data)
    token = link_token()
    assert node.sync()["errors"] == []  # the SMS, and with it the link, reach the hub

    browser = requests.Session()
    page = browser.get(f"{hub.url}/e/{token}", timeout=10)
    assert page.status_code == 200 and number in page.text and "非常满意" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    bad = browser.post(f"{hub.url}/e/{token}", data={"csrf_token": csrf,
                                                    "level": "very_dissatisfied"}, timeout=10)
    assert bad.status_code == 422 and "必须填写评价意见" in bad.text
    done = browser.post(f"{hub.url}/e/{token}", data={
        "csrf_token": csrf, "level": "very_dissatisfied", "comment": "材料反复退回"}, timeout=10)
    assert done.status_code == 201 and "已转交办理中心" in done.text
    again = browser.post(f"{hub.url}/e/{token}", data={"csrf_token": csrf,
                                                      "level": "satisfied"}, timeout=10)
    assert again.status_code == 404

    assert node.sync()["errors"] == []  # pull: the center records it; push: its event
    store.bind(node.data_dir)
    with database.connection_context():
        rated = CaseAction.get((CaseAction.number == number) & (CaseAction.action == "evaluate"))
    assert (rated.role, orjson.loads(rated.data)) == (
        "applicant", {"level": "very_dissatisfied", "comment": "材料反复退回"})
    assert node.sync()["errors"] == []
    db = hub_db.bind(hub.db_url)
    try:
        held = HubCaseAction.get((HubCaseAction.number == number)
                                 & (HubCaseAction.action == "evaluate"))
    finally:
        db.close()
    assert held.role == "applicant"
    # The node's own copy of the link is spent too: one evaluation per case.
    assert requests.get(f"{hub.url}/e/{token}", timeout=10).status_code == 404
