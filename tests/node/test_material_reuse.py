"""Materials never asked for twice, and only those that may be (issue 15, point 1).

Reusable is what the catalog marks ``e_licence`` (营业执照 of SY04001), taken from an
approved, completed case of the same person (same ID document type and number), for
``node.reuse.KEPT_DAYS``; the clerk may decline a copy on file; a second open
application of the same matter is flagged, never refused.
"""
from __future__ import annotations

import datetime

import pytest

from node import reuse
from node.models import KeptMaterial, database
from sync.case_clock import CHINA
from sync.errors import ValidationError
from tests.node.test_window import (APPROVAL, ENTERPRISE, INTAKE_CHOOSE, LICENCE, MATTER,  # noqa: F401
                                    PERSON, act, app, approved_case, at, everything, new_case,
                                    seed, staff)

OTHERS = [name for name in everything() if name != LICENCE]


def reused(app, number: str) -> dict[str, str]:
    with database.connection_context():
        from node.cases import view
        return {m["name"]: m["reused_from"] for m in view(number)["materials"]}


def test_only_the_licence_of_an_approved_case_is_on_file(app):
    first = approved_case(app)
    second = new_case(app, materials=OTHERS)  # the application form etc. are handed in again
    assert reused(app, second) == {name: first if name == LICENCE else "" for name in everything()}
    with database.connection_context():
        assert [(k.name, k.number) for k in KeptMaterial.select()] == [(LICENCE, first)]


def test_a_refused_or_withdrawn_case_puts_nothing_on_file(app):
    refused = new_case(app)
    for action, role, data in APPROVAL[:2]:
        act(app, refused, action, role, data)
    act(app, refused, "decide", "approver", {"outcome": "refused", "reason": "不符合条件",
                                             "document_number": "沈电保不字1号"})
    withdrawn = new_case(app)
    act(app, withdrawn, "withdraw", "clerk", {"reason": "申请人撤回"})
    with pytest.raises(ValidationError) as info:
        new_case(app, materials=OTHERS)
    assert LICENCE in info.value.detail


def test_a_copy_on_file_is_trusted_for_a_year_only(app, at):
    decided = datetime.datetime(2025, 3, 3, 10, 0, tzinfo=CHINA)
    at(decided)
    first = approved_case(app)
    at(decided + datetime.timedelta(days=reuse.KEPT_DAYS))  # the last day it is trusted
    assert reused(app, new_case(app, materials=OTHERS))[LICENCE] == first
    at(decided + datetime.timedelta(days=reuse.KEPT_DAYS + 1))
    with pytest.raises(ValidationError) as info:
        new_case(app, materials=OTHERS)
    assert LICENCE in info.value.detail


def test_another_document_type_with_the_same_number_is_another_person(app):
    holder = {**PERSON, "id_type": "passport", "id_code": "E12345678", "name": "John Smith"}
    approved_case(app, applicant=holder)
    namesake = {**holder, "id_type": "hk_macao_permit", "id_code": "E12345678"}
    with pytest.raises(ValidationError):
        new_case(app, applicant=namesake, materials=OTHERS)
    assert reused(app, new_case(app, applicant=holder, materials=OTHERS))[LICENCE]


def test_the_clerk_declines_a_copy_on_file_and_collects_it_again(app, staff):
    approved_case(app)
    clerk = staff("clerk")
    step2 = clerk.form("/window/intake", INTAKE_CHOOSE).get_data(as_text=True)
    assert "存档不适用，重新收取" in step2
    declined = clerk.form("/window/intake", {**INTAKE_CHOOSE, "decline": LICENCE})
    page = declined.get_data(as_text=True)
    assert "须本次收取" in page and page.count('name="materials"') == len(everything())
    refused = clerk.form("/window/intake", {**INTAKE_CHOOSE, "step": "submit", "declined": LICENCE,
                                            "materials": OTHERS, "outcome": "accept"})
    assert refused.status_code == 422 and LICENCE in refused.get_data(as_text=True)
    done = clerk.form("/window/intake", {**INTAKE_CHOOSE, "step": "submit", "declined": LICENCE,
                                         "materials": everything(), "outcome": "accept"})
    number = done.headers["Location"].rsplit("/", 1)[-1]
    assert reused(app, number) == dict.fromkeys(everything(), "")


def test_a_second_open_application_of_the_matter_is_flagged_not_refused(app, staff):
    first = new_case(app)
    clerk = staff("clerk")
    step2 = clerk.form("/window/intake", INTAKE_CHOOSE).get_data(as_text=True)
    assert 'id="same-matter-open"' in step2 and first in step2
    response = clerk.json("/api/cases", {"matter_code": MATTER, "applicant": ENTERPRISE,
                                         "materials": everything(), "outcome": "accept"})
    assert response.status_code == 201
    assert response.get_json()["same_matter_open"] == [first]
    other_person = new_case(app, applicant=PERSON)
    assert clerk.get(f"/api/cases/{other_person}").get_json()["same_matter_open"] == []
