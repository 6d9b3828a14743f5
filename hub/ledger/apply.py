"""Apply stored events: the handler registry, the ownership rule, and the quarantine.

Receipt is not apply. Every authentic event is stored; applying it is a
second step that may fail (a bug, a type from a newer node). A failed event
is *quarantined*; later events of the same origin that touch the same record
are *held* behind it (they may depend on it); all other events go on. Events
that break the ownership rule are *refused*. ``replay`` retries quarantined
and held events after a fix (with the handlers registered: ``hub.handlers`` imported).

A handler takes a list of consecutive events of the types it handles (so it can
write them with one statement per table) and raises to fail; it runs in a savepoint, and
on failure the run is retried in halves down to the bad event alone, so only the bad
one is quarantined.
"""
from __future__ import annotations

import traceback

import orjson

from hub.ledger.ownership import owner_of, owners_of
from hub.ledger.registry import AHEAD, HANDLERS, INDEPENDENT
from hub.models import Event, database
from sync.case_records import creator_of
from sync.database import insert_rows
from sync.errors import Code

APPLIED, QUARANTINED, HELD, REFUSED = "applied", "quarantined", "held", "refused"


def _mark(event: dict, state: str, code: Code | None = None, detail: str = "") -> None:
    event["state"] = state
    event["error_code"] = code.value if code else ""
    event["error_detail"] = detail


def blocked_records(origins: set[str]) -> set[tuple[str, str]]:
    """(origin, record) of each record that has a quarantined or held event of that origin
    (the origin's later events on it wait)."""
    db = database.obj
    marks = ", ".join([db.param] * len(origins))
    # Two comparisons, not NOT IN: SQLite only sees that they imply the partial index's
    # ``state != 'applied'`` this way; NOT IN reads every event the origins ever sent.
    cursor = db.execute_sql(f"SELECT DISTINCT origin, record FROM event WHERE origin IN ({marks})"
                            f" AND state != {db.param} AND state != {db.param} AND record != ''",
                            (*sorted(origins), APPLIED, REFUSED))
    return set(cursor.fetchall())


def work_ahead(events: list[dict]) -> None:
    """Outside the write lock: what the handlers can work out of new events beforehand
    (``registry.works_ahead``), each handler's events together, in order."""
    by_fn: dict = {}
    for event in events:
        fn = AHEAD.get(event["type"])
        if fn is not None:
            by_fn.setdefault(fn, []).append(event)
    for fn, its in by_fn.items():
        fn(its)


def apply_events(events: list[dict], now_ms: int) -> None:
    """Apply new events, of one origin or several (each origin's in seq order), together;
    sets each event's state.

    One pass in order: consecutive events of one handler's types form a run that it
    writes together, whatever their origins; a run is applied before any later event is
    judged, so a failure in it holds the later events of the same origin and record.
    Events of an independent handler are judged in place but applied last, each
    handler's together.
    """
    if not events:
        return
    blocked = blocked_records({e["origin"] for e in events})
    owners = owners_of({e["record"] for e in events if e["record"]})
    claims = []
    run: list[dict] = []
    last: dict = {}  # independent handler -> its events, in order
    for event in events:
        handler = HANDLERS.get(event["type"])
        if run and handler not in INDEPENDENT and handler is not HANDLERS[run[0]["type"]]:
            _apply_run(run, blocked)
            run = []
        origin, record = event["origin"], event["record"]
        owner = owners.get(record) if record else None
        if owner not in (None, origin):
            # Rare, so read it again: a handoff earlier in the batch (in another origin's
            # pushes, applied together) may have moved the record to this origin.
            if run:
                _apply_run(run, blocked)
                run = []
            owner = owners[record] = owner_of(record) or owner
        creator = creator_of(record) if record and owner is None else None  # claims only
        if record and (origin, record) in blocked:
            _mark(event, HELD, Code.BLOCKED_BY_QUARANTINE, f"{record} has an unapplied event")
        elif owner is not None and owner != origin:
            _mark(event, REFUSED, Code.NOT_OWNER, f"{record} is owned by {owner}")
        elif creator not in (None, origin):
            _mark(event, REFUSED, Code.NOT_OWNER,
                  f"{record} can only be created by {creator or 'no center'}")
        elif event["type"] not in HANDLERS:
            _mark(event, QUARANTINED, Code.EVENT_TYPE_UNKNOWN,
                  f"the hub has no handler for {event['type']!r}")
            if record:
                blocked.add((origin, record))
        else:
            if record and owner is None:
                owners[record] = origin
                claims.append((record, origin, now_ms))
            (last.setdefault(handler, []) if handler in INDEPENDENT else run).append(event)
    for ready in (run, *last.values()):
        if ready:
            _apply_run(ready, blocked)
    # A handler may already have moved a record it claimed in this batch (a handoff).
    insert_rows(database.obj, "ownership", ("record", "owner", "since_ms"), claims,
                suffix="ON CONFLICT (record) DO NOTHING")


def _apply_run(run: list[dict], blocked: set[tuple[str, str]]) -> None:
    ready = _not_held(run, blocked)
    if ready:
        _apply_or_split(HANDLERS[ready[0]["type"]], ready, blocked)


def _not_held(events: list[dict], blocked: set[tuple[str, str]]) -> list[dict]:
    """The events whose record has no unapplied event of their origin; the others are
    marked held."""
    ready = []
    for event in events:
        if event["record"] and (event["origin"], event["record"]) in blocked:
            _mark(event, HELD, Code.BLOCKED_BY_QUARANTINE,
                  f"{event['record']} has an unapplied event")
        else:
            ready.append(event)
    return ready


def _apply_or_split(handler, events: list[dict], blocked: set[tuple[str, str]]) -> None:
    """Apply ``events`` together; when that fails, each half the same way, in order, down
    to the bad event alone, which is quarantined (so a bad event in a big push costs a few
    retries, not one per event). A half is judged after the one before it: an event of a
    record quarantined there is held."""
    try:
        with database.atomic():
            handler(events)
    except Exception as exc:  # noqa: BLE001 — any failure of a handler quarantines, never loses
        if len(events) > 1:
            middle = len(events) // 2
            for half in (events[:middle], events[middle:]):
                ready = _not_held(half, blocked)
                if ready:
                    _apply_or_split(handler, ready, blocked)
            return
        event = events[0]
        _mark(event, QUARANTINED, Code.APPLY_FAILED,
              "".join(traceback.format_exception_only(exc)).strip()[:2000])
        if event["record"]:
            blocked.add((event["origin"], event["record"]))
        return
    for event in events:
        _mark(event, APPLIED)


def store_states(events: list[dict]) -> None:
    """Write the state ``apply_events`` gave each of ``events`` (stored ones)."""
    if events:
        db = database.obj
        db.cursor().executemany(
            f"UPDATE event SET state = {db.param}, error_code = {db.param}, "
            f"error_detail = {db.param} WHERE origin = {db.param} AND seq = {db.param}",
            [(e["state"], e["error_code"], e["error_detail"], e["origin"], e["seq"])
             for e in events])


def stored_event(row: Event) -> dict:
    """An event as it travels, rebuilt from the hub's row."""
    return {"origin": row.origin, "seq": row.seq, "type": row.type, "record": row.record,
            "created_at": row.created_at, "payload": orjson.loads(row.payload),
            "prev_hash": row.prev_hash, "hash": row.hash, "key_id": row.key_id, "sig": row.sig}


def replay(origin: str | None = None, now_ms: int = 0) -> dict[str, int]:
    """Retry quarantined and held events in (origin, seq) order; returns counts by new state."""
    query = Event.select().where((Event.state == QUARANTINED) | (Event.state == HELD))
    if origin:
        query = query.where(Event.origin == origin)
    counts = {APPLIED: 0, QUARANTINED: 0, HELD: 0, REFUSED: 0}
    by_origin: dict[str, list[dict]] = {}
    for row in query.order_by(Event.origin, Event.seq):
        by_origin.setdefault(row.origin, []).append(stored_event(row))
    for events_origin, events in by_origin.items():
        with database.atomic():
            # Earlier unapplied events are exactly the ones being replayed, so start unblocked.
            Event.update(state=APPLIED).where(Event.origin == events_origin,
                                              Event.state.in_([QUARANTINED, HELD])).execute()
            apply_events(events, now_ms)
            store_states(events)
            for event in events:
                counts[event["state"]] += 1
    return counts
