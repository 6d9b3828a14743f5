"""``hallsync bench soak``: the fleet's load for minutes, through a faulty network.

The nodes of ``hallsync bench fleet`` (threads in a few processes, each node's own
code on its own SQLite file) tick against one ``hallsync hub run``, but every
request goes through ``hallsync.bench.fault_proxy``, which drops, cuts, resets,
delays or duplicates a share of them (``--fault-rate``). One more center runs as a
real ``hallsync node run`` process with its scheduled jobs, fed new events every
second, so the memory of a node is measured where it lives; the hub's memory (all
its workers) is sampled alongside.

At the end the faults stop, every node sends what it still holds, and the hub's
event table is compared with each node's chain: events lost (the node has them,
the hub does not), doubled (stored twice) or different (another hash at a seq).
Anything but 0, 0, 0 fails the command.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import click

from hallsync.bench import city, fleet, fleet_nodes
from hallsync.bench.fault_proxy import FaultProxy
from hallsync.bench.proc import memory_mb
from hallsync.child_processes import free_port
from sync.cli_output import emit, json_option

SAMPLE_S = 2.0
WATCHED_ENV = {"HALLSYNC_PUSH_INTERVAL_S": "1", "HALLSYNC_PULL_INTERVAL_S": "1",
               "HALLSYNC_HEARTBEAT_INTERVAL_S": "2", "HALLSYNC_JITTER_S": "0.2",
               "HALLSYNC_BACKOFF_BASE_S": "0.5", "HALLSYNC_BACKOFF_CAP_S": "4",
               "HALLSYNC_HTTP_TIMEOUT_S": "10"}


def _progress(message: str) -> None:
    click.echo(f"[bench soak] {message}", err=True)


def drain_nodes(data_dirs: list[str]) -> list[tuple[str, int, str]]:
    """In a pool worker: each node sends all it holds; its (center, last seq, last hash)."""
    from node import outbox, store
    from node.models import database
    if isinstance(database.obj, fleet_nodes.ThreadDatabases):  # this worker drove nodes
        database.initialize(None)
    out = []
    for data_dir in data_dirs:
        store.bind(data_dir)
        node = fleet_nodes._open_node(data_dir)
        try:
            for _ in range(5):  # the hub may still answer 503 busy for a moment
                try:
                    node.push()
                    node.pull()
                    node.push()
                    break
                except Exception:  # noqa: BLE001 — tried again; the check below tells
                    time.sleep(1)
        finally:
            node.close()
        seq, digest = outbox.last()
        out.append((node.center, seq, digest))
    return out


def _hub_chains(hub_db: Path) -> dict[str, tuple[int, int, str, int]]:
    """Per origin: (events, distinct seqs, head hash, events not applied)."""
    conn = sqlite3.connect(hub_db)
    try:
        heads = dict(conn.execute("SELECT origin, hash FROM origin_head"))
        return {origin: (n, distinct, heads.get(origin, ""), unapplied)
                for origin, n, distinct, unapplied in conn.execute(
                    "SELECT origin, COUNT(*), COUNT(DISTINCT seq), SUM(state != 'applied') "
                    "FROM event GROUP BY origin")}
    finally:
        conn.close()


def compare(nodes: list[tuple[str, int, str]], hub: dict) -> dict:
    """Lost, doubled and different events between each node's chain and the hub's copy."""
    lost = doubled = different = 0
    for center, last_seq, last_hash in nodes:
        held, distinct, head_hash, _ = hub.get(center, (0, 0, "", 0))
        lost += max(0, last_seq - distinct)
        doubled += held - distinct
        different += int(held and distinct == last_seq and head_hash != last_hash)
    return {"lost": lost, "doubled": doubled, "different": different,
            "unapplied": sum(v[3] or 0 for v in hub.values())}


class Sampler(threading.Thread):
    """Memory of the hub (with its workers) and of the watched node, every ``SAMPLE_S``."""

    def __init__(self, pids: dict[str, int]):
        super().__init__(daemon=True)
        self.pids, self.samples = pids, {name: [] for name in pids}
        self.stopping = threading.Event()

    def run(self) -> None:
        while True:
            for name, pid in self.pids.items():
                self.samples[name].append(memory_mb(pid)[0])
            if self.stopping.wait(SAMPLE_S):
                return

    def growth(self, name: str) -> dict:
        values = self.samples[name] or [0.0]
        return {"start_mb": round(values[0], 1), "end_mb": round(values[-1], 1),
                "max_mb": round(max(values), 1), "growth_mb": round(values[-1] - values[0], 1)}


class Feeder(threading.Thread):
    """New events at the watched node every second, as its windows would write them."""

    def __init__(self, data_dir: Path):
        super().__init__(daemon=True)
        self.data_dir, self.stopping, self.written = data_dir, threading.Event(), 0

    def run(self) -> None:
        from node import outbox, store
        from node.models import database
        store.bind(self.data_dir)
        keys, center = store.load_keys(self.data_dir), store.state().center
        while not self.stopping.wait(1.0):
            with database.connection_context():
                outbox.emit_many(keys, center, [
                    ("record.put", f"profile:{center}:soak{self.written + i}", {"data": {"n": i}})
                    for i in range(20)])
            self.written += 20


def _watched_node(data_dir: Path, log: Path) -> subprocess.Popen:
    port = free_port()
    with open(log, "ab") as err:
        return subprocess.Popen([sys.executable, "-m", "hallsync", "node", "run", "--data-dir",
                                 str(data_dir), "--port", str(port)],
                                env={**os.environ, **WATCHED_ENV}, stdout=subprocess.DEVNULL,
                                stderr=err)


def run_soak(root: Path, centers: list[str], seconds: float, processes: int, seed: int,
             fault_rate: float) -> dict:
    """Enroll, prepare, run the fleet through the proxy with the watched node, drain, check."""
    driven, watched = centers[:-1], centers[-1]
    plans = [(str(root / f"node-{c}"), seed + i, seconds) for i, c in enumerate(driven)]
    watched_dir = root / f"node-{watched}"
    with city.BenchHub(root / "hub") as hub, \
            FaultProxy(("127.0.0.1", hub.port), seed=seed) as proxy, \
            multiprocessing.get_context("spawn").Pool(processes) as pool:
        fleet._enroll_missing(pool, hub, centers, root, processes)
        _progress(f"making each node's case events ({len(centers)} nodes)")
        made = sum(pool.map(fleet_nodes.prepare_nodes, [
            (proxy.url, chunk) for chunk in fleet._split(
                plans + [(str(watched_dir), seed + len(plans), seconds)], processes)]))
        node_proc = _watched_node(watched_dir, root / "watched-node.log")
        sampler = Sampler({"hub": hub.process.pid, "node": node_proc.pid})
        feeder = Feeder(watched_dir)
        proxy.set(rate=fault_rate)
        _progress(f"{made:,} events made; {len(driven)} nodes in {processes} processes and "
                  f"{watched} as its own process tick for {seconds:g} s, "
                  f"faults on {fault_rate:.0%} of requests")
        start_at = time.time() + fleet.START_DELAY_S
        time.sleep(fleet.START_DELAY_S / 2)  # the watched node has started
        sampler.start()
        feeder.start()
        try:
            parts = pool.map(fleet_nodes.drive_nodes, [(chunk, start_at, seconds) for chunk in
                                                       fleet._split(plans, processes)])
        finally:
            feeder.stopping.set()
            feeder.join(10)
            sampler.stopping.set()
            sampler.join(10)
            node_proc.terminate()
            node_proc.wait(30)
        proxy.set(rate=0.0)
        _progress("faults off; every node sends what it still holds")
        held = [n for part in pool.map(drain_nodes, fleet._split(
            [p[0] for p in plans] + [str(watched_dir)], processes)) for n in part]
        faults = {k: v for k, v in proxy.counts.items() if k != "clean"}
        requests_seen = sum(proxy.counts.values())
    checked = compare(held, _hub_chains(root / "hub" / "hub.db"))
    tallies = [t for part in parts for t in part]
    push_ms = sorted(ms for t in tallies for ms in t.push_ms)
    errors = sum((t.errors for t in tallies), Counter())
    refusals = sum((t.refusals for t in tallies), Counter())
    return {"nodes": len(centers), "seconds": seconds, "fault_rate": fault_rate,
            "requests": requests_seen, "faults": faults, "faults_total": sum(faults.values()),
            "events": sum(t.events for t in tallies) + feeder.written,
            "events_held": sum(seq for _c, seq, _h in held),
            "pushes": sum(t.pushes for t in tallies),
            "p50_ms": round(fleet._percentile(push_ms, 0.50), 1),
            "p99_ms": round(fleet._percentile(push_ms, 0.99), 1),
            "max_ms": round(push_ms[-1] if push_ms else 0.0, 1),
            "errors": sum(errors.values()), "refusals": sum(refusals.values()),
            "errors_by_kind": dict(errors), "refusals_by_code": dict(refusals),
            "hub_memory": sampler.growth("hub"), "node_memory": sampler.growth("node"),
            **checked}


@click.command()
@click.option("--nodes", "n_nodes", default=None, type=click.IntRange(2),
              help="Centers enrolled as nodes (default: every center but the hub's own).")
@click.option("--minutes", default=10.0, show_default=True, type=click.FloatRange(0.1),
              help="How long the nodes tick.")
@click.option("--faults/--no-faults", default=True, show_default=True,
              help="Send the nodes' traffic through the fault proxy.")
@click.option("--fault-rate", default=0.05, show_default=True, type=click.FloatRange(0, 1),
              help="Share of requests that meet a fault, with --faults.")
@click.option("--processes", default=None, type=click.IntRange(1),
              help="Worker processes driving the nodes, a thread per node (default: cores).")
@click.option("--seed", default=1, show_default=True, help="Seed of the case mix, jitter, faults.")
@json_option
def soak(n_nodes, minutes, faults, fault_rate, processes, seed, as_json):
    """The fleet's load for minutes through a faulty network: 0 lost, 0 doubled."""
    centers = fleet.fleet_centers()
    if n_nodes is not None and n_nodes > len(centers):
        raise click.BadParameter(f"the topology has {len(centers)} centers besides the hub",
                                 param_hint="--nodes")
    centers = centers[:n_nodes] if n_nodes else centers
    processes = min(processes or os.cpu_count() or 2, len(centers) - 1)
    root = Path(tempfile.mkdtemp(prefix="hallsync-soak-"))
    try:
        result = run_soak(root, centers, minutes * 60, processes, seed,
                          fault_rate if faults else 0.0)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    _print_lines(result)
    if as_json:
        emit(result, True)
    if result["lost"] or result["doubled"] or result["different"]:
        raise click.ClickException(f"{result['lost']} events lost, {result['doubled']} "
                                   f"doubled, {result['different']} different at the hub")


def _print_lines(r: dict) -> None:
    click.echo(f"{r['nodes']} nodes, {r['seconds']:g} s, faults on {r['fault_rate']:.0%} of "
               f"requests: {r['faults_total']} of {r['requests']} {r['faults'] or ''}")
    click.echo(f"  events {r['events']:,} pushed in {r['pushes']:,} pushes; push p50 "
               f"{r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms")
    click.echo(f"  errors {r['errors']} {r['errors_by_kind'] or ''}".rstrip())
    click.echo(f"  refusals {r['refusals']} {r['refusals_by_code'] or ''}".rstrip())
    for name in ("hub", "node"):
        m = r[f"{name}_memory"]
        click.echo(f"  {name} memory {m['start_mb']:.1f} → {m['end_mb']:.1f} MB "
                   f"(max {m['max_mb']:.1f}, growth {m['growth_mb']:+.1f})")
    click.echo(f"  at the end: {r['events_held']:,} events held by the nodes; lost "
               f"{r['lost']}, doubled {r['doubled']}, different {r['different']}, "
               f"not applied {r['unapplied']}")
