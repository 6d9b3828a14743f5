"""The signed case events the hub keeps (``CaseEvent``) and the keys that verify them.

A handoff (``hub.cases.handoffs``) and a district's supervision (``hub.cases.supervision``)
relay a case's events exactly as their origins signed them; the hub's signed
message names the public keys, so the receiver checks the content itself
(``sync.relay.fault``).
"""
from __future__ import annotations

import orjson

from hub.models import CaseEvent, NodeKey


def signed_events(numbers: list[str]) -> dict[str, list[dict]]:
    """The events of each case so far, as their origins signed them, in each case's order."""
    found: dict[str, list[dict]] = {number: [] for number in numbers}
    rows = (CaseEvent.select(CaseEvent.number, CaseEvent.event)
            .where(CaseEvent.number.in_(numbers)).order_by(CaseEvent.number, CaseEvent.n).tuples())
    for number, text in rows:
        found[number].append(orjson.loads(text))
    return found


def signing_keys(events: list[dict]) -> dict[str, str]:
    """The public keys that sign ``events`` (key id → base64): the hub vouches for them."""
    ids = {e["key_id"] for e in events}
    return dict(NodeKey.select(NodeKey.key_id, NodeKey.public_key)
                .where(NodeKey.key_id.in_(ids)).tuples())


class KeyRing:
    """``signing_keys`` that looks each key up once: a run relays many events of one key."""

    def __init__(self) -> None:
        self._known: dict[str, str | None] = {}

    def of(self, events: list[dict]) -> dict[str, str]:
        missing = {e["key_id"] for e in events} - self._known.keys()
        if missing:
            found = signing_keys([{"key_id": key_id} for key_id in missing])
            self._known.update({key_id: found.get(key_id) for key_id in missing})
        return {e["key_id"]: self._known[e["key_id"]] for e in events
                if self._known[e["key_id"]] is not None}
