"""电子证照库 between centers through a real hub (SQLite and PostgreSQL): a licence issued
at district 210102 satisfies a material at street 210102001 once the hub relays it; its
revocation drops it at the street's next sync; a licence without consent is not shared;
a center that did not issue a licence cannot revoke it."""
from __future__ import annotations

import pytest

from hub import db as hub_db
from hub.models import Event, HubLicence, HubMessage
from node import case_log, licences, outbox
from node.cases import intake
from node.models import Licence
from sync import licences as rules
from sync.errors import ValidationError
from tests.catalog_changes import matter
from tests.processes import hallsync, last_json
from tests.test_handoffs import (APPROVER, CLERK, DISTRICT, REVIEWER, STREET,  # noqa: F401
                                 enrolled)

ENTERPRISE = {"kind": "enterprise", "name": "沈阳某餐饮有限公司",
              "id_code": "91210100MA0Q123430", "phone": "02423456789"}
REGISTRATION = "SY24001"  # 企业设立登记 at the district: issues the 营业执照
INSURANCE = "SY10001"  # 社会保险参保登记（企业职工）, a 即办件 at the street: needs the 营业执照
LICENCE = "营业执照"


def register(district, consent: bool) -> str:
    """An enterprise registered at the district; returns its licence number."""
    with district as keys:
        number = intake(keys, DISTRICT, CLERK, {
            "matter_code": REGISTRATION, "applicant": ENTERPRISE, "outcome": "accept",
            "materials": [m["name"] for m in matter(REGISTRATION)["materials"]],
            "licence_consent": consent})["number"]
    district.act(number, "start_review", REVIEWER)
    district.act(number, "submit_for_approval", REVIEWER)
    district.act(number, "decide", APPROVER, {"outcome": "approved", "registered_capital": 50,
                                              "document_number": "沈和市监登字〔2026〕7号"})
    with district:
        (licence,) = Licence.select().where(Licence.case_number == number)
    return licence.number


def licences_cli(center, *args, check: bool = True):
    """``hallsync node licences ARGS`` on the center's data directory."""
    return hallsync("node", "licences", *args, "--data-dir", center.dir.data_dir, check=check)


def insure(street) -> dict:
    """The street takes in the enterprise's insurance registration without the 营业执照."""
    with street as keys:
        return intake(keys, STREET, CLERK, {
            "matter_code": INSURANCE, "applicant": ENTERPRISE, "outcome": "complete_immediate",
            "document_number": "沈和社保登字1号",
            "materials": [m["name"] for m in matter(INSURANCE)["materials"]
                          if m["name"] != LICENCE]})


def test_a_licence_issued_at_a_district_satisfies_a_material_at_a_street(hub, make_node):
    district, street = enrolled(hub, make_node, DISTRICT), enrolled(hub, make_node, STREET)
    with pytest.raises(ValidationError, match=LICENCE):  # nothing on file yet
        insure(street)
    number = register(district, consent=True)
    district.sync()
    street.sync()
    case = insure(street)
    (on_file,) = [m for m in case["materials"] if m["name"] == LICENCE]
    assert (on_file["reused_from"], on_file["source"], on_file["trust_level"]) == (
        number, "licence", "A")

    # The street cannot revoke the district's licence: not at its node, and not at the hub.
    refused = licences_cli(street, "revoke", number, "--reason", "冒名撤销", check=False)
    assert refused.returncode == 2 and "FORBIDDEN" in refused.stderr
    with street as keys:
        outbox.emit(keys, STREET, rules.REVOKED, rules.record_of(number),
                    {"number": number, "reason": "冒名撤销", "at": "2026-01-05T09:00:00+08:00"})
    street.sync()
    database = hub_db.bind(hub.db_url)
    forged = Event.get((Event.origin == STREET) & (Event.type == rules.REVOKED))
    assert (forged.state, forged.error_code) == ("refused", "NOT_OWNER")
    assert HubLicence.get(HubLicence.number == number).revoked_at is None
    database.close()

    # The issuer revokes it: gone from the street's window after one sync of each.
    bad = licences_cli(district, "revoke", number, "--reason", " ", check=False)
    assert bad.returncode == 2 and "VALIDATION_FAILED" in bad.stderr
    done = last_json(licences_cli(district, "revoke", number, "--reason", "营业执照被依法吊销",
                                  "--json"))
    assert done["state"] == "revoked"
    listed = last_json(licences_cli(district, "list", "--json"))["licences"]
    assert [(item["number"], item["state"]) for item in listed] == [(number, "revoked")]
    district.sync()
    street.sync()
    with pytest.raises(ValidationError, match=LICENCE):
        insure(street)
    database = hub_db.bind(hub.db_url)
    assert HubLicence.get(HubLicence.number == number).revoke_reason == "营业执照被依法吊销"
    assert [m.type for m in HubMessage.select().where(HubMessage.recipient == "*")
            .order_by(HubMessage.id) if m.type.startswith("licence.")] == [
        rules.SHARED, rules.REVOKED]
    database.close()


def test_a_licence_without_consent_stays_at_its_issuer(hub, make_node):
    district, street = enrolled(hub, make_node, DISTRICT), enrolled(hub, make_node, STREET)
    number = register(district, consent=False)
    district.sync()
    street.sync()
    with pytest.raises(ValidationError, match=LICENCE):
        insure(street)
    with street:
        assert Licence.select().count() == 0
    database = hub_db.bind(hub.db_url)
    assert HubLicence.get(HubLicence.number == number).consent is False
    assert not HubMessage.select().where(HubMessage.type == rules.SHARED).exists()
    database.close()
    with district as keys:  # the issuing center keeps it, and still revokes it
        licences.revoke(keys, DISTRICT, number, "申请人撤回", case_log.now())
    district.sync()
    database = hub_db.bind(hub.db_url)
    assert HubLicence.get(HubLicence.number == number).revoked_at is not None
    assert not HubMessage.select().where(HubMessage.type.startswith("licence.")).exists()
    database.close()
