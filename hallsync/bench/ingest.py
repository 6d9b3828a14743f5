"""``hallsync bench ingest``: push N events from K node processes through real HTTP,
signatures and idempotent apply into a hub on SQLite, and, in the same run and
on the same disk, insert the same rows with raw ``sqlite3.executemany``.

The events are written to the nodes' outboxes first (that is the nodes' own
work, done when their clerks act); the timed part is push → verified → stored
→ applied → acknowledged, until every node's backlog is zero.
"""
from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from sync.cli_output import emit, json_option

BENCH_KIND = "bench"  # records of this kind are the benchmark's load, not real data


def _write_outbox(args) -> int:
    """In a node process: write ``count`` record.put events to its outbox."""
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


def _push_all(data_dir: str) -> int:
    """In a node process: push until the backlog is empty; returns events acknowledged."""
    from node.app import load_settings
    from node.syncer import Node
    node = Node(data_dir, load_settings({"data_dir": data_dir}))
    moved = node.push()
    node.close()
    return moved.pushed


def _raw_sqlite_rate(path: Path, rows: list[tuple], batch: int) -> float:
    """Rows per second inserting ``rows`` into the hub's event table with bare executemany."""
    from hub.models import Event
    from sync.database import open_database
    db = open_database(f"sqlite:///{path}")
    db.bind([Event])
    db.create_tables([Event])
    db.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=normal")
    marks = ", ".join("?" * len(rows[0]))
    start = time.perf_counter()
    for offset in range(0, len(rows), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO event VALUES ({marks})", rows[offset:offset + batch])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return len(rows) / elapsed


def _hub_rows(db_path: Path) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT * FROM event").fetchall()
    conn.close()
    return rows


@click.group()
def bench():
    """Benchmarks: numbers, with the raw limit measured in the same run."""


@bench.command()
@click.option("--events", "n_events", default=200_000, show_default=True)
@click.option("--nodes", "n_nodes", default=4, show_default=True)
@click.option("--batch", default=5000, show_default=True, help="Events per push.")
@click.option("--keep", is_flag=True, help="Keep the working directory.")
@json_option
def ingest(n_events, n_nodes, batch, keep, as_json):
    """Push N events from K node processes into a hub on SQLite; compare with raw inserts."""
    import socket

    import requests

    from sync.topology import load_topology
    workdir = Path(tempfile.mkdtemp(prefix="hallsync-bench-"))
    hub_dir = workdir / "hub"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hub = subprocess.Popen([sys.executable, "-m", "hallsync", "hub", "run", "--data-dir",
                            str(hub_dir), "--port", str(port)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(url + "/__heartbeat__", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        centers = [c.code for c in load_topology().at_level("street")[:n_nodes]]
        node_dirs = []
        for center in centers:
            token = subprocess.run([sys.executable, "-m", "hallsync", "hub", "enroll-token",
                                    center, "--data-dir", str(hub_dir)], check=True,
                                   capture_output=True, text=True).stdout.strip().splitlines()[-1]
            node_dir = workdir / f"node-{center}"
            subprocess.run([sys.executable, "-m", "hallsync", "node", "enroll", "--hub", url,
                            "--token", token, "--data-dir", str(node_dir)], check=True,
                           capture_output=True)
            node_dirs.append(str(node_dir))
        per_node = n_events // n_nodes
        spawn = multiprocessing.get_context("spawn")
        with spawn.Pool(n_nodes) as pool:
            pool.map(_write_outbox, [(d, per_node, batch) for d in node_dirs])
            start = time.perf_counter()
            pushed = pool.map(_push_all, node_dirs)
            elapsed = time.perf_counter() - start
        rows = _hub_rows(hub_dir / "hub.db")
        raw_rate = _raw_sqlite_rate(workdir / "raw.db", rows, batch)
    finally:
        hub.terminate()
        hub.wait(10)
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    total = sum(pushed)
    if total != per_node * n_nodes or len(rows) != total:
        raise click.ClickException(f"pushed {total}, hub holds {len(rows)}: expected "
                                   f"{per_node * n_nodes}")
    rate = total / elapsed
    emit({"events": total, "nodes": n_nodes, "batch": batch, "seconds": round(elapsed, 3),
          "events_per_s": round(rate), "raw_sqlite_rows_per_s": round(raw_rate),
          "ratio": round(rate / raw_rate, 3)}, as_json)
