"""A process that asked to die with its parent does, even when the parent is SIGKILLed
(the demo's servers, the simulation's center processes)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

# The parent starts a child that asks for ``sig`` on its parent's death, prints the
# child's pid, and waits to be killed.
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", '''
import signal, time
from hallsync.parent_death import die_with_parent
die_with_parent(signal.{sig})
print("ready", flush=True)
time.sleep(60)
'''], stdout=subprocess.PIPE, text=True)
assert child.stdout.readline().strip() == "ready"
print(child.pid, flush=True)
time.sleep(60)
"""


def _gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            os.waitpid(pid, os.WNOHANG)  # not ours: only the init process reaps it
        except ChildProcessError:
            pass
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True  # dead, waiting for the reaper
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_a_child_dies_when_its_parent_is_killed(sig):
    parent = subprocess.Popen([sys.executable, "-c", PARENT.replace("{sig}", sig)],
                              stdout=subprocess.PIPE, text=True)
    child = None
    try:
        child = int(parent.stdout.readline())
        os.kill(child, 0)  # alive while its parent is
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert _gone(child, 10)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stdout.close()
        if child is not None and not _gone(child, 0.1):
            os.kill(child, signal.SIGKILL)  # the test failed: leave no process behind
