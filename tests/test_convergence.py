"""Convergence as a property: random interleavings of work, syncs, crashes and catalog
changes over a district, two of its streets and a real hub process leave one state.

Hypothesis drives the steps (``RuleBasedStateMachine``): clerks take cases in through the
node's own code (``CaseMix``), streets hand food licences to their district and the
district decides them, one node pushes and pulls, a push is cut by SIGKILL after the hub
committed it (the reply is lost; the node is reopened from its files), the hub publishes
a catalog change. After each run every node syncs until quiet, and then:

- every node's chain is at the hub whole and exactly once;
- every node holds the hub's current catalog version;
- the hub's cases, actions, signed case events, owners, handoffs, rollups and event states
  equal the fold of its stored events, replayed one by one into a copy of its database
  with everything they derive cleared.

The world (hub and nodes) lives across examples, so each check covers all runs so far.
``HALLSYNC_TEST_LONG=1`` runs many more and longer runs (docs/reliability.md).
"""
from __future__ import annotations

import random
import sqlite3

import orjson
import pytest
from peewee import fn
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from hallsync.bench.case_mix import CaseMix
from hub import db as hub_db
from hub.ledger.stream import use_keys
from hub.models import (CaseHandoff, CaseRollup, CaseRollupMonth, CaseStep, CatalogVersion,
                        CenterRollupDay, CenterRollupMonth, Event, EvaluationLink, HubCase,
                        HubCaseAction, OriginHead, Ownership, RecordData, database)
from node import store
from node.app import load_settings
from node.cases import act, view
from node.models import NodeState
from node.models import database as node_database
from node.syncer import Node
from sync.errors import HallsyncError
from sync.signing import KeyPair
from tests.catalog_changes import CHANGES, write
from tests.faults.world import LONG, hand_off, hub_chains, node_chain
from tests.hub.cases.test_batch_apply import apply_pushes, hub_state
from tests.test_handoffs import APPROVER, REVIEWER

DISTRICT, STREETS = "210102", ("210102001", "210102002")
CENTERS = (DISTRICT, *STREETS)
# The district's steps on a case handed to it, after which it is the street's to deliver.
DECIDE = (("take_over", REVIEWER, {}), ("start_review", REVIEWER, {}),
          ("submit_for_approval", REVIEWER, {}),
          ("decide", APPROVER, {"outcome": "approved", "document_number": "和食经〔2026〕1号"}))
# What applying events derives at the hub: cleared in the copy, then rebuilt by replay.
DERIVED = (HubCase, HubCaseAction, CaseStep, CaseHandoff, Ownership, RecordData, EvaluationLink,
           CaseRollup, CaseRollupMonth, CenterRollupDay, CenterRollupMonth, Event, OriginHead)
RUNS = settings(max_examples=40 if LONG else 3, stateful_step_count=30 if LONG else 8,
                deadline=None, suppress_health_check=list(HealthCheck))


def with_node(node_dir, work):
    """``work(keys)`` on the node's files, reopened (a restart costs nothing more)."""
    store.bind(node_dir.data_dir)
    try:
        with node_database.connection_context():
            return work(store.load_keys(node_dir.data_dir))
    finally:
        node_database.close()


def sync(node_dir) -> int:
    """One push and pull of the node, in process: how much moved."""
    node = Node(str(node_dir.data_dir), load_settings({"data_dir": str(node_dir.data_dir)}))
    try:
        with node_database.connection_context():
            moved = node.push()
            node.pull(moved)
    finally:
        node.close()
        node_database.close()
    return moved.pushed + moved.pulled


class Convergence(RuleBasedStateMachine):
    hub = nodes = tmp_path = None  # the world, set by the test
    catalog_ops: list[str] = []
    handed: list[tuple[str, str]] = []  # (street, case number) not yet decided

    @rule(center=st.sampled_from(CENTERS), life=st.sampled_from(("immediate", "promised")),
          seed=st.integers(0, 2**16))
    def take_in(self, center, life, seed):
        with_node(self.nodes[center], lambda keys: CaseMix(keys, center, random.Random(seed))
                  .play(life, evaluate=seed % 2 == 0))

    @initialize(street=st.sampled_from(STREETS))
    def first_hand_off(self, street):
        self.hand_off(street)  # every run has at least one handoff to follow

    @rule(street=st.sampled_from(STREETS))
    def hand_off(self, street):
        self.handed.extend((street, n) for n in hand_off(self.nodes[street], 1))

    # No preconditions: the world outlives each example, so a rule enabled by its state
    # would make Hypothesis draw differently when it replays an example (a flaky failure).
    @rule()
    def district_decides(self):
        """The district decides every handed case it has heard of; the rest wait."""
        def decide(keys):
            for street, number in list(self.handed):
                try:
                    case = view(number)
                except HallsyncError:
                    continue  # not yet relayed to the district
                if case["state"] == "handed_off" and case["holder"] == DISTRICT:
                    for action, actor, data in DECIDE:
                        act(keys, DISTRICT, number, action, actor, data)
                    self.handed.remove((street, number))
        with_node(self.nodes[DISTRICT], decide)

    @rule(center=st.sampled_from(CENTERS))
    def sync(self, center):
        sync(self.nodes[center])

    @rule(center=st.sampled_from(CENTERS))
    def push_reply_lost(self, center):
        """A sync process killed after the hub committed its push, before it kept the ack."""
        result = self.nodes[center].sync(check=False, HALLSYNC_CRASH_AT="node.after_push_reply")
        assert result.returncode in (0, -9), result.stderr[-2000:]

    @rule()
    def catalog_change(self):
        """The next of the catalog changes, while there is one."""
        if len(self.catalog_ops) == len(CHANGES):
            return
        op = list(CHANGES)[len(self.catalog_ops)]
        self.hub.cli("catalog", "apply", write(self.tmp_path, op, CHANGES[op]))
        self.catalog_ops.append(op)

    def teardown(self):
        settle(self.nodes.values())
        chains = hub_chains(self.hub)
        for code, node_dir in self.nodes.items():
            chain, _notices = node_chain(node_dir)
            assert chains.get(code, []) == chain, f"{code}: not exactly once at the hub"
        current = at_hub(self.hub, lambda: CatalogVersion.select(fn.MAX(CatalogVersion.version))
                         .scalar())
        held = {code: with_node(node_dir, lambda keys: NodeState.get().catalog_version)
                for code, node_dir in self.nodes.items()}
        assert held == {code: current for code in self.nodes}, (current, held)
        assert folded(self.hub, self.tmp_path) == applied(self.hub)


def settle(nodes, attempts: int = 20) -> None:
    """Sync every node until a whole round moves nothing (receipts, relays, offers)."""
    for _ in range(attempts):
        if sum(sync(node) for node in nodes) == 0:
            return
    raise AssertionError(f"no quiet round in {attempts}")


def at_hub(hub, work, url: str | None = None):
    db = hub_db.bind(url or hub.db_url)
    try:
        with database.connection_context():
            return work()
    finally:
        db.close()


def comparable() -> dict:
    """The hub's derived state, without ids, times and messages (checked elsewhere)."""
    state = hub_state()
    del state["messages"]
    state["events"] = [(e["origin"], e["seq"], e["state"], e["error_code"])
                       for e in state["events"]]
    return state


def applied(hub) -> dict:
    return at_hub(hub, comparable)


def folded(hub, tmp_path) -> dict:
    """Every stored event replayed one by one, in the order the hub received them, into a
    copy of the hub's database with all that events derive cleared."""
    source = hub.db_url.removeprefix("sqlite:///")
    copy = tmp_path / "fold.db"
    copy.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    events = at_hub(hub, lambda: [
        {**row, "payload": orjson.loads(row["payload"])} for row in
        Event.select().order_by(Event.received_ms, Event.origin, Event.seq).dicts()])

    def replay():
        use_keys(lambda keys=KeyPair.generate(): keys)  # relays are signed, by any key here
        for model in DERIVED:
            model.delete().execute()
        with database.atomic():
            apply_pushes([[event] for event in events])
        return comparable()
    return at_hub(hub, replay, f"sqlite:///{copy}")


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_every_interleaving_converges(hub, make_node, tmp_path):
    nodes = {}
    for code in CENTERS:
        nodes[code] = make_node(code)
        nodes[code].enroll(hub)
    Convergence.hub, Convergence.nodes, Convergence.tmp_path = hub, nodes, tmp_path
    Convergence.catalog_ops, Convergence.handed = [], []
    settle(nodes.values())
    run_state_machine_as_test(Convergence, settings=RUNS)
    # Not vacuous: the runs made cases, handoffs, and events beyond enrollment's receipts.
    made = at_hub(hub, lambda: (HubCase.select().count(), CaseHandoff.select().count()))
    assert made[0] >= made[1] >= 1, made
