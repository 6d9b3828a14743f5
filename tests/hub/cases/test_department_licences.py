"""A department's push into the licence register, in process on SQLite: a batch costs no
statement a licence (read what it touches once, write in bulk), whether it
registers licences or changes them; the centers hear of a licence while it is shared or
was. Through a real hub, on both backends: tests/test_department_api.py."""
from __future__ import annotations

import datetime
import json

import pytest

from hub import db as hub_db
from hub.cases import department_licences
from hub.cases.department_licences import MAX_BATCH, push
from hub.ledger.stream import use_keys
from hub.models import HubLicence, HubMessage, database
from sync import licences as rules
from sync.case_clock import CHINA
from sync.database import insert_sizes
from sync.signing import KeyPair
from tests.processes import ROOT
from tests.queries import counted
from tests.test_department_api import licence

IN_FORCE = {m["basic_code"]: m for m in json.loads(
    (ROOT / "config" / "catalog" / "matters.json").read_text(encoding="utf-8"))["matters"]}
NOW = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=CHINA)


@pytest.fixture
def register(tmp_path):
    db = hub_db.bind(f"sqlite:///{tmp_path / 'hub.db'}")
    use_keys(lambda keys=KeyPair.generate(): keys)
    with database.connection_context():
        yield db
    db.close()


def batch(start: int, size: int, **changed) -> dict:
    return {"licences": [licence(f"沈市监企2026{n:06d}", **changed)
                         for n in range(start, start + size)]}


def statements(body: dict) -> int:
    with database.atomic(), counted(database) as run:
        push("market", body, IN_FORCE, NOW)
    return len(run)


def test_a_batch_costs_no_statement_a_licence(register):
    # The register read once and written once; the messages: their ids, their insert (and
    # the savepoint around them), whose statements grow with the log of their number.
    more = len(insert_sizes(MAX_BATCH)) - len(insert_sizes(2))
    assert statements(batch(0, 2)) == 6 and statements(batch(1000, MAX_BATCH)) == 6 + more
    longer = {"valid_to": "2046-01-04"}
    assert statements(batch(0, 2, **longer)) == 6
    assert statements(batch(1000, MAX_BATCH, **longer)) == 6 + more
    assert HubLicence.select().where(HubLicence.valid_to == "2046-01-04").count() == 2 + MAX_BATCH
    sent = HubMessage.select().where(HubMessage.type == rules.DEPARTMENT).count()
    assert sent == 2 * (2 + MAX_BATCH)  # each licence shared, then its change


def test_the_licence_types_are_those_the_departments_matters_issue():
    assert department_licences.licence_types("market", IN_FORCE) == {"营业执照", "食品经营许可证"}
    assert department_licences.licence_types("industry", IN_FORCE) == set()


def sent() -> list[tuple[str, bool, bool]]:
    """The licence.department messages so far: (number, consent, revoked)."""
    rows = HubMessage.select().where(HubMessage.type == rules.DEPARTMENT).order_by(HubMessage.id)
    held = [json.loads(row.payload)["licence"] for row in rows]
    return [(item["number"], item["consent"], item["revoked_at"] is not None) for item in held]


def test_the_centers_hear_of_a_licence_while_it_is_shared_or_was(register):
    def pushed(**item):
        with database.atomic():
            return push("market", {"licences": [licence(**item)]}, IN_FORCE, NOW)["licences"]
    number = licence()["number"]
    assert pushed(consent=False)[0] == {"number": number, "outcome": "registered",
                                        "shared": False}
    assert sent() == []  # the register only
    pushed(consent=True)
    pushed(consent=True)  # unchanged: nothing new to tell
    pushed(consent=False)  # withdrawn: every center drops its copy
    pushed(consent=False, valid_to="2040-01-01")  # changed, but no center holds it
    assert sent() == [(number, True, False), (number, False, False)]
    revoked = licence("沈市监企2026999999", revoked={"reason": "签发有误"})
    with database.atomic():  # revoked before any center had it: none hears of it
        push("market", {"licences": [revoked]}, IN_FORCE, NOW)
    assert len(sent()) == 2
