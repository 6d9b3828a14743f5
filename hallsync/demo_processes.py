"""The demo's processes: ``hallsync`` commands run to the end, and the servers it keeps.

Servers (``hub run``, ``node run``) listen on loopback ports the OS hands out,
write their logs to ``DIR/logs/``, and never outlive the demo: ``stop_all``
terminates them together (then kills what is left), and on Linux each one also
gets SIGTERM from the kernel should the demo itself die (``PR_SET_PDEATHSIG``).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import orjson
import requests

from hallsync.parent_death import die_with_parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """Every process the demo starts, under one data directory and one environment."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root, self.env = root, {**os.environ, **env}
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.servers: dict[str, subprocess.Popen] = {}

    # commands that finish ----------------------------------------------------------------
    def run(self, *args, input: str | None = None) -> str:
        """``hallsync ARGS``; its stdout, or a ClickException with what it said on stderr."""
        result = subprocess.run([sys.executable, "-m", "hallsync", *map(str, args)], input=input,
                                capture_output=True, text=True, env=self.env)
        if result.returncode != 0:
            raise click.ClickException(f"hallsync {' '.join(map(str, args[:3]))} … exited "
                                       f"{result.returncode}: {result.stderr.strip()[-800:]}")
        return result.stdout

    def run_json(self, *args) -> dict:
        """``hallsync ARGS --json``: the JSON object on its last line."""
        return orjson.loads(self.run(*args, "--json").strip().splitlines()[-1])

    # servers -----------------------------------------------------------------------------
    def start(self, name: str, args: list, heartbeat_url: str) -> None:
        """Start ``hallsync ARGS`` as the server NAME and wait until it answers."""
        self.start_together([(name, args, heartbeat_url)])

    def start_together(self, servers: list[tuple[str, list, str]], timeout: float = 60) -> None:
        """Start each (NAME, ARGS, HEARTBEAT_URL) at once, then wait until all answer."""
        for name, args, _url in servers:
            with open(self.logs / f"{name}.log", "ab") as log:
                self.servers[name] = subprocess.Popen(
                    [sys.executable, "-m", "hallsync", *map(str, args)], env=self.env,
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    preexec_fn=die_with_parent if sys.platform.startswith("linux") else None)
        deadline = time.monotonic() + timeout
        for name, _args, url in servers:
            self._wait_until_up(name, url, deadline)

    def _wait_until_up(self, name: str, heartbeat_url: str, deadline: float) -> None:
        proc = self.servers[name]
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise click.ClickException(f"{name} exited with {proc.returncode} before "
                                           f"answering; see {self.logs / (name + '.log')}")
            try:
                requests.get(heartbeat_url, timeout=1)  # 200 or 503: it is up
                return
            except (requests.ConnectionError, requests.Timeout):  # starting
                time.sleep(0.1)
        raise click.ClickException(f"{name} did not answer at {heartbeat_url} in time")

    def stop(self, name: str, timeout: float = 12) -> None:
        self._stop([self.servers.pop(name)], timeout)

    def stop_all(self, timeout: float = 12) -> None:
        """Terminate every server at once, kill those still there after ``timeout`` s."""
        procs, self.servers = list(self.servers.values()), {}
        self._stop(procs, timeout)

    @staticmethod
    def _stop(procs: list[subprocess.Popen], timeout: float) -> None:
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

    def exited(self) -> list[str]:
        """The servers that stopped on their own."""
        return [name for name, proc in self.servers.items() if proc.poll() is not None]
