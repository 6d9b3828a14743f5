"""Real processes on loopback ports for the tests: a hub, nodes, CLI runs.

Ports come from the OS; servers are polled until they answer (never slept
for) and stopped with terminate → wait → kill (``hallsync.child_processes``).
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import requests
from urllib3.util.retry import Retry

from hallsync.child_processes import NotAnswering, free_port, stop, wait_until_answers

ROOT = Path(__file__).resolve().parent.parent


def child_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLSYNC_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


def hallsync(*args, env: dict | None = None, check: bool = True, timeout: float = 300,
             input: str | None = None) -> subprocess.CompletedProcess:
    """Run ``hallsync ARGS`` in a fresh interpreter (``input`` on its stdin), capture its output."""
    result = subprocess.run([sys.executable, "-m", "hallsync", *map(str, args)], input=input,
                            capture_output=True, text=True, env=child_env(env), timeout=timeout,
                            cwd=ROOT)
    if check and result.returncode != 0:
        raise AssertionError(f"hallsync {' '.join(map(str, args))} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def last_json(result: subprocess.CompletedProcess) -> dict:
    """The JSON object a ``--json`` command prints as its last line."""
    return orjson.loads(result.stdout.strip().splitlines()[-1])


def browser() -> requests.Session:
    """A session that, as a browser does, sends a GET again on a new connection when the
    server closed the kept-alive one just as the GET went out: gunicorn closes a
    connection idle for 2 s, and a test that waits about that long between two requests
    would otherwise fail now and then on ``RemoteDisconnected``. Only safe methods are
    retried, once."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(max_retries=Retry(
        total=1, connect=0, read=1, status=0, redirect=0, other=0,
        allowed_methods=frozenset({"GET", "HEAD"})))
    session.mount("http://", adapter)
    return session


# How long a test waits for a server it started: a hub's gunicorn workers take seconds on a
# machine the suite loads.
START_TIMEOUT = 30


@contextlib.contextmanager
def node_run(data_dir, log: Path, env: dict | None = None):
    """``hallsync node run`` on a free port until the block ends; yields its URL."""
    port = free_port()
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hallsync", "node", "run", "--data-dir", str(data_dir),
             "--port", str(port)], env=child_env(env), cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=err)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            # 200 or 503: it is up
            wait_until_answers(url + "/__heartbeat__", proc, START_TIMEOUT)
        except NotAnswering as exc:
            raise AssertionError(f"{exc}\n{log.read_text()[-3000:]}") from None
        yield url
    finally:
        stop(proc)


@dataclass
class HubServer:
    """A ``hallsync hub run`` process on a free port."""

    data_dir: Path
    db_url: str
    port: int = field(default_factory=free_port)
    env: dict = field(default_factory=dict)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.data_dir.parent / f"hub-{self.port}.log"

    def start(self, **env) -> "HubServer":
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hallsync", "hub", "run", "--data-dir",
                 str(self.data_dir), "--db", self.db_url, "--port", str(self.port)],
                env=child_env({**self.env, **env}), cwd=ROOT, stderr=log,
                stdout=subprocess.DEVNULL)
        try:
            wait_until_answers(self.url + "/__heartbeat__", self.proc, START_TIMEOUT)
        except NotAnswering as exc:
            raise AssertionError(f"{exc}\n{self.log.read_text()[-3000:]}") from None
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def kill_all(self) -> None:
        """SIGKILL the server and its workers at once, as a power cut would."""
        from hallsync.bench.proc import process_tree
        for pid in reversed(process_tree(self.proc.pid)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait()

    def cli(self, *args, **kw) -> subprocess.CompletedProcess:
        """``hallsync hub ARGS --data-dir … --db …``"""
        return hallsync("hub", *args, "--data-dir", self.data_dir, "--db", self.db_url, **kw)

    def token(self, center: str) -> str:
        return self.cli("enroll-token", center).stdout.strip().splitlines()[-1]


@dataclass
class NodeDir:
    """A node's data directory, driven through the CLI like an operator would."""

    data_dir: Path
    center: str

    def enroll(self, hub: HubServer, via: str | None = None) -> dict:
        """Enroll with ``hub``, reached at ``via`` (a proxy's URL) when given."""
        return last_json(hallsync("node", "enroll", "--hub", via or hub.url, "--token",
                                  hub.token(self.center), "--data-dir", self.data_dir, "--json"))

    def sync(self, check: bool = True, **env) -> dict | subprocess.CompletedProcess:
        result = hallsync("node", "sync", "--data-dir", self.data_dir, "--json", env=env,
                          check=check)
        return last_json(result) if check else result

    def status(self) -> dict:
        return last_json(hallsync("node", "status", "--data-dir", self.data_dir, "--json"))
