"""The hub's event handlers, by event type: each handler module registers its own with
``@handles``, and ``hub/handlers.py`` imports them all, so this module imports none."""
from __future__ import annotations

from typing import Callable

Handler = Callable[[list[dict]], None]
HANDLERS: dict[str, Handler] = {}
INDEPENDENT: set[Handler] = set()


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
