"""Memory the node has freed, handed back to the system.

A street PC has little memory and its node runs for months. CPython hands freed
objects back to glibc's malloc, which keeps their pages for reuse in each thread's
arena: the figures page replays the month's decided cases with about 4 MB for a
moment, and without this the process holds those megabytes from then on (about 10 MB
of the node's ~60 after a few pages). ``malloc_trim`` returns the whole free pages inside
every arena (and the main one's free end); it costs about a millisecond, so it runs once
a response is sent and once a job has ended, never inside either. Where there is no glibc
(Windows, musl) there is nothing to call: those allocators give memory back on their own
terms.
"""
from __future__ import annotations

import sys


def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    try:
        return ctypes.CDLL(None).malloc_trim  # the process's own libc
    except (OSError, AttributeError):  # not glibc
        return None


_MALLOC_TRIM = _malloc_trim()


def give_back() -> bool:
    """Return the freed pages of every arena to the system; True when there were some."""
    return bool(_MALLOC_TRIM is not None and _MALLOC_TRIM(0))


def init_app(app) -> None:
    """Give memory back after each response, once the server has sent it."""
    @app.after_request
    def _after_sending(response):
        response.call_on_close(give_back)
        return response
