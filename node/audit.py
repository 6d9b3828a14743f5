"""Audit a node's own chain from its data directory: hashes, links and signatures."""
from __future__ import annotations

from node import outbox, store
from node.models import KnownKey, OutboxEvent
from sync.events import check_chain
from sync.signing import PublicKey


def verify_node() -> dict:
    """The node's chain: events checked and the first fault, if any."""
    center = store.state().center
    keys = {k.key_id: PublicKey.from_b64(k.public_key)
            for k in KnownKey.select().where(KnownKey.center == center)}
    query = (OutboxEvent.select(*[getattr(OutboxEvent, c) for c in outbox.COLUMNS])
             .order_by(OutboxEvent.seq).tuples())
    rows = (outbox.as_event(row, center) | {"payload": row[4]} for row in query.iterator())
    fault = check_chain(rows, keys=keys)
    return {center: {"events": OutboxEvent.select().count(), "fault": fault}}
