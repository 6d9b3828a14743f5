"""Departments' business systems at a real hub (SQLite and PostgreSQL): registered with a key
of their own, they pull their own matters' decided cases over the signed API, a page at a
time; another department's matter is refused, as are an unknown or revoked key and a
replayed request, each logged, nothing changed. They push the licences they issued into
the register (电子证照库): a street's window reuses one after a sync, and stops after the
sync that brings its revocation; another department's licence type or a bad field refuses
the whole batch; pushing again is idempotent."""
from __future__ import annotations

import json

import pytest
import requests

from hub import db as hub_db
from hub.models import HubLicence, HubMessage, SecurityEvent
from hub.views.department_api import OPENAPI
from node.cases import act, intake
from sync import envelope as env
from sync import licences as rules
from sync.errors import ValidationError
from sync.signing import KeyPair
from tests.openapi_check import Schemas
from tests.processes import last_json
from tests.protocol import problem
from tests.test_cases import (APPROVER, CLERK, DISTRICT, ENTERPRISE, MATTER,  # noqa: F401
                              REVIEWER, everything, keys, node)
from tests.test_handoffs import STREET, enrolled
from tests.test_licences import ENTERPRISE as ENTERPRISE_HOLDER
from tests.test_licences import LICENCE, insure

MARKET = "SY24006"  # 企业变更登记: market, decided at once
DOC = Schemas(json.loads(OPENAPI.read_text(encoding="utf-8")))


def post(hub, body: dict, *, keys: KeyPair, sender: str = "market", path="/dept/v1/results",
         envelope_out: list | None = None):
    envelope, data = env.seal(body, keys=keys, sender=sender, recipient="hub", method="POST",
                              path=path)
    if envelope_out is not None:
        envelope_out.append((envelope, data))
    return requests.post(hub.url + path, data=data, headers=envelope.headers(), timeout=30)


def opened(response) -> dict:
    return env.unpack(response.content, 1 << 24)


@pytest.fixture
def decided(hub, node):  # noqa: F811
    """Three 企业变更登记 (market) decided at 和平区, and one 电力设施 case (industry)."""
    k = keys(node)
    market = [intake(k, DISTRICT, CLERK, {
        "matter_code": MARKET, "applicant": ENTERPRISE, "materials": everything(MARKET),
        "outcome": "complete_immediate", "document_number": f"沈市监变〔2026〕{n}号"})["number"]
        for n in range(3)]
    other = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                        "materials": everything(), "outcome": "accept"})["number"]
    for action, actor, data in [("start_review", REVIEWER, {}),
                                ("submit_for_approval", REVIEWER, {}),
                                ("decide", APPROVER, {"outcome": "approved",
                                                      "document_number": "沈电审〔2026〕1号"})]:
        act(k, DISTRICT, other, action, actor, data)
    assert node.sync()["errors"] == []
    return market, other


def test_a_department_pulls_its_own_matters_results_page_by_page(hub, decided, tmp_path):
    market, _other = decided
    key_file = tmp_path / "market.pem"
    added = last_json(hub.cli("departments", "add", "market", "--key-out", str(key_file),
                              "--json"))
    system = KeyPair.load(key_file)
    assert added["key_id"] == system.key_id and added["department"] == "market"

    first = post(hub, {"limit": 2}, keys=system)
    assert first.status_code == 200
    page = opened(first)
    DOC.check({"$ref": "#/components/schemas/DepartmentResults"}, page)
    assert [r["number"] for r in page["results"]] == market[:2] and page["next"]
    assert page["results"][0]["matter_code"] == MARKET
    assert page["results"][0]["applicant"]["id_code"] == ENTERPRISE["id_code"]
    assert "phone" not in page["results"][0]["applicant"]
    rest = opened(post(hub, {"since": page["next"]}, keys=system))
    assert [r["number"] for r in rest["results"]] == market[2:] and rest["next"] is None
    only = opened(post(hub, {"matter": MARKET}, keys=system))
    assert [r["number"] for r in only["results"]] == market

    refused = post(hub, {"matter": MATTER}, keys=system)  # industry's matter
    assert (refused.status_code, problem(refused)["code"]) == (403, "FORBIDDEN")
    bad = post(hub, {"since": "yesterday"}, keys=system)
    assert (bad.status_code, problem(bad)["field"]) == (422, "since")


def test_unknown_revoked_and_replayed_requests_are_refused_and_logged(hub, decided, tmp_path):
    stranger = KeyPair.generate()
    unknown = post(hub, {}, keys=stranger)
    assert (unknown.status_code, problem(unknown)["code"]) == (401, "KEY_UNKNOWN")
    key_file = tmp_path / "market.pem"
    hub.cli("departments", "add", "market", "--key-out", str(key_file))
    system = KeyPair.load(key_file)
    as_other = post(hub, {}, keys=system, sender="industry")  # its key, another's name
    assert (as_other.status_code, problem(as_other)["code"]) == (401, "KEY_UNKNOWN")
    sent = []
    assert post(hub, {}, keys=system, envelope_out=sent).status_code == 200
    envelope, data = sent[0]
    replayed = requests.post(hub.url + "/dept/v1/results", data=data,
                             headers=envelope.headers(), timeout=30)
    assert (replayed.status_code, problem(replayed)["code"]) == (401, "NONCE_REUSED")
    assert last_json(hub.cli("departments", "revoke", "market", "--json"))["revoked"] == [
        system.key_id]
    revoked = post(hub, {}, keys=system)
    assert (revoked.status_code, problem(revoked)["code"]) == (401, "KEY_REVOKED")
    bound = hub_db.bind(hub.db_url)
    with bound.connection_context():
        logged = [e.code for e in SecurityEvent.select().where(
            SecurityEvent.path == "/dept/v1/results").order_by(SecurityEvent.at_ms)]
    bound.close()
    assert set(logged) >= {"KEY_UNKNOWN", "NONCE_REUSED", "KEY_REVOKED"}


def test_the_api_is_described_and_served(hub):
    served = requests.get(hub.url + "/dept/v1/openapi.json", timeout=30)
    assert served.status_code == 200 and served.json() == json.loads(OPENAPI.read_text("utf-8"))
    assert set(served.json()["paths"]) == {"/dept/v1/results", "/dept/v1/licences"}


def test_registering_checks_the_department_and_the_key(hub):
    unknown = hub.cli("departments", "add", "nosuch", "--public-key", KeyPair.generate().public.b64,
                      check=False)
    assert unknown.returncode != 0 and "没有部门" in unknown.stderr + unknown.stdout
    bad_key = hub.cli("departments", "add", "market", "--public-key", "abc", check=False)
    assert bad_key.returncode != 0 and "公钥" in bad_key.stderr + bad_key.stdout
    listed = last_json(hub.cli("departments", "list", "--json"))
    assert listed == {"keys": []}


# -- 电子证照库: licences a department's system issued, pushed to the hub's register --------

HOLDER = {k: ENTERPRISE_HOLDER[k] for k in ("kind", "name", "id_code")}


def licence(number: str = "沈市监企2026000123", **changed) -> dict:
    """A 营业执照 market issued to the enterprise tests/test_licences.py insures."""
    return {"number": number, "name": LICENCE, "holder": HOLDER, "valid_from": "2026-01-05",
            "valid_to": "", "consent": True, **changed}


def system_of(hub, department: str, tmp_path) -> KeyPair:
    key_file = tmp_path / f"{department}.pem"
    hub.cli("departments", "add", department, "--key-out", str(key_file))
    return KeyPair.load(key_file)


def push(hub, system: KeyPair, *items, sender: str = "market"):
    return post(hub, {"licences": list(items)}, keys=system, sender=sender,
                path="/dept/v1/licences")


def register(hub) -> list[tuple]:
    """The hub's licences, and the licence messages it sent every center."""
    bound = hub_db.bind(hub.db_url)
    with bound.connection_context():
        held = [(row.number, row.issuer, row.valid_to, row.consent, row.revoked_at is not None)
                for row in HubLicence.select().order_by(HubLicence.number)]
        sent = HubMessage.select().where(HubMessage.type == rules.DEPARTMENT).count()
    bound.close()
    return held, sent


def test_a_pushed_licence_is_reused_at_a_streets_window_until_revoked(hub, make_node, tmp_path):
    market = system_of(hub, "market", tmp_path)
    street = enrolled(hub, make_node, STREET)
    with pytest.raises(ValidationError, match=LICENCE):  # nothing on file yet
        insure(street)

    first = push(hub, market, licence())
    assert first.status_code == 200
    DOC.check({"$ref": "#/components/schemas/LicencesPushed"}, opened(first))
    assert opened(first)["licences"] == [
        {"number": "沈市监企2026000123", "outcome": "registered", "shared": True}]
    again = opened(push(hub, market, licence()))  # the same licence again: nothing new
    assert again["licences"][0]["outcome"] == "unchanged"
    longer = opened(push(hub, market, licence(valid_to="2046-01-04")))
    assert longer["licences"][0]["outcome"] == "changed"
    assert register(hub) == ([("沈市监企2026000123", "market", "2046-01-04", True, False)], 2)

    street.sync()
    case = insure(street)
    (on_file,) = [m for m in case["materials"] if m["name"] == LICENCE]
    assert (on_file["reused_from"], on_file["source"], on_file["trust_level"]) == (
        "沈市监企2026000123", "licence", "A")

    revoked = push(hub, market, licence(valid_to="2046-01-04", revoked={"reason": "依法吊销"}))
    assert opened(revoked)["licences"] == [
        {"number": "沈市监企2026000123", "outcome": "changed", "shared": False}]
    street.sync()  # one sync cycle: no window reuses it any more
    with pytest.raises(ValidationError, match=LICENCE):
        insure(street)
    reinstated = push(hub, market, licence(valid_to="2046-01-04"))
    assert (reinstated.status_code, problem(reinstated)["code"]) == (409, "CONFLICT")
    assert register(hub) == ([("沈市监企2026000123", "market", "2046-01-04", True, True)], 3)


def test_a_push_is_refused_whole_for_another_departments_licence_or_a_bad_field(hub, tmp_path):
    market, housing = system_of(hub, "market", tmp_path), system_of(hub, "housing", tmp_path)
    fine = licence("沈市监企2026000200")
    works = licence("沈住建施2026000001", name="建筑工程施工许可证")  # housing's licence type
    refused = push(hub, market, fine, works)
    assert (refused.status_code, problem(refused)["code"]) == (403, "FORBIDDEN")
    assert "licences[1].name" in problem(refused)["detail"]
    for items, field in [
            ([fine, licence("沈市监企2026000201", holder={**HOLDER, "id_code": "123"})],
             "licences[1].holder.id_code"),
            ([{k: v for k, v in fine.items() if k != "consent"}], "licences[0].consent"),
            ([licence(valid_from="2026-02-30")], "licences[0].valid_from"),
            ([licence(valid_to="2025-12-31")], "licences[0].valid_to"),
            ([licence("210102-DZZZ-2026-000001")], "licences[0].number"),
            ([fine, fine], "licences[1].number"),
            ([], "licences")]:
        bad = push(hub, market, *items)
        assert (bad.status_code, problem(bad).get("field")) == (422, field), field
    assert register(hub) == ([], 0)  # nothing of any refused batch was kept

    hidden = opened(push(hub, market, licence(consent=False)))  # the register only
    assert hidden["licences"][0]["shared"] is False
    taken = push(hub, housing, licence(name="建筑工程施工许可证"), sender="housing")
    assert (taken.status_code, problem(taken)["code"]) == (409, "CONFLICT")  # market's number
    assert register(hub) == ([("沈市监企2026000123", "market", "", False, False)], 0)
