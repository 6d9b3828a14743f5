"""A center cannot claim another center's records: a case number carries the center that
received it, and an event's record must be the one its payload names. An enrolled
center that signs whatever it likes tries both; its neighbour's work goes on unharmed."""
from __future__ import annotations

import pytest

from hub import db as hub_db
from hub.models import Event, HubCase
from node import case_log, outbox, store
from node.cases import intake
from node.models import database as node_database
from sync import envelope as env
from sync import events
from sync.case_clock import china_today
from sync.case_numbers import case_number
from sync.case_records import record_of
from sync.events import GENESIS
from tests.protocol import post, problem
from tests.test_cases import ENTERPRISE, MATTER, everything

VICTIM, ATTACKER = "210102", "210103"  # 和平区 and 沈河区


@pytest.fixture
def centers(hub, make_node):
    victim = make_node(VICTIM)
    victim.enroll(hub)
    victim.sync()  # the catalog
    attacker = make_node(ATTACKER)
    attacker.enroll(hub)
    return victim, attacker


def _received_offline(victim) -> dict:
    """The victim's case taken in at its window, not yet pushed: its ``case.received``."""
    store.bind(victim.data_dir)
    with node_database.connection_context():
        intake(store.load_keys(victim.data_dir), VICTIM, case_log.Actor("wang", "clerk"),
               {"matter_code": MATTER, "applicant": ENTERPRISE, "materials": everything(),
                "outcome": "accept"})
        return [e for e in outbox.read(0, VICTIM) if e["type"] == "case.received"][-1]


def _push(hub, attacker, seq: int, prev_hash: str, record: str, payload: dict):
    keys = store.load_keys(attacker.data_dir)
    forged = events.make(keys, origin=ATTACKER, seq=seq, prev_hash=prev_hash,
                         type_="case.received", record=record, payload=payload)
    return forged, post(hub.url, "push", {"events": [forged]}, keys=keys, sender=ATTACKER)


def test_a_neighbours_case_number_cannot_be_claimed(hub, centers):
    victim, attacker = centers
    received = _received_offline(victim)
    number = received["payload"]["number"]
    _forged, response = _push(hub, attacker, 1, GENESIS, record_of(number),
                              received["payload"])
    reply = env.unpack(response.content, 1 << 20)
    assert [(p["seq"], p["code"]) for p in reply["problems"]] == [(1, "NOT_OWNER")]
    assert victim.sync()["errors"] == []  # the rightful center's case is not refused
    database = hub_db.bind(hub.db_url)
    try:
        copy = HubCase.get(HubCase.number == number)
        assert (copy.center, copy.state) == (VICTIM, "accepted")
        assert Event.select().where(Event.origin == VICTIM, Event.state != "applied").count() == 0
    finally:
        database.close()


def test_a_record_that_is_not_the_one_its_payload_names_refuses_the_push(hub, centers):
    victim, attacker = centers
    received = _received_offline(victim)
    own = case_number(ATTACKER, china_today(), 1)
    _forged, response = _push(hub, attacker, 1, GENESIS, record_of(own), received["payload"])
    assert response.status_code == 400
    body = problem(response)
    assert body["code"] == "EVENT_MALFORMED" and "events[0].record" in body["detail"]
    database = hub_db.bind(hub.db_url)
    try:
        assert Event.select().where(Event.origin == ATTACKER).count() == 0
    finally:
        database.close()
