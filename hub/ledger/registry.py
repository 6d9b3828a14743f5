"""The hub's event handlers, by event type: each handler module registers its own with
``@handles``, and ``hub/handlers.py`` imports them all, so this module imports none."""
from __future__ import annotations

from typing import Callable

Handler = Callable[[list[dict]], None]
HANDLERS: dict[str, Handler] = {}


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    """Register the hub's handler of one or more event types (one handler of several types
    gets their consecutive events together, in order: ``hub.ledger.apply``)."""
    def register(fn: Handler) -> Handler:
        for event_type in event_types:
            HANDLERS[event_type] = fn
        return fn
    return register
