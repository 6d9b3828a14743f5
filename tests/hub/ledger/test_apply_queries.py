"""What applying a push of real case events costs the hub, in SQL statements.

The events are a node's own (window intake, review, approval, decision, delivery),
read from its outbox and pushed through the hub's ingest (``ingest.receive_push``),
the path ``POST /sync/v1/push`` takes after the envelope is checked. A run of case
events is applied together (``hub.cases.batch``), so the count does not grow with the
number of cases or events. The applicant has a mobile number, so most actions come with
an ``sms.requested`` event, as at a real window: those wait to the end of the push
(an independent handler's) instead of cutting the case events into runs.
"""
from __future__ import annotations

import re

from hub.app import create_app as create_hub
from hub.ledger import ingest
from hub.models import CaseHandoff, CenterState, HubMessage, NodeKey
from hub.models import database as hub_database
from node import outbox, store
from node.models import database as node_database
from sync import envelope as env
from tests.node.test_window import (CENTER, IMMEDIATE, act, app,  # noqa: F401  (fixtures)
                                    PERSON, everything, new_case, seed)
from tests.queries import counted

PROMISED = (("start_review", "reviewer", {}),
            ("submit_for_approval", "reviewer", {"reason": "材料齐全，符合条件"}),
            ("decide", "approver", {"outcome": "approved", "reason": "符合条件",
                                    "document_number": "沈电保字1号"}),
            ("deliver", "clerk", {"method": "window"}))
# Statements to apply a push of the events of 1, then of 4, cases of each kind (immediate,
# promised): the same, a bound. It was {1: 103, 4: 375}, about 13 a case event; and with
# the SMS applied in place, {1: 63, 4: 207}. One more since the working-day calendar comes
# in versions: which version is in force, read once a push (hub.calendar.in_force); and
# one more read before the write lock since a push's new cases are worked out there
# (hub.cases.worked_ahead), for the calendar they are worked out on. Four more since an
# insert takes its rows in powers of two (``sync.database.insert_sizes``), so that its
# texts stay compiled: a table's statements grow with the bits of its row count, here
# as many for 1 case as for 4.
PINNED = {1: 31, 4: 31}
TARGET = "210103"  # another district, enrolled: it takes the cases handed off
# A push of cases received and handed off: it was {1: 37, 4: 97} when each hand_off was
# routed alone (20 statements a handoff); one more read before the lock, and one more
# insert's statement of a power of two rows, as above.
HANDOFFS_PINNED = 35


def make_cases(app, each: int) -> None:  # noqa: F811
    for _ in range(each):
        new_case(app, "complete_immediate", code=IMMEDIATE, materials=everything(IMMEDIATE),
                 document_number="沈市监变字1号", applicant=PERSON)
        number = new_case(app, applicant=PERSON)
        for action, role, data in PROMISED:
            act(app, number, action, role, data)


def test_applying_case_events_costs_what_it_cost(app, tmp_path):  # noqa: F811
    settings = _hub_knowing_the_node(app, tmp_path)
    found, pushed = {}, _push_what_enrollment_left(settings)
    for each in sorted(PINNED):
        make_cases(app, each)
        with node_database.connection_context():
            events = outbox.read(pushed, CENTER)
        with hub_database.connection_context(), counted(hub_database) as statements:
            reply = ingest.receive_push(CENTER, {"events": events}, settings=settings,
                                        now_ms=env.now_ms())
        assert reply["problems"] == [] and reply["acked_seq"] == events[-1]["seq"]
        assert {e["type"] for e in events} == {"case.received", "case.action", "sms.requested"}
        pushed = reply["acked_seq"]
        found[each] = len(statements)
    assert found == PINNED
    assert found[4] == found[1]


def test_handing_cases_off_costs_the_same_for_one_or_four(app, tmp_path):  # noqa: F811
    """A ``hand_off`` is routed with the run's other writes: its handoff row, the move of
    ownership and the offer with the case's signed events cost no statements per case."""
    settings = _hub_knowing_the_node(app, tmp_path)
    with hub_database.connection_context():
        CenterState.create(code=TARGET, enrolled_at=env.now_ms())
    found, pushed = {}, _push_what_enrollment_left(settings)
    for each in (1, 4):
        for _ in range(each):
            number = new_case(app, applicant=PERSON)
            act(app, number, "hand_off", "clerk", {"target": TARGET, "consent": True})
        with node_database.connection_context():
            events = outbox.read(pushed, CENTER)
        with hub_database.connection_context(), counted(hub_database) as statements:
            reply = ingest.receive_push(CENTER, {"events": events}, settings=settings,
                                        now_ms=env.now_ms())
        assert reply["problems"] == []
        pushed = reply["acked_seq"]
        found[each] = len(statements)
    with hub_database.connection_context():
        assert CaseHandoff.select().where(CaseHandoff.target == TARGET).count() == 5
        offers = [m.payload for m in HubMessage.select().where(
            (HubMessage.recipient == TARGET) & (HubMessage.type == "handoff.offer"))]
    assert len(offers) == 5 and all('"hand_off"' in offer for offer in offers)
    assert found == {1: HANDOFFS_PINNED, 4: HANDOFFS_PINNED}


# Plans that read more than a push needs: a whole table, or every event an origin ever
# sent (its events' primary key range), which grows with the hub's age.
WIDE_READ = re.compile(r"^SCAN (?!\d+ CONSTANT ROWS)"
                       r"|^SEARCH event USING PRIMARY KEY \(origin=\?\)$")
SMALL_TABLES = {"calendar_version"}  # a few rows a year


def test_no_statement_of_a_push_reads_more_than_it_needs(app, tmp_path):  # noqa: F811
    """What a push reads is found through an index: its cost stays the same as the hub
    holds years of events (a statement that reads the origin's whole history shows no
    growth in a test's small hub, only in its plan)."""
    settings = _hub_knowing_the_node(app, tmp_path)
    pushed = _push_what_enrollment_left(settings)
    numbers = [new_case(app, applicant=PERSON) for _ in range(2)]
    plans = []
    for step in range(2):  # cases received, then acted on once they are at the hub
        if step:
            for number in numbers:
                act(app, number, *PROMISED[0])
        with node_database.connection_context():
            events = outbox.read(pushed, CENTER)
        with hub_database.connection_context():
            with counted(hub_database) as statements:
                reply = ingest.receive_push(CENTER, {"events": events}, settings=settings,
                                            now_ms=env.now_ms())
            plans += [read for sql in statements for read in _plan(sql)]
        assert reply["problems"] == []
        pushed = reply["acked_seq"]
    assert {"event", "hub_case", "hub_case_action", "ownership"} <= {t for t, _ in plans}
    wide = [(table, line) for table, line in plans
            if WIDE_READ.search(line) and table not in SMALL_TABLES]
    assert wide == []


def _plan(sql: str) -> list[tuple[str, str]]:
    """(table read, a line of SQLite's plan) of a traced statement that reads a table to
    select, update or delete (its parameters are already in it; peewee names its tables
    ``t1``… in the plan)."""
    read = re.search(r'\b(?:FROM|UPDATE) "?(\w+)', sql)
    if read is None or sql.split()[0].upper() == "INSERT":
        return []
    return [(read[1], row[3]) for row in hub_database.execute_sql("EXPLAIN QUERY PLAN " + sql)]


def _hub_knowing_the_node(app, tmp_path) -> dict:  # noqa: F811
    """A hub holding the node's key, as its enrollment wrote it; returns its settings."""
    hub = create_hub({"data_dir": str(tmp_path / "hub")})
    keys = store.load_keys(app.config["HALLSYNC"]["data_dir"])
    with hub_database.connection_context():
        NodeKey.create(key_id=keys.key_id, center=CENTER, public_key=keys.public.b64,
                       created_ms=env.now_ms())
    return hub.config["HALLSYNC"]


def _push_what_enrollment_left(settings: dict) -> int:
    """Push the node's events before the first case (its receipts of the catalog), uncounted,
    so each counted push carries case events only; returns the seq acknowledged."""
    with node_database.connection_context():
        events = outbox.read(0, CENTER)
    if not events:
        return 0
    with hub_database.connection_context():
        reply = ingest.receive_push(CENTER, {"events": events}, settings=settings,
                                    now_ms=env.now_ms())
    assert reply["problems"] == []
    return reply["acked_seq"]
