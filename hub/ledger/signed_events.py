"""The signed events of each case (``CaseStep`` names them in ``Event``) and the keys that
verify them.

A handoff (``hub.cases.handoffs``) and a district's supervision (``hub.cases.supervision``)
relay a case's events exactly as their origins signed them; the hub's signed
message names the public keys, so the receiver checks the content itself
(``sync.relay.fault``).

The hub checks each event's own signature before it relays it, never only at ingest:
a push is authenticated once, by its envelope, and an event's own signature matters
only when it travels alone. So a relay costs one verification per event the first time
it leaves the hub (``_VERIFIED`` remembers it), and a push none; an event whose
signature fails is not relayed: the handler applying it raises, the event is
quarantined, and no other center's stream ever carries it.
"""
from __future__ import annotations

import orjson

from hub.models import database
from sync import relay
from sync.database import select_in
from sync.errors import Code, ProtocolError

# (hash, sig) of events already checked here. The hub relays only events whose hash it
# computed itself from their content (at ingest), so a hash stands for its content.
_VERIFIED: set[tuple[str, str]] = set()
_VERIFIED_MAX = 200_000  # about 40 MB at most; then start again


def signed_events(numbers: list[str], through: dict[str, int] | None = None,
                  ) -> dict[str, list[dict]]:
    """The events of each case so far, as their origins signed them, in each case's order
    (``through``: each case's events up to that step only)."""
    found: dict[str, list[dict]] = {number: [] for number in numbers}
    rows = select_in(
        database.obj,
        f"SELECT s.number, s.n, {', '.join('e.' + name for name in relay.FIELDS)} "
        "FROM case_step AS s JOIN event AS e ON e.origin = s.origin AND e.seq = s.seq "
        "WHERE s.number IN ({marks}) ORDER BY s.number, s.n", numbers)
    for number, n, *values in rows:
        if through is None or n <= through[number]:
            event = dict(zip(relay.FIELDS, values))
            event["payload"] = orjson.loads(event["payload"])
            found[number].append(event)
    return found


def signing_keys(events: list[dict]) -> dict[str, str]:
    """The public keys that sign ``events`` (key id → base64), each event checked against
    them first: the hub vouches for the keys, and relays only what its origin signed.

    :raises ProtocolError: SIGNATURE_INVALID, naming the first event that fails.
    """
    keys = _public_keys({e["key_id"] for e in events})
    check_signed(events, keys)
    return keys


def _public_keys(key_ids: set[str]) -> dict[str, str]:
    return dict(select_in(database.obj, "SELECT key_id, public_key FROM node_key "
                                        "WHERE key_id IN ({marks})", sorted(key_ids)))


def check_signed(events: list[dict], keys: dict[str, str]) -> None:
    """Raise unless each event's content matches its hash and its origin signed it."""
    for event in events:
        seen = (event["hash"], event["sig"])
        if seen in _VERIFIED:
            continue
        problem = relay.fault(event, keys)
        if problem:
            raise ProtocolError(f"not relayed: {problem}", code=Code.SIGNATURE_INVALID,
                                seq=event.get("seq"))
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED.add(seen)


class KeyRing:
    """``signing_keys`` that looks each key up once: a run relays many events of one key."""

    def __init__(self) -> None:
        self._known: dict[str, str | None] = {}

    def of(self, events: list[dict]) -> dict[str, str]:
        missing = {e["key_id"] for e in events} - self._known.keys()
        if missing:
            found = _public_keys(missing)
            self._known.update({key_id: found.get(key_id) for key_id in missing})
        keys = {e["key_id"]: self._known[e["key_id"]] for e in events
                if self._known[e["key_id"]] is not None}
        check_signed(events, keys)
        return keys
