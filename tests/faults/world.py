"""A street and its district, with real work between them, and the end-of-test checks.

Every fault test builds the same small world: nodes that write events, a street
that hands cases to its district, the hub that sends notices to everyone. After
the fault, ``assert_exactly_once`` proves what the design promises: each node's
chain is at the hub whole and once, each handoff reached its district once,
each notice was applied once, and every audit chain verifies.

``HALLSYNC_TEST_LONG=1`` makes the randomised tests run many more rounds (see
docs/reliability.md); it is read at import, before the fixtures clear
``HALLSYNC_*`` for the test itself.
"""
from __future__ import annotations

import os
import subprocess
import sys

from hub import db as hub_db
from hub.identity import load_or_create_key
from hub.ledger import stream
from hub.models import CaseHandoff, Event, HubMessage, MessageReceipt, OriginHead
from node import outbox, store
from node.case_log import Actor
from node.cases import intake, view
from node.models import Notice, OutboxEvent
from node.models import database as node_database
from tests.catalog_changes import matter
from tests.processes import ROOT, child_env, hallsync, last_json

LONG = bool(os.environ.get("HALLSYNC_TEST_LONG"))
STREET, DISTRICT = "210102001", "210102"
FOOD = "SY24901"  # 食品经营许可: the street collects it, its district decides
PERSON = {"kind": "person", "name": "张伟", "id_code": "210102198503150013",
          "phone": "13800000000"}
CLERK = Actor("wang", "clerk")


def rounds(short: int, long: int) -> int:
    return long if LONG else short


def write(node_dir, count: int) -> None:
    """``count`` record changes at a node, in batches of 1,000, each with its event."""
    store.bind(node_dir.data_dir)
    keys = store.load_keys(node_dir.data_dir)
    with node_database.connection_context():
        first, _ = outbox.last()
        for start in range(0, count, 1000):
            outbox.emit_many(keys, node_dir.center, [
                ("record.put", f"profile:{node_dir.center}:{first + i}", {"data": {"n": i}})
                for i in range(start, min(count, start + 1000))])
    node_database.close()


def hand_off(street_dir, count: int) -> list[str]:
    """``count`` food-licence cases collected at the street and handed to its district."""
    store.bind(street_dir.data_dir)
    keys = store.load_keys(street_dir.data_dir)
    form = {"matter_code": FOOD, "applicant": PERSON, "outcome": "accept", "consent": True,
            "materials": [m["name"] for m in matter(FOOD)["materials"]]}
    with node_database.connection_context():
        numbers = [intake(keys, street_dir.center, CLERK, form)["number"] for _ in range(count)]
    node_database.close()
    return numbers


def notify(hub, count: int) -> list[int]:
    """``count`` notices to every center, signed by the hub's key, in the pull stream."""
    database = hub_db.bind(hub.db_url)
    try:
        keys = load_or_create_key(hub.data_dir)
        return stream.publish_many(keys, [("*", "notice", {"title": f"通知{i}", "body": "演练"})
                                          for i in range(count)])
    finally:
        database.close()


def sync_process(node_dir, **env) -> subprocess.Popen:
    """``hallsync node sync`` as a process of its own (to be killed, or waited for)."""
    return subprocess.Popen([sys.executable, "-m", "hallsync", "node", "sync", "--data-dir",
                             str(node_dir.data_dir), "--json"], env=child_env(env), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def sync_once(node_dir) -> dict | None:
    """One ``hallsync node sync``: what it moved, or None when it failed before reporting."""
    result = node_dir.sync(check=False)
    lines = result.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        return None
    moved = last_json(result)
    return moved if result.returncode == 0 and not moved["errors"] else None


def settle(nodes, *, attempts: int = 40) -> None:
    """Sync every node until a whole round moves nothing and reports no error: applying a
    pull writes receipts the next push carries, and one node's push feeds another's pull."""
    for _ in range(attempts):
        quiet = True
        for node in nodes:
            moved = sync_once(node)
            quiet = quiet and moved is not None and moved["pushed"] == moved["pulled"] == 0
        if quiet:
            return
    raise AssertionError(f"no quiet round in {attempts}")


def hub_chains(hub) -> dict[str, list[tuple[int, str]]]:
    """Each origin's events at the hub as (seq, hash), in seq order (duplicates would show)."""
    database = hub_db.bind(hub.db_url)
    try:
        chains: dict[str, list[tuple[int, str]]] = {}
        for origin, seq, digest in (Event.select(Event.origin, Event.seq, Event.hash)
                                    .order_by(Event.origin, Event.seq).tuples()):
            chains.setdefault(origin, []).append((seq, digest))
        heads = dict(OriginHead.select(OriginHead.origin, OriginHead.seq).tuples())
    finally:
        database.close()
    for origin, chain in chains.items():
        assert heads.get(origin) == chain[-1][0], f"{origin}: head {heads.get(origin)} " \
                                                  f"but last event {chain[-1][0]}"
    return chains


def node_chain(node_dir) -> list[tuple[int, str]]:
    store.bind(node_dir.data_dir)
    with node_database.connection_context():
        chain = list(OutboxEvent.select(OutboxEvent.seq, OutboxEvent.hash)
                     .order_by(OutboxEvent.seq).tuples())
        notices = Notice.select().count()
    node_database.close()
    return chain, notices


def audit_intact(data_dir, db_url: str | None = None, center: str | None = None) -> dict:
    """``hallsync audit verify`` of a node, or of the hub (one center's chain there)."""
    args = ["audit", "verify", "--data-dir", data_dir, "--json"] + (["--db", db_url] if db_url
                                                                   else [])
    args += ["--center", center] if center else []
    report = last_json(hallsync(*args, check=False))
    assert report["intact"], report
    return report


def assert_exactly_once(hub, nodes, *, handoffs: list[str] = (), notices: int = 0) -> dict:
    """Every event of every node at the hub once, every handoff and notice once, audits intact.

    Returns the figures checked, for the test's message.
    """
    chains = hub_chains(hub)
    events = 0
    for node in nodes:
        chain, applied_notices = node_chain(node)
        assert chain and [s for s, _ in chain] == list(range(1, len(chain) + 1)), node.center
        assert chains.get(node.center) == chain, (
            f"{node.center}: node has {len(chain)} events, hub "
            f"{len(chains.get(node.center, []))}; first difference at "
            f"{next((a for a, b in zip(chain, chains.get(node.center, [])) if a != b), None)}")
        assert applied_notices == notices, f"{node.center}: {applied_notices} notices"
        events += len(chain)
        audit_intact(node.data_dir)
    database = hub_db.bind(hub.db_url)
    try:
        for number in handoffs:
            assert CaseHandoff.select().where(CaseHandoff.number == number).count() == 1, number
            offers = [m for m in HubMessage.select(HubMessage.payload)
                      .where(HubMessage.type == "handoff.offer") if number in m.payload]
            assert len(offers) == 1, f"{number}: {len(offers)} offers"
        receipts = (MessageReceipt.select().join(HubMessage, on=(
            MessageReceipt.message_id == HubMessage.id)).where(HubMessage.type == "notice")
            .count())
    finally:
        database.close()
    assert receipts == notices * len(nodes), receipts
    for number in handoffs:
        district = next(n for n in nodes if n.center == DISTRICT)
        store.bind(district.data_dir)
        with node_database.connection_context():
            seen = view(number)
        node_database.close()
        assert [h["action"] for h in seen["history"]] == ["receive", "accept", "hand_off"], seen
    hub_events = sum(audit_intact(hub.data_dir, hub.db_url, node.center)["events"]
                     for node in nodes)
    return {"events": events, "hub_events": hub_events, "handoffs": len(handoffs),
            "notices": notices}
