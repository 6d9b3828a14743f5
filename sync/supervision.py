"""District supervision (督导): who may supervise whom, and the event that asks for it.

A district center may follow its streets' cases read-only. It asks the hub with
an event of its own, ``supervision.subscribe`` (record ``""``, payload
``{"on": true|false}``); the hub then relays every signed event of a case
collected by one of its streets (``case.supervised`` messages), and the district
checks each against its origin's signature (``sync.relay``). Hub and node apply
the same rule: only a district supervises, and only its own streets.
"""
from __future__ import annotations

from sync import events
from sync.errors import Forbidden
from sync.topology import Topology

SUBSCRIBE = "supervision.subscribe"
RELAYED = "case.supervised"  # the hub's message carrying a street's signed case events


def streets_of(center: str, topology: Topology) -> list[str]:
    """The streets ``center`` supervises, in file order.

    :raises Forbidden: (reason ``supervision``) when ``center`` is not a district center.
    :raises NotFound: (CENTER_UNKNOWN) when no center has this code.
    """
    found = topology.get(center)
    if found.level != "district":
        raise Forbidden(f"只有区级政务服务中心可以督导街道：{found.name}（{center}）不是区级中心",
                        reason="supervision")
    return [c.code for c in topology.children(center)]


def supervisor_of(center: str, topology: Topology) -> str | None:
    """The district that may supervise ``center``'s cases: a street's parent, else None."""
    found = topology.by_code.get(center)
    return found.parent if found is not None and found.level == "street" else None


def _subscribe(payload: dict) -> str | None:
    if set(payload) != {"on"} or type(payload["on"]) is not bool:
        return "payload must be {on: true|false}"
    return None


events.register(SUBSCRIBE, needs_record=False, check=_subscribe,
                help="A district turns supervision of its streets' cases on or off; payload {on}.")
