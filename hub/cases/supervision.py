"""District supervision at the hub (督导): relay the streets' case events to their district.

* ``supervision.subscribe`` (``{on}``) from a district turns the relay on or off.
  Turning it on also sends everything its streets' cases hold so far (each
  signed event kept in ``CaseEvent``), so the district's copy is complete, not
  only from now on. A street or a sub-center may not subscribe: the event is
  applied as a refusal, written to the security log (``FORBIDDEN``), and
  changes nothing.
* ``DistrictRelay`` gives ``hub.cases.copies`` a message for every case event it
  applies, written in the same transaction: an event of a case collected by a street whose district
  subscribes goes to that district (``case.supervised``) as its origin signed
  it, with the public keys that verify it. Every event of such a case is
  relayed, the handling center's too, so the district replays the whole log.

Registered on import; ``hub.cases.copies`` imports this module.
"""
from __future__ import annotations

import hashlib

from hub.ledger.registry import handles
from hub.ledger.security import log_refusal
from hub.ledger.signed_events import KeyRing, signed_events, signing_keys
from hub.ledger.stream import send
from hub.models import HubCase, Supervision, database
from sync.database import is_postgresql
from sync.envelope import now_ms
from sync.errors import Code, Forbidden, NotFound, ProtocolError
from sync.relay import relayed
from sync.supervision import RELAYED, SUBSCRIBE, streets_of, supervisor_of
from sync.topology import load_topology

BACKFILL_CASES = 100  # cases per message when a new subscription is sent what exists


def _lock(district: str, *, shared: bool) -> None:
    """Order a subscription against concurrent relays of its streets' events (PostgreSQL).

    Two hub workers may apply a street's push and its district's subscription at
    once. Without this, under READ COMMITTED each could miss the other: the relay
    not yet seeing the subscription, the backfill not yet seeing the event. The
    subscription takes the district's lock exclusively, each relay shared, so one
    of them comes second and sees the other. SQLite has one writer: nothing to do.
    """
    if not is_postgresql(database.obj):
        return
    key = int.from_bytes(hashlib.sha256(f"hallsync-supervision:{district}".encode()).digest()[:8],
                         "big", signed=True)
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    database.execute_sql(f"SELECT {function}(%s)", (key,))


@handles(SUBSCRIBE)
def subscribe(events: list[dict]) -> None:
    topology = load_topology()
    for event in events:
        origin, on = event["origin"], event["payload"].get("on")
        if type(on) is not bool:
            raise ProtocolError(f"{SUBSCRIBE}: payload must be {{on: true|false}}",
                                code=Code.EVENT_MALFORMED)
        try:
            streets = streets_of(origin, topology)
        except (Forbidden, NotFound) as refused:  # a policy answer, not a bug: no quarantine
            log_refusal(refused, center=origin, path=SUBSCRIBE)
            continue
        _lock(origin, shared=False)
        was, since = Supervision.select(Supervision.active, Supervision.changed_ms).where(
            Supervision.district == origin).tuples().first() or (None, None)
        # changed_ms is when it last turned on or off (the coverage page's "since"): an
        # event that repeats the current state keeps it.
        at = now_ms() if on != was else since
        (Supervision.insert(district=origin, active=on, changed_ms=at, seq=event["seq"])
         .on_conflict(conflict_target=[Supervision.district],
                      update={Supervision.active: on, Supervision.changed_ms: at,
                              Supervision.seq: event["seq"]}).execute())
        if on and not was:
            _send_existing(origin, streets)


def _send_existing(district: str, streets: list[str]) -> None:
    """Every case its streets hold so far, in messages of ``BACKFILL_CASES`` cases."""
    numbers = [n for (n,) in HubCase.select(HubCase.number).where(HubCase.center.in_(streets))
               .order_by(HubCase.number).tuples()]
    for start in range(0, len(numbers), BACKFILL_CASES):
        by_case = signed_events(numbers[start:start + BACKFILL_CASES])
        send(district, RELAYED, {
            "cases": [{"number": n, "events": e} for n, e in by_case.items()],
            "keys": signing_keys([e for events in by_case.values() for e in events])})


class DistrictRelay:
    """Which district, if any, takes a run of case events (``case.supervised``): each
    district is locked and looked up once per run, not once per event."""

    def __init__(self, keys: KeyRing) -> None:
        self._keys = keys
        self._active: dict[str, bool] = {}

    def message(self, number: str, collecting: str, event: dict) -> tuple[str, str, dict] | None:
        """The message relaying one applied case event to the district supervising the
        collecting street, or None: (recipient, type, payload) for ``stream.send_many``."""
        district = supervisor_of(collecting, load_topology())
        if district is None:
            return None
        if district not in self._active:
            _lock(district, shared=True)
            db = database.obj  # plain SQL: once a run of case events, in the write lock
            self._active[district] = db.execute_sql(
                f"SELECT 1 FROM supervision WHERE district = {db.param} AND active",
                (district,)).fetchone() is not None
        if not self._active[district]:
            return None
        return (district, RELAYED, {"cases": [{"number": number, "events": [relayed(event)]}],
                                    "keys": self._keys.of([event])})
