"""A case applied for through an agent (委托代理人; issue 15, point 6) reaches the hub, on
SQLite and PostgreSQL, through a real hub process: the hub keeps both identities and shows
them masked on its case page and API; a case without an agent syncs and shows as before;
the public progress query names neither. The hub refuses a forged receipt whose agent
lacks the power of attorney, as the window does."""
from __future__ import annotations

import orjson
import pytest
import requests

from hub.models import HubCase
from node.cases import intake, query_secret
from sync import events
from sync.case_agents import POWER_OF_ATTORNEY
from sync.case_numbers import query_code
from sync.errors import ProtocolError
from tests.catalog_changes import matter
from tests.test_handoffs import CLERK, PERSON, at_hub, enrolled

CENTER = "210102"
MATTER = "SY04001"  # decided by the district itself: no handoff
AGENT = {"name": "李娜", "id_type": "resident_id", "id_code": "110101199003071233",
         "phone": "13900000000"}


def take_in(center, agent: dict | None) -> str:
    names = [m["name"] for m in matter(MATTER)["materials"]]
    with center as keys:
        return intake(keys, CENTER, CLERK, {
            "matter_code": MATTER, "applicant": PERSON, "outcome": "accept",
            **({"agent": agent, "materials": [POWER_OF_ATTORNEY, *names]} if agent
               else {"materials": names})})["number"]


def test_the_hub_keeps_and_shows_the_agent_masked(hub, make_node):
    from hub.app import create_app
    from tests.hub.views.test_openapi import DOC, SCHEMAS
    from tests.staff import hub_staff
    district = enrolled(hub, make_node, CENTER)
    with_agent, in_person = take_in(district, AGENT), take_in(district, None)
    assert district.sync()["pushed"] >= 2

    def received(number):
        return orjson.loads(HubCase.get(HubCase.number == number).received)
    assert at_hub(hub, lambda: received(with_agent))["agent"] == AGENT
    assert "agent" not in at_hub(hub, lambda: received(in_person))

    app = create_app({"data_dir": str(hub.data_dir), "database_url": hub.db_url, "TESTING": True})
    heping = hub_staff(app, "heping", ["district_admin"], scope=CENTER).client
    shown = heping.get(f"/api/cases/{with_agent}").get_json()
    SCHEMAS.check(SCHEMAS.resolve(DOC["paths"]["/api/cases/{number}"]["get"]["responses"]["200"])
                  ["content"]["application/json"]["schema"], shown, with_agent)
    assert shown["agent"] == {"name": "李娜", "kind": "person", "id_type": "resident_id",
                              "id_code": "110101********1233"}
    assert shown["applicant"] == {"name": PERSON["name"], "kind": "person",
                                  "id_type": "resident_id", "id_code": "210102********0013"}
    page = heping.get(f"/cases/{with_agent}").get_data(as_text=True)
    assert ('委托代理人：<span id="agent">李娜 居民身份证 <span class="code" id="agent-id-code">'
            '110101********1233</span></span>') in page
    for whole in (AGENT["id_code"], AGENT["phone"], PERSON["id_code"], PERSON["phone"]):
        assert whole not in page and whole not in orjson.dumps(shown).decode()
    old = heping.get(f"/cases/{in_person}")
    assert old.status_code == 200 and "委托代理人" not in old.get_data(as_text=True)
    assert heping.get(f"/api/cases/{in_person}").get_json()["agent"] is None

    # The public progress query at the hub (no login) names nobody.
    code = query_code(with_agent, query_secret(district.dir.data_dir))
    answer = requests.get(f"{hub.url}/api/progress", params={"number": with_agent, "code": code},
                          timeout=10)
    assert answer.status_code == 200, answer.text
    for personal in ("李娜", AGENT["id_code"][-4:], PERSON["name"], PERSON["id_code"][-4:]):
        assert personal not in answer.text


def test_a_receipt_whose_agent_has_no_power_of_attorney_is_refused():
    names = [m["name"] for m in matter(MATTER)["materials"]]
    payload = {"number": f"{CENTER}-20261102-00001", "matter": {}, "applicant": PERSON,
               "agent": AGENT, "green_channel": False, "at": "2026-11-02T09:00:00+08:00",
               "role": "clerk", "user": "wang",
               "materials": [{"name": n, "required": True, "provided": True, "reused_from": ""}
                             for n in names]}
    record = f"case:{payload['number']}"
    with pytest.raises(ProtocolError) as info:
        events.validate_new("case.received", record, payload)
    assert "授权委托书" in str(info.value)
    with pytest.raises(ProtocolError) as info:
        events.validate_new("case.received", record, {**payload, "agent": {
            **AGENT, "id_code": PERSON["id_code"]}})
    assert "同一人" in str(info.value)
    attorney = {"name": POWER_OF_ATTORNEY, "required": True, "provided": True, "reused_from": ""}
    events.validate_new("case.received", record,
                        {**payload, "materials": [attorney, *payload["materials"]]})
