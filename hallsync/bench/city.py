"""The bench's hub and centers: a ``hallsync hub run`` process on SQLite or PostgreSQL,
a district and some of its streets enrolled against it as an operator would, and
what each center's node process does (the ``spawn`` pool's targets).
"""
from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import click

from hallsync.child_processes import NotAnswering, free_port, stop, wait_until_answers

BENCH_KIND = "bench"  # records of this kind are the benchmark's load, not real data
# Concurrent pushes of the case mix wait on each other at the hub longer than a node's
# default 30 s: the bench measures throughput, so its nodes wait (what it took is printed).
PUSH_TIMEOUT_S = 600.0


def bench_centers(count: int) -> list[str]:
    """A district's center and ``count - 1`` of its streets: handoffs have somewhere to go."""
    from sync.topology import load_topology
    topology = load_topology()
    for district in topology.at_level("district"):
        streets = [c.code for c in topology.children(district.code) if c.level == "street"]
        if len(streets) >= count - 1:
            return [district.code, *streets[:count - 1]]
    raise click.BadParameter(f"no district has {count - 1} streets", param_hint="--nodes")


class BenchHub:
    """``hallsync hub run`` on a free port over ``db_url`` (SQLite in DIR when None)."""

    def __init__(self, data_dir: Path, db_url: str | None = None):
        self.data_dir, self.db_url = data_dir, db_url
        self.db_args = ["--db", db_url] if db_url else []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> BenchHub:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hallsync", "hub", "run", "--data-dir", str(self.data_dir),
             "--port", str(self.port), *self.db_args], stderr=subprocess.DEVNULL)
        try:
            wait_until_answers(self.url + "/__heartbeat__", self.process, 60)
        except NotAnswering as exc:
            raise click.ClickException(f"the hub: {exc}")
        return self

    def __exit__(self, *exc) -> None:
        stop(self.process)

    def enroll(self, centers: list[str], root: Path) -> list[str]:
        """Enroll a node for each center (token from the hub, ``hallsync node enroll``)."""
        node_dirs = []
        for center in centers:
            token = subprocess.run(
                [sys.executable, "-m", "hallsync", "hub", "enroll-token", center, "--data-dir",
                 str(self.data_dir), *self.db_args], check=True, capture_output=True,
                text=True).stdout.strip().splitlines()[-1]
            node_dir = root / f"node-{center}"
            subprocess.run([sys.executable, "-m", "hallsync", "node", "enroll", "--hub", self.url,
                            "--token", token, "--data-dir", str(node_dir)], check=True,
                           capture_output=True)
            node_dirs.append(str(node_dir))
        return node_dirs


@contextlib.contextmanager
def scratch_pg_database(server_url: str) -> Iterator[str | None]:
    """A new database on the server of ``server_url``, dropped afterwards; None (with a note
    on stderr) when the server cannot be reached."""
    try:
        import psycopg2
        admin = psycopg2.connect(server_url, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 — any failure to connect means "not here"
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        click.echo(f"PostgreSQL skipped: {server_url} unreachable ({reason})", err=True)
        yield None
        return
    admin.autocommit = True
    name = f"hallsync_bench_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(urlparse(server_url)._replace(path=f"/{name}"))
    finally:
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


# -- in each center's node process (spawn pool) ----------------------------------------------

def _node(data_dir: str, push_batch: int | None = None):
    from node.app import load_settings
    from node.syncer import Node
    overrides = {"push_batch": push_batch, "http_timeout_s": PUSH_TIMEOUT_S} if push_batch else {}
    return Node(data_dir, load_settings({"data_dir": data_dir, **overrides}))


def prepare_cases(args) -> dict:
    """Pull the catalog (the windows need it) and push what applying it wrote, so the
    backlog is the case mix alone; then make the mix in the outbox."""
    data_dir, events, seed = args
    from hallsync.bench.case_mix import make_cases
    node = _node(data_dir)
    try:
        node.pull()
        node.push()
    finally:
        node.close()
    return dict(make_cases(data_dir, events, seed))


def write_records(args) -> int:
    """Write ``count`` synthetic ``record.put`` events to the node's outbox."""
    data_dir, count, batch = args
    from node import outbox, store
    store.bind(data_dir)
    state = store.state()
    keys = store.load_keys(data_dir)
    written = 0
    while written < count:
        size = min(batch, count - written)
        outbox.emit_many(keys, state.center, [
            ("record.put", f"{BENCH_KIND}:{state.center}:{(written + i) % 5000}",
             {"data": {"window": (written + i) % 12, "matter": "企业设立登记",
                       "clerk": "窗口工作人员", "n": written + i}})
            for i in range(size)])
        written += size
    return written


@dataclass
class Pushed:
    """What a node's ``push_all`` did: times from ``time.time()``, comparable across the
    bench's processes."""

    events: int        # acknowledged
    slowest_s: float   # the slowest request (a node gives up after http_timeout_s)
    first_s: float     # when its first request left
    last_s: float      # when its last reply came
    cpu_s: float       # this process's CPU time in ``Node.push``


def push_all(args) -> Pushed:
    """Push until the backlog is empty (``Node.push``, over HTTP, ``push_batch`` events a
    request)."""
    data_dir, push_batch = args
    node = _node(data_dir, push_batch)
    call, slowest, first = node.client.call, [0.0], []

    def timed_call(*args, **kwargs):
        start = time.perf_counter()
        first[:] = first or [time.time()]
        try:
            return call(*args, **kwargs)
        finally:
            slowest[0] = max(slowest[0], time.perf_counter() - start)
    node.client.call = timed_call
    cpu = time.process_time()
    try:
        pushed = node.push().pushed
        return Pushed(pushed, slowest[0], first[0] if first else time.time(), time.time(),
                      time.process_time() - cpu)
    finally:
        node.close()
