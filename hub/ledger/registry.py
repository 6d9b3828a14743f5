"""The hub's event handlers, by event type: each handler module registers its own with
``@handles``, and ``hub/handlers.py`` imports them all, so this module imports none."""
from __future__ import annotations

from typing import Callable

Handler = Callable[[list[dict]], None]
HANDLERS: dict[str, Handler] = {}
INDEPENDENT: set[Handler] = set()
AHEAD: dict[str, Handler] = {}  # event type -> what works its events out before the lock


def handles(*event_types: str, independent: bool = False) -> Callable[[Handler], Handler]:
    """Register the hub's handler of one or more event types (one handler of several types
    gets their consecutive events together, in order: ``hub.ledger.apply``).

    ``independent``: the handler reads nothing another handler writes, and no handler reads
    what it writes, so its events may wait until the end of their push. A node writes an
    SMS beside most case actions; were they applied in place, they would cut the case
    events into runs of a few, each loading and writing its cases apart.
    """
    def register(fn: Handler) -> Handler:
        for event_type in event_types:
            HANDLERS[event_type] = fn
        if independent:
            INDEPENDENT.add(fn)
        return fn
    return register


def works_ahead(*event_types: str) -> Callable[[Handler], Handler]:
    """Register what may be worked out of a push's new events of these types before the
    write lock, while the push is checked (``hub.ledger.ingest.prepare``): ``fn(events)``
    gets them in order and leaves on each what its handler can take, inside, when it still
    holds. What it reads another push may change before the turn comes, so what it leaves
    is a hint: the handler checks that it still holds and works the event out itself
    otherwise."""
    def register(fn: Handler) -> Handler:
        for event_type in event_types:
            AHEAD[event_type] = fn
        return fn
    return register
