"""Servers this process starts (the demo, the benches, the tests): a port for each,
waiting until one answers, and stopping them."""
from __future__ import annotations

import socket
import subprocess
import time


def free_port() -> int:
    """A loopback port no one listens on now (the OS's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NotAnswering(RuntimeError):
    """A started server exited, or did not answer in time."""


def wait_until_answers(url: str, proc: subprocess.Popen, timeout: float, *,
                       status: int | None = None, pause: float = 0.05) -> None:
    """Return once ``url`` answers a GET (with ``status``, when given).

    A refused connection means the socket does not listen yet; a read timeout, a gunicorn
    master holding the connection while its workers start (seconds, on a loaded machine):
    both mean "not up yet", not a failure. The probe closes its connection: one kept alive
    would hold a stopping gunicorn worker for seconds.

    :raises NotAnswering: when ``proc`` exits first or ``timeout`` seconds pass.
    """
    import requests  # not at import: ``hallsync``'s commands load what they use

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise NotAnswering(f"{proc.args} exited with {proc.returncode} before answering")
        try:
            answer = requests.get(url, timeout=2, headers={"Connection": "close"})
            if status is None or answer.status_code == status:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(pause)
    raise NotAnswering(f"{url} did not answer within {timeout:g} s")


def stop(*procs: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM every process at once; SIGKILL those still running after ``timeout`` s."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
