"""The demo's processes: ``hallsync`` commands run to the end, and the servers it keeps.

Servers (``hub run``, ``node run``) listen on loopback ports the OS hands out,
write their logs to ``DIR/logs/``, and never outlive the demo: ``stop_all``
terminates them together (then kills what is left), and on Linux each one also
gets SIGTERM from the kernel should the demo itself die (``PR_SET_PDEATHSIG``).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import click
import orjson

from hallsync.child_processes import NotAnswering, stop, wait_until_answers
from hallsync.parent_death import die_with_parent


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
            try:  # 200 or 503: it is up
                wait_until_answers(url, self.servers[name], deadline - time.monotonic(),
                                   pause=0.1)
            except NotAnswering as exc:
                raise click.ClickException(f"{name}: {exc}; see {self.logs / (name + '.log')}")

    def stop(self, name: str, timeout: float = 12) -> None:
        stop(self.servers.pop(name), timeout=timeout)

    def stop_all(self, timeout: float = 12) -> None:
        """Terminate every server at once, kill those still there after ``timeout`` s."""
        procs, self.servers = list(self.servers.values()), {}
        stop(*procs, timeout=timeout)

    def exited(self) -> list[str]:
        """The servers that stopped on their own."""
        return [name for name, proc in self.servers.items() if proc.poll() is not None]
