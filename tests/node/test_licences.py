"""电子证照库 at one node (issue 15, point 2): an approval issues its licence in the
decision's transaction; a licence in force satisfies a reusable material at intake by its
trust level; an expired or revoked one never does; revoking is the issuer's, once, with
a reason. A department's licence the hub sends is kept, replaced and removed as it
says; a clerk looks up a holder's licences over the API. Between centers, through the
hub: tests/test_licences.py; from a department: tests/test_department_api.py."""
from __future__ import annotations

import datetime

import orjson
import pytest

from node import case_log, cases, licences, reuse, store
from node.api import OPENAPI
from node.inbox import APPLIERS
from node.models import CatalogMatter, Licence, OutboxEvent, database
from sync import licences as rules
from sync.case_clock import CHINA
from sync.errors import ConflictError, Forbidden, HallsyncError, NotFound, ValidationError
from tests.openapi_check import Schemas
from tests.node.test_window import (APPROVAL, CENTER, ENTERPRISE, LICENCE,  # noqa: F401
                                    act, app, approved_case, at, everything, new_case, seed,
                                    staff)

REGISTRATION = "SY24001"  # 企业设立登记: approval issues the 营业执照 (catalog result_licence)
NEEDS_LICENCE = "SY04001"  # its material 营业执照 is reusable (e_licence)
WITHOUT_LICENCE = [name for name in everything(NEEDS_LICENCE) if name != LICENCE]
DECIDE = {"outcome": "approved", "document_number": "沈市监登字1号", "registered_capital": 100}
check = Schemas(orjson.loads(OPENAPI.read_bytes())).check


def registered(app, consent: bool = True, applicant=ENTERPRISE) -> str:
    """An enterprise registration taken in and approved; returns the case number."""
    number = new_case(app, code=REGISTRATION, applicant=applicant, licence_consent=consent)
    for action, role, data in APPROVAL[:2]:
        act(app, number, action, role, data)
    act(app, number, "decide", "approver", DECIDE)
    return number


def outbox() -> list[OutboxEvent]:
    with database.connection_context():
        return list(OutboxEvent.select().order_by(OutboxEvent.seq))


def issued() -> list[dict]:
    return [orjson.loads(e.payload) for e in outbox() if e.type == rules.ISSUED]


def on_file(app, applicant=ENTERPRISE) -> dict[str, dict]:
    """The reusable materials of NEEDS_LICENCE on file for the applicant, by intake."""
    number = new_case(app, applicant=applicant, materials=WITHOUT_LICENCE)
    with database.connection_context():
        return {m["name"]: m for m in cases.view(number)["materials"] if m["reused_from"]}


def revoke(app, number: str, reason="许可被依法撤销"):
    with database.connection_context():
        return licences.revoke(store.load_keys(app.config["HALLSYNC"]["data_dir"]), CENTER,
                               number, reason, case_log.now())


def test_an_approval_issues_the_licence_in_the_decisions_transaction(app):
    number = registered(app)
    events = outbox()
    decide = next(e for e in events if e.type == "case.action"
                  and orjson.loads(e.payload)["action"] == "decide")
    after = events[events.index(decide) + 1]
    assert after.type == rules.ISSUED  # the next event of the same transaction
    licence = orjson.loads(after.payload)
    assert after.record == rules.record_of(licence["number"])
    assert licence["number"].startswith(f"{CENTER}-DZZZ-")
    assert (licence["name"], licence["holder_id_code"], licence["holder_name"],
            licence["case_number"], licence["consent"], licence["trust_level"],
            licence["issuer"], licence["valid_to"]) == (
        "营业执照", ENTERPRISE["id_code"], ENTERPRISE["name"], number, True, "A", CENTER, "")
    assert licence["valid_from"] == licence["issued_at"][:10] and licence["department"]


def test_a_failed_issue_undoes_the_decision(app, monkeypatch):
    number = new_case(app, code=REGISTRATION, licence_consent=True)
    for action, role, data in APPROVAL[:2]:
        act(app, number, action, role, data)
    before = len(outbox())

    def broken(*_args):
        raise RuntimeError("disk full")
    monkeypatch.setattr(licences, "issue", broken)
    with pytest.raises(RuntimeError):
        act(app, number, "decide", "approver", DECIDE)
    with database.connection_context():
        assert cases.view(number)["state"] == "in_approval"
        assert Licence.select().count() == 0
    assert len(outbox()) == before


def test_refusals_and_matters_without_a_licence_issue_none(app):
    refused = new_case(app, code=REGISTRATION, licence_consent=True)
    for action, role, data in APPROVAL[:2]:
        act(app, refused, action, role, data)
    act(app, refused, "decide", "approver", {"outcome": "refused", "reason": "名称不合规",
                                              "document_number": "沈市监不字1号"})
    approved_case(app)  # SY04001: its result is a decision letter, no licence
    assert issued() == []


@pytest.mark.parametrize("code, consent, message", [
    (NEEDS_LICENCE, True, "办结不产生电子证照"),
    (REGISTRATION, "yes", "应为 true 或 false"),
])
def test_a_wrong_consent_is_named_and_writes_nothing(app, code, consent, message):
    before = len(outbox())
    with pytest.raises(ValidationError, match=message) as refused:
        new_case(app, code=code, licence_consent=consent)
    assert refused.value.field == "licence_consent"
    assert len(outbox()) == before


def test_a_licence_in_force_satisfies_the_material_from_the_register(app, staff):
    registered(app)
    (licence,) = issued()
    assert on_file(app)[LICENCE] == {"name": LICENCE, "required": True, "provided": True,
                                     "reused_from": licence["number"], "source": "licence",
                                     "trust_level": "A"}
    clerk = staff("clerk")
    step2 = clerk.form("/window/intake", {"step": "choose", "matter_code": NEEDS_LICENCE,
                                          "applicant_kind": "enterprise",
                                          "applicant_name": ENTERPRISE["name"],
                                          "applicant_id_code": ENTERPRISE["id_code"],
                                          "applicant_phone": ENTERPRISE["phone"]})
    page = step2.get_data(as_text=True)
    assert "电子证照库" in page and licence["number"] in page and "A级" in page


def test_the_register_outranks_a_kept_copy_and_the_catalog_sets_the_level(app):
    approved_case(app)  # a copy of the 营业执照 kept here: B
    assert on_file(app)[LICENCE]["source"] == "case"
    registered(app)
    assert on_file(app)[LICENCE]["source"] == "licence"  # A beats B
    with database.connection_context():
        matter = orjson.loads(CatalogMatter.get(CatalogMatter.code == NEEDS_LICENCE).data)
        only_a = {**matter, "materials": [{**m, "reusable_trust_level": "A"}
                                          if m["name"] == LICENCE else m
                                          for m in matter["materials"]]}
        today = case_log.now().date()
        assert reuse.on_file(only_a, ENTERPRISE, today)[LICENCE].source == "licence"
        Licence.delete().execute()
        assert LICENCE not in reuse.on_file(only_a, ENTERPRISE, today)  # B is not enough


@pytest.mark.parametrize("level, accepted, ok", [
    ("A", "B", True), ("B", "B", True), ("C", "B", False), ("D", "B", False),
    ("C", "C", True), ("D", "C", False), ("D", "D", True), ("B", "A", False),
    ("E", "D", False)])
def test_trust_levels_decide(level, accepted, ok):
    assert rules.satisfies(level, accepted) is ok


def test_an_expired_licence_is_refused(app, at):
    with database.connection_context():  # a term of one year, as a catalog amendment would set
        row = CatalogMatter.get(CatalogMatter.code == REGISTRATION)
        data = orjson.loads(row.data)
        data["result_licence"]["valid_years"] = 1
        CatalogMatter.update(data=orjson.dumps(data).decode()).where(
            CatalogMatter.code == REGISTRATION).execute()
    issued_on = datetime.datetime(2025, 3, 3, 10, 0, tzinfo=CHINA)
    at(issued_on)
    registered(app)
    (licence,) = issued()
    assert (licence["valid_from"], licence["valid_to"]) == ("2025-03-03", "2026-03-02")
    at(datetime.datetime(2026, 3, 2, 16, 0, tzinfo=CHINA))  # its last day
    assert on_file(app)[LICENCE]["reused_from"] == licence["number"]
    at(datetime.datetime(2026, 3, 3, 9, 0, tzinfo=CHINA))
    with pytest.raises(ValidationError) as refused:
        on_file(app)
    assert LICENCE in refused.value.detail


def test_a_revoked_licence_is_refused_and_revoking_is_checked(app):
    registered(app)
    (licence,) = issued()
    number = licence["number"]
    before = len(outbox())
    with pytest.raises(ValidationError, match="请填写撤销原因"):
        revoke(app, number, "  ")
    with pytest.raises(NotFound):
        revoke(app, f"{CENTER}-DZZZ-2020-000009")
    with database.connection_context():  # one the hub shared from another center
        Licence.insert(**{**licence, "number": "210103-DZZZ-2026-000001",
                          "issuer": "210103"}).execute()
    with pytest.raises(Forbidden, match="只有签发中心可以撤销"):
        revoke(app, "210103-DZZZ-2026-000001")
    assert len(outbox()) == before
    shown = revoke(app, number)
    assert shown["state"] == "revoked"
    last = outbox()[-1]
    assert (last.type, orjson.loads(last.payload)["reason"]) == (rules.REVOKED, "许可被依法撤销")
    with pytest.raises(ConflictError, match="已于"):
        revoke(app, number)
    with database.connection_context():
        Licence.delete().where(Licence.issuer == "210103").execute()
    with pytest.raises(ValidationError) as refused:
        on_file(app)
    assert LICENCE in refused.value.detail


def test_the_licence_page_lists_and_the_center_admin_revokes(app, staff):
    case = registered(app)
    (licence,) = issued()
    page = staff("clerk").get("/licences/").get_data(as_text=True)
    assert licence["number"] in page and case in page and "长期" in page
    assert "撤销原因" not in page  # only the center admin revokes
    admin = staff("center-admin")
    empty = admin.form(f"/licences/{licence['number']}/revoke", {"reason": ""})
    assert empty.status_code == 422 and "请填写撤销原因" in empty.get_data(as_text=True)
    done = admin.form(f"/licences/{licence['number']}/revoke", {"reason": "营业执照被吊销"})
    assert done.status_code == 303
    assert "已撤销" in admin.get("/licences/").get_data(as_text=True)


def department_licence(number: str = "沈市监企2026000123", **changed) -> dict:
    """A 营业执照 market's business system pushed to the hub, as its message carries it."""
    return {"number": number, "name": LICENCE, "holder_id_type": "resident_id",
            "holder_id_code": ENTERPRISE["id_code"], "holder_name": ENTERPRISE["name"],
            "valid_from": "2026-01-05", "valid_to": "", "department": "市市场监督管理局",
            "issuer": "market", "case_number": "", "consent": True, "trust_level": "A",
            "issued_at": "2026-01-05T09:00:00+08:00", "revoked_at": None, "revoke_reason": "",
            **changed}


def apply_department(licence: dict) -> str:
    with database.atomic():
        return APPLIERS[rules.DEPARTMENT]({"payload": {"licence": licence}}, None)


def test_a_departments_licence_is_kept_replaced_and_removed_as_the_hub_says(app):
    assert "kept" in apply_department(department_licence())
    assert on_file(app)[LICENCE]["reused_from"] == "沈市监企2026000123"
    apply_department(department_licence(revoked_at="2026-02-01T10:00:00+08:00",
                                         revoke_reason="依法吊销"))
    with pytest.raises(ValidationError, match=LICENCE):
        on_file(app)
    apply_department(department_licence("沈市监企2026000124"))
    assert "no longer shared" in apply_department(department_licence("沈市监企2026000124",
                                                                     consent=False))
    with database.connection_context():
        assert [row.number for row in Licence.select()] == ["沈市监企2026000123"]

    works = "沈住建施2026000001"
    apply_department(department_licence(works, issuer="housing", name="建筑工程施工许可证"))
    for forged, code in [(department_licence(f"{CENTER}-DZZZ-2026-000009"), "EVENT_MALFORMED"),
                         (department_licence(issuer="210103"), "EVENT_MALFORMED"),
                         (department_licence(works), "NOT_OWNER")]:  # housing's number
        with pytest.raises(HallsyncError) as refused:
            apply_department(forged)
        assert refused.value.code.value == code
    with database.connection_context():
        assert Licence.get(Licence.number == works).issuer == "housing"


def test_a_clerk_looks_up_a_holders_licences_page_by_page(app, staff):
    registered(app)
    apply_department(department_licence(revoked_at="2026-02-01T10:00:00+08:00",
                                        revoke_reason="依法吊销"))
    clerk = staff("clerk")
    found = clerk.get(f"/api/licences?holder={ENTERPRISE['id_code'].lower()}")
    assert found.status_code == 200
    body = found.get_json()
    check({"$ref": "#/components/schemas/HolderLicences"}, body)
    assert (body["holder"], body["total"], body["page"], body["pages"]) == (
        ENTERPRISE["id_code"], 2, 1, 1)
    assert [(item["issuer"], item["state"]) for item in body["licences"]] == [
        (CENTER, "valid"), ("market", "revoked")]  # newest first
    assert clerk.get("/api/licences?holder=91210100MA0Q12343X").get_json()["total"] == 0

    with database.atomic():  # 51 more: a second page
        Licence.insert_many([department_licence(f"沈市监企2025{n:06d}",
                                                issued_at=f"2025-01-01T09:00:{n:02d}+08:00")
                             for n in range(51)]).execute()
    second = clerk.get(f"/api/licences?holder={ENTERPRISE['id_code']}&page=2").get_json()
    assert (second["total"], second["pages"], len(second["licences"])) == (53, 2, 3)
    for path, field in [("/api/licences", "holder"), ("/api/licences?holder=%20", "holder"),
                        (f"/api/licences?holder={'9' * 33}", "holder"),
                        (f"/api/licences?holder={ENTERPRISE['id_code']}&page=3", "page")]:
        refused = clerk.get(path)
        assert (refused.status_code, refused.get_json()["field"]) == (422, field), path
    assert staff(None).get("/api/licences?holder=X").status_code == 401
