"""Audit the hub's copy of every center's chain: hashes, links and signatures."""
from __future__ import annotations

from hub.ledger.enrollment import public_keys_of
from hub.models import Event, OriginHead
from sync.events import ChainFault, check_chain

_COLUMNS = (Event.origin, Event.seq, Event.type, Event.record, Event.created_at, Event.payload,
            Event.prev_hash, Event.hash, Event.key_id, Event.sig)
_NAMES = ("origin", "seq", "type", "record", "created_at", "payload", "prev_hash", "hash",
          "key_id", "sig")


def _rows(origin: str):
    query = Event.select(*_COLUMNS).where(Event.origin == origin).order_by(Event.seq).tuples()
    for row in query.iterator():
        yield dict(zip(_NAMES, row))


def verify_hub(center: str | None = None) -> dict:
    """One entry per origin: events checked and the first fault, if any."""
    origins = [center] if center else [h.origin for h in OriginHead.select().order_by(
        OriginHead.origin)]
    report = {}
    for origin in origins:
        head = OriginHead.get_or_none(OriginHead.origin == origin)
        fault = check_chain(_rows(origin), keys=public_keys_of(origin))
        count = Event.select().where(Event.origin == origin).count()
        if fault is None and head is not None and (head.seq != count or head.hash != (
                Event.select(Event.hash).where((Event.origin == origin)
                                               & (Event.seq == head.seq)).scalar())):
            fault = ChainFault(head.seq, "the hub's head does not match its events")
        report[origin] = {"events": count, "fault": fault}
    return report
