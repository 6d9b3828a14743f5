"""Inside one ``hallsync bench fleet`` worker process: many centers' nodes, a thread each.

Why a few processes of many threads and not a process per node: a node's Python process
(peewee, requests, the signing and case code) holds some 40–60 MB before it does
anything, so 208 of them would take 10 GB for processes that mostly wait on the network;
threads share one interpreter and the waiting costs nothing.

A node's models reach their SQLite file through one module-wide ``DatabaseProxy``
(``node.models.database``), which ``store.bind`` points at one directory per process.
While the threads run, the proxy points at ``ThreadDatabases`` instead, which hands each
thread its own node's database: every step (``Node.push``, ``pull``, ``heartbeat``)
is then the node's own code, unchanged, on its own file, with its own key.
"""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

BATCH_SIZES = (1, 50)   # events a tick pushes, drawn uniformly
TICK_S = (0.75, 1.25)   # seconds between a node's ticks: 1 s with jitter, as a node's jobs have
SPARE_TICKS = 3         # the backlog made before timing lasts a few ticks past the end


class ThreadDatabases:
    """Stands in for the database behind ``node.models.database``: each thread's own."""

    def __init__(self):
        self._local = threading.local()

    def use(self, db) -> None:
        self._local.db = db

    def __getattr__(self, name):
        return getattr(self._local.db, name)


def batch_sizes(seed: int, seconds: float) -> list[int]:
    """The batch each tick of a node pushes; their sum is what the node makes beforehand."""
    rng = random.Random(seed)
    return [rng.randint(*BATCH_SIZES) for _ in range(int(seconds) + SPARE_TICKS)]


def _open_node(data_dir: str):
    from node.app import load_settings
    from node.syncer import Node
    return Node(data_dir, load_settings({"data_dir": data_dir}))


def enroll_nodes(args) -> list[str]:
    """Enroll each (center, token, data_dir) against the hub, one after another (the
    node's database binding is per process)."""
    hub_url, enrollments = args
    from node.app import load_settings
    from node.enroll import enroll
    for _center, token, data_dir in enrollments:
        enroll(data_dir, hub_url, token, load_settings({"data_dir": data_dir}))
    return [data_dir for _center, _token, data_dir in enrollments]


def prepare_nodes(args) -> int:
    """Point each node at this run's hub, pull the catalog (the windows need it), and make
    the case events its ticks will push, less what it still has pending (a reused
    ``--work-dir``, or what applying the catalog wrote). Events made."""
    hub_url, plans = args
    from hallsync.bench.case_mix import make_cases
    from node import outbox, store
    made = 0
    for data_dir, seed, seconds in plans:
        store.bind(data_dir)
        store.update_state(hub_url=hub_url)  # a reused --work-dir: the hub's new port
        node = _open_node(data_dir)
        try:
            node.pull()
        finally:
            node.close()
        events = sum(batch_sizes(seed, seconds)) - outbox.backlog(store.state().acked_seq)
        if events > 1:  # the mix cannot make a single event
            make_cases(data_dir, events, seed)
            made += events
    return made


@dataclass
class Tally:
    """What one node's ticks did, as the parent adds them up."""

    push_ms: list[float] = field(default_factory=list)
    pushes: int = 0
    events: int = 0
    ticks: int = 0
    skipped_ticks: int = 0  # due while the previous tick was still waiting on the hub
    center: str = ""
    acked_before: int = 0   # at the start (an interrupted run may leave the hub ahead of it)
    acked_seq: int = 0      # at the end: the hub must hold exactly this many of its events
    cpu_s: float = 0.0      # the node's own CPU in its ticks (its thread's)
    errors: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)


def _classify(exc: Exception, tally: Tally, step: str) -> None:
    """Transport failures and 5xx are errors; the hub's coded refusals (busy included,
    since it is the hub shedding load on purpose) are refusals, by code."""
    from sync.errors import HallsyncError, HubBusy, TransportError
    if isinstance(exc, HubBusy):
        tally.refusals[f"{step}:{exc.code.value}"] += 1
    elif isinstance(exc, TransportError):
        tally.errors[f"{step}:transport:{exc.code.value}"] += 1
    elif isinstance(exc, HallsyncError) and exc.status < 500:
        tally.refusals[f"{step}:{exc.code.value}"] += 1
    elif isinstance(exc, HallsyncError):
        tally.errors[f"{step}:{exc.status}:{exc.code.value}"] += 1
    else:
        tally.errors[f"{step}:{type(exc).__name__}"] += 1


def _time_push_requests(node, tally: Tally) -> None:
    """Record the round trip of each request that carries a push, as the node sees it:
    sealing, the hub's work, verifying its signed reply (the node's own SQLite reads and
    writes around it are not the hub's latency)."""
    call = node.client.call

    def timed_call(endpoint: str, body: dict, **kwargs):
        start = time.perf_counter()
        reply = call(endpoint, body, **kwargs)
        if "events" in body.get("push", body):
            tally.push_ms.append((time.perf_counter() - start) * 1000)
        return reply
    node.client.call = timed_call


def _tick(node, size: int, tally: Tally) -> None:
    """One sync round, one request: push a batch of ``size``, pull, heartbeat."""
    node.settings["push_batch"] = size
    try:
        moved = node.exchange(drain=False)
        tally.pushes += bool(moved.pushed)
        tally.events += moved.pushed
    except Exception as exc:  # noqa: BLE001 — every failure is counted, the node goes on
        _classify(exc, tally, "exchange")


def _drive(node, db, sizes: list[int], seed: int, start: float, end: float,
           databases: ThreadDatabases, tally: Tally) -> None:
    databases.use(db)
    _time_push_requests(node, tally)
    from node import store
    tally.acked_before = store.state().acked_seq
    rng = random.Random(seed)
    due = start + rng.uniform(0, 1)  # the nodes' first ticks spread over the first second
    while due < end:
        time.sleep(max(0.0, due - time.monotonic()))
        cpu = time.thread_time()
        _tick(node, sizes[tally.ticks] if tally.ticks < len(sizes) else BATCH_SIZES[1], tally)
        tally.cpu_s += time.thread_time() - cpu
        tally.ticks += 1
        due += rng.uniform(*TICK_S)
        while due < time.monotonic():  # as a node's scheduler skips a run while the last
            due += rng.uniform(*TICK_S)  # one is still going: a slow hub gets no catch-up
            tally.skipped_ticks += 1
    tally.center, tally.acked_seq = node.center, store.state().acked_seq
    db.close()


def drive_nodes(args) -> list[Tally]:
    """Run each node's ticks in its own thread from ``start`` (a ``time.time()`` every
    worker shares) for ``seconds``."""
    plans, start_at, seconds = args
    from node import store
    from node.models import database
    from sync.database import open_database
    nodes = []
    for data_dir, seed, _seconds in plans:  # store.bind is per process: one at a time here
        nodes.append(_open_node(data_dir))
    databases = ThreadDatabases()
    database.initialize(databases)
    tallies = [Tally() for _ in plans]
    start = time.monotonic() + (start_at - time.time())
    threads = [threading.Thread(target=_drive, daemon=True, args=(
        node, open_database(f"sqlite:///{store.db_path(data_dir)}"),
        batch_sizes(seed, seconds), seed, start, start + seconds, databases, tally))
        for node, (data_dir, seed, _), tally in zip(nodes, plans, tallies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for node in nodes:
        node.close()
    return tallies
