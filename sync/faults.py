"""Crash points for the fault tests: ``HALLSYNC_CRASH_AT=<point>`` makes the process
SIGKILL itself when it reaches that point, so a test can cut a push exactly
between the hub's commit and the node's ack. Unset (always, in production),
``crash_point`` is one dict lookup.
"""
from __future__ import annotations

import os
import signal

POINTS = ("node.after_push_reply", "hub.mid_apply")


def crash_point(name: str) -> None:
    """Die here, as a power cut would, if the environment asks for it."""
    if os.environ.get("HALLSYNC_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
