"""A child process that never outlives the one that started it.

On Linux the kernel sends the child a signal when its parent dies, however it dies
(``PR_SET_PDEATHSIG``), so a killed demo or simulation leaves no stray server or
writer behind. Elsewhere (Windows) it is a no-op, and ``stop`` paths do the work.
"""
from __future__ import annotations

import ctypes
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Have ``sig`` sent to this process when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):
        pass  # a libc without prctl: the stop paths still end the process
