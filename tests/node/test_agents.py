"""An applicant acting through an agent (代办, 委托代理人; issue 15, point 6) at the window.

The agent's identity is checked like the applicant's, is never the applicant's own, and
comes with the power of attorney (授权委托书) handed in; both identities are kept on the
case and shown masked on its page, the receipt, the letter and the 送达回证. Reuse stays
the applicant's: nothing goes on file under the agent, and the power of attorney never.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import orjson
import pytest

from node.models import Case, KeptMaterial, database
from sync.case_agents import POWER_OF_ATTORNEY
from tests.node.test_import import node_dir  # noqa: F401  (fixture)
from tests.node.test_window import (  # noqa: F401  (app, seed, staff: fixtures)
    API_INTAKE, APPROVAL, ENTERPRISE, INTAKE_CHOOSE, KEYS, LICENCE, MATTER, PERSON, act, app,
    counts, everything, new_case, seed, staff)
from tests.processes import last_json

AGENT = {"name": "李娜", "id_type": "resident_id", "id_code": "110101199003071233",
         "phone": "13900000000"}
MASKED = "110101********1233"
AGENT_FORM = {"by_agent": "1", "agent_name": AGENT["name"], "agent_id_type": "resident_id",
              "agent_id_code": AGENT["id_code"], "agent_phone": AGENT["phone"]}
PERSON_CHOOSE = {**INTAKE_CHOOSE, "applicant_kind": "person", "applicant_name": PERSON["name"],
                 "applicant_id_code": PERSON["id_code"], "applicant_phone": PERSON["phone"]}


def received_of(number: str) -> dict:
    with database.connection_context():
        return orjson.loads(Case.get(Case.number == number).received)


def field_error(page: str, field: str) -> str:
    match = re.search(rf'<span class="field-error" role="alert" data-field="{re.escape(field)}">'
                      r'([^<]*)</span>', page)
    assert match, page
    return match.group(1)


def test_the_intake_form_takes_an_agent_with_the_power_of_attorney(app, staff):
    clerk = staff("clerk")
    step1 = clerk.get("/window/intake").get_data(as_text=True)
    # Collapsed behind its checkbox, unticked: the agent's fields are there, hidden by CSS.
    assert 'id="by_agent" name="by_agent" value="1" >' in step1 and 'id="agent_id_code"' in step1
    step2 = clerk.form("/window/intake", {**INTAKE_CHOOSE, **AGENT_FORM}).get_data(as_text=True)
    assert "第 2 步" in step2 and 'id="agent">李娜 · 13900000000' in step2
    assert f'value="{POWER_OF_ATTORNEY}"' in step2 and "委托 李娜 代为办理本事项" in step2
    assert '<input type="hidden" name="agent_id_code" value="110101199003071233">' in step2
    done = clerk.form("/window/intake", {**INTAKE_CHOOSE, **AGENT_FORM, "step": "submit",
                                         "materials": [POWER_OF_ATTORNEY, *everything()],
                                         "outcome": "accept"})
    assert done.status_code == 303, done.get_data(as_text=True)
    number = done.headers["Location"].rsplit("/", 1)[-1]
    received = received_of(number)
    assert received["agent"] == AGENT
    assert received["materials"][0] == {"name": POWER_OF_ATTORNEY, "required": True,
                                        "provided": True, "reused_from": ""}
    page = clerk.get(done.headers["Location"]).get_data(as_text=True)
    assert (f'<span id="agent-name">李娜</span> 居民身份证 <span class="code" id="agent-id-code">'
            f'{MASKED}</span> · 13900000000') in page
    assert AGENT["id_code"] not in page
    receipt = clerk.get(f"/window/cases/{number}/receipt").get_data(as_text=True)
    assert ('<tr><th>代理人</th><td id="agent"><span id="agent-name">李娜</span> 居民身份证 '
            f'<span class="code" id="agent-id-code">{MASKED}</span></td></tr>') in receipt
    assert f"1. {POWER_OF_ATTORNEY}" in receipt
    assert AGENT["id_code"] not in receipt and AGENT["phone"] not in receipt


def test_an_unticked_box_ignores_the_agents_fields(app, staff):
    clerk = staff("clerk")
    done = clerk.form("/window/intake", {**INTAKE_CHOOSE, **AGENT_FORM, "by_agent": "",
                                         "step": "submit", "materials": everything(),
                                         "outcome": "accept"})
    assert done.status_code == 303
    number = done.headers["Location"].rsplit("/", 1)[-1]
    assert "agent" not in received_of(number)
    assert 'id="agent"' not in clerk.get(done.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("choose, change, field, text", [
    (INTAKE_CHOOSE, {"agent_id_code": "110101199003071234"}, "agent.id_code",
     "代理人身份证号码校验位不符"),
    (INTAKE_CHOOSE, {"agent_id_type": "passport", "agent_id_code": "护照"}, "agent.id_code",
     "代理人护照号码应为 5–17 位字母或数字"),
    (INTAKE_CHOOSE, {"agent_name": " "}, "agent.name", "代理人姓名必填"),
    (INTAKE_CHOOSE, {"agent_phone": "12"}, "agent.phone", "代理人联系电话应为 7–12 位数字"),
    (PERSON_CHOOSE, {"agent_id_code": PERSON["id_code"]}, "agent.id_code",
     "代理人与申请人是同一人"),
])
def test_a_bad_agent_is_named_next_to_its_field_and_writes_nothing(app, staff, choose, change,
                                                                   field, text):
    clerk, before = staff("clerk"), counts()
    for step in ("choose", "submit"):  # refused at step 1, and again if posted straight to submit
        response = clerk.form("/window/intake", {
            **choose, **AGENT_FORM, **change, "step": step,
            "materials": [POWER_OF_ATTORNEY, *everything()], "outcome": "accept"})
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and "第 1 步" in page
        assert text in field_error(page, field)
        assert 'id="by_agent" name="by_agent" value="1" checked>' in page  # still open to fix
    assert counts() == before


def test_without_the_power_of_attorney_an_agent_cannot_apply(app, staff):
    clerk, before = staff("clerk"), counts()
    for outcome in ("accept", "request_supplement"):
        response = clerk.form("/window/intake", {**INTAKE_CHOOSE, **AGENT_FORM, "step": "submit",
                                                 "materials": everything(), "outcome": outcome})
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and "第 2 步" in page
        assert "由代理人 李娜 办理的，须收取申请人签署的授权委托书" in field_error(page, "materials")
    # Handed in without an agent, it is not one of the matter's materials.
    response = clerk.form("/window/intake", {**INTAKE_CHOOSE, "step": "submit", "outcome": "accept",
                                             "materials": [POWER_OF_ATTORNEY, *everything()]})
    assert "申请人本人办理，无需收取授权委托书" in field_error(response.get_data(as_text=True),
                                                          "materials")
    assert counts() == before


def test_the_api_takes_an_agent_and_answers_problems_with_a_code_and_field(app, staff):
    clerk, before = staff("clerk"), counts()
    with_agent = {**API_INTAKE, "agent": AGENT, "materials": [*everything(), POWER_OF_ATTORNEY]}
    for body, code, field in (
            ({**with_agent, "materials": everything()}, "POWER_OF_ATTORNEY_MISSING", "materials"),
            ({**with_agent, "applicant": PERSON, "agent": {**AGENT, "id_code": PERSON["id_code"]}},
             "AGENT_IS_APPLICANT", "agent.id_code"),
            ({**with_agent, "agent": {**AGENT, "id_code": "1101011990030712"}},
             "VALIDATION_FAILED", "agent.id_code"),
            ({**with_agent, "agent": {**AGENT, "id_type": "licence"}},
             "VALIDATION_FAILED", "agent.id_type"),
            ({**with_agent, "agent": {**AGENT, "id_type": ["passport"]}},
             "VALIDATION_FAILED", "agent.id_type"),
            ({**with_agent, "agent": {**AGENT, "relation": "父子"}},
             "VALIDATION_FAILED", "agent.relation"),
            ({**with_agent, "agent": "李娜"}, "VALIDATION_FAILED", "agent")):
        response = clerk.json("/api/cases", body)
        problem = response.get_json()
        assert response.status_code == 422 and set(KEYS) <= set(problem), problem
        assert (problem["code"], problem["field"]) == (code, field), problem
    assert counts() == before
    created = clerk.json("/api/cases", {**with_agent, "agent": {
        "name": "John Smith", "id_type": "passport", "id_code": "e1234 5678"}})
    assert created.status_code == 201, created.get_json()
    shown = created.get_json()
    assert shown["agent"] == {"name": "John Smith", "id_type": "passport", "id_code": "E12345678"}
    assert shown["materials"][0]["name"] == POWER_OF_ATTORNEY
    assert clerk.get(f"/api/cases/{new_case(app)}").get_json()["agent"] is None


def test_the_letter_and_the_service_proof_name_the_agent_masked(app, staff):
    number = new_case(app, agent=AGENT, materials=[POWER_OF_ATTORNEY, *everything()])
    for action, role, data in APPROVAL:
        act(app, number, action, role, data)
    clerk = staff("clerk")
    for path in ("letter", "service-proof"):
        page = clerk.get(f"/window/cases/{number}/{path}").get_data(as_text=True)
        assert f'<span class="code" id="agent-id-code">{MASKED}</span>' in page, path
        assert "<th>委托代理人</th>" in page and AGENT["id_code"] not in page, path


def test_reuse_stays_the_applicants_and_never_keeps_the_power_of_attorney(app):
    agent = {**AGENT, "id_code": "210103199201010024", "name": "王芳"}
    first = new_case(app, applicant=PERSON, agent=agent,
                     materials=[POWER_OF_ATTORNEY, *everything()])
    for action, role, data in APPROVAL:
        act(app, first, action, role, data)
    with database.connection_context():
        kept = [(k.id_code, k.name, k.number) for k in KeptMaterial.select()]
    assert kept == [(PERSON["id_code"], LICENCE, first)]
    # The applicant's next case, in person, finds the licence on file …
    others = [name for name in everything() if name != LICENCE]
    again = new_case(app, applicant=PERSON, materials=others)
    assert {m["name"]: m["reused_from"] for m in received_of(again)["materials"]}[LICENCE] == first
    # … the agent applying for themself does not, and must hand in a power of attorney again
    # when acting for the applicant a second time.
    as_applicant = {"kind": "person", **{k: agent[k] for k in ("name", "id_code", "phone")}}
    with pytest.raises(Exception) as info:
        new_case(app, applicant=as_applicant, materials=others)
    assert LICENCE in str(info.value)
    with pytest.raises(Exception) as info:
        new_case(app, applicant=PERSON, agent=agent, materials=others)
    assert info.value.code.value == "POWER_OF_ATTORNEY_MISSING"


# -- the historical import --------------------------------------------------------------------

def csv_with_agent(tmp_path, agent: dict, materials_extra: str = POWER_OF_ATTORNEY,
                   on_row: int = 1) -> Path:
    """The example CSV with the agent columns, filled on data row ``on_row`` (1: the first
    case's own row) and the power of attorney added to that case's materials."""
    from tests.node.test_import import EXAMPLE_CSV
    rows = list(csv.reader(io.StringIO(EXAMPLE_CSV.read_text(), newline="")))
    columns = ("agent_name", "agent_id_type", "agent_id_code", "agent_phone")
    rows[0] += columns
    for i, row in enumerate(rows[1:], 1):
        row += [agent.get(c.removeprefix("agent_"), "") if i == on_row else "" for c in columns]
    if materials_extra:
        rows[1][rows[0].index("materials")] += ";" + materials_extra
    path = tmp_path / "agents.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    return path


def test_the_import_takes_the_agent_columns(node_dir, tmp_path):
    from tests.node.test_import import payloads, run_import
    result = last_json(run_import(node_dir, csv_with_agent(tmp_path, AGENT)))
    assert result["cases_imported"] == 2
    received = payloads(node_dir, "210102-20261102-00001")[0][1]
    assert received["agent"] == AGENT
    assert received["materials"][0] == {"name": POWER_OF_ATTORNEY, "required": True,
                                        "provided": True, "reused_from": ""}
    assert "agent" not in payloads(node_dir, "210102-20261102-00002")[0][1]


@pytest.mark.parametrize("agent, extra, on_row, error", [
    ({**AGENT, "id_code": "110101199003071234"}, POWER_OF_ATTORNEY, 1,
     "VALIDATION_FAILED: line 2: agent.id_code: 代理人身份证号码校验位不符"),
    ({**AGENT, "id_code": "91210100MA0Q123430"}, POWER_OF_ATTORNEY, 1,
     "VALIDATION_FAILED: line 2: agent.id_code: 代理人身份证号码"),
    (AGENT, "", 1, "POWER_OF_ATTORNEY_MISSING: line 2: materials: 由代理人 李娜 办理的"),
    (AGENT, POWER_OF_ATTORNEY, 2, "VALIDATION_FAILED: line 3: agent_name: 办件信息只写在该办件的第一行"),
])
def test_a_bad_agent_line_is_named_and_nothing_is_imported(node_dir, tmp_path, agent, extra,
                                                           on_row, error):
    from tests.node.test_import import counts as import_counts, run_import
    before = import_counts(node_dir)
    result = run_import(node_dir, csv_with_agent(tmp_path, agent, extra, on_row), check=False)
    assert result.returncode == 2 and result.stderr.startswith(f"error: {error}"), result.stderr
    assert import_counts(node_dir) == before
