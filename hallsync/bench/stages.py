"""``hallsync bench stages``: where the hub's time goes for each case event, stage by stage.

``bench ingest`` times pushes over HTTP with the nodes on the same two cores, so its rate
moves with everything else the machine does (±15 % between runs here): too coarse to tell
whether a change to the hub saved 5 µs an event. This bench makes the same case mix at
real nodes, stops their hub, then replays the nodes' pushes — sealed as ``Node.push``
seals them — through the hub's own app in this one process and thread, round robin over
the nodes as their concurrent pushes would arrive. Each stage of the push endpoint is
timed where the endpoint calls it; SQLite's own time (statements, fetches, COMMIT) through
the connection; Python's garbage collector through ``gc.callbacks``. As in a served hub,
the WAL is checkpointed apart from the pushes (``hub.scheduler``), and not timed.

With ``--work-dir`` the mix is made once and every run replays it into a fresh copy of
the hub it was made against: two builds compared on the very same pushes.
"""
from __future__ import annotations

import gc
import importlib
import itertools
import json
import multiprocessing
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from hallsync.bench import city
from hallsync.bench.case_mix import LIFE_SHARES
from hallsync.bench.ingest import (CASE_EVENT_TYPES, check_all_applied, make_mix,
                                   raw_sqlite_rate)
from sync.cli_output import emit, json_option

PUSH_PATH = "/sync/v1/push"
# (label, module, function, depth): each timed where the push endpoint's code calls it,
# through its module; a stage of depth 1 is part of the stage of depth 0 above it.
STAGES = (
    ("verify the envelope", "hub.views.sync_api", "authenticate", 0),
    ("unpack the body", "sync.envelope", "unpack", 0),
    ("prepare", "hub.ledger.ingest", "prepare", 0),
    ("hash and chain", "hub.ledger.ingest", "_chain", 1),
    ("work ahead", "hub.ledger.apply", "work_ahead", 1),
    ("store and apply", "hub.ledger.ingest", "commit", 0),
    ("apply", "hub.ledger.apply", "apply_events", 1),
    ("seal the reply", "hub.views.sync_api", "sealed", 0),
)
REST = "the rest: Flask, body, nonce, BEGIN, COMMIT"
MADE = "made.json"  # in the work directory: the mix is made, its centers and counts
MAX_REPLY_BYTES = 1 << 20  # a problem reply is a few hundred bytes


class _Clock:
    """Seconds spent in SQLite (statements and their rows) and, in a request, in the
    collector."""

    sql = 0.0
    gc = 0.0
    collections = 0
    in_request = False
    _gc_start = 0.0

    @classmethod
    def on_gc(cls, phase: str, _info: dict) -> None:
        if not cls.in_request:
            return
        if phase == "start":
            cls._gc_start = time.perf_counter()
        else:
            cls.gc += time.perf_counter() - cls._gc_start
            cls.collections += 1


def _timed(method):
    def timed(self, *args):
        start = time.perf_counter()
        try:
            return method(self, *args)
        finally:
            _Clock.sql += time.perf_counter() - start
    return timed


class _TimedCursor(sqlite3.Cursor):
    execute = _timed(sqlite3.Cursor.execute)
    executemany = _timed(sqlite3.Cursor.executemany)
    fetchone = _timed(sqlite3.Cursor.fetchone)
    fetchmany = _timed(sqlite3.Cursor.fetchmany)
    fetchall = _timed(sqlite3.Cursor.fetchall)
    __next__ = _timed(sqlite3.Cursor.__next__)  # a ``for row in cursor``


class _TimedConnection(sqlite3.Connection):
    def cursor(self, factory=_TimedCursor):
        return super().cursor(factory)


@contextmanager
def _stopwatches(spent: dict[str, list[float]]) -> Iterator[None]:
    """Time every stage of ``STAGES`` into ``spent[label]`` = [seconds, SQLite seconds]."""
    originals = []
    try:
        for label, module_name, name, _depth in STAGES:
            module = importlib.import_module(module_name)
            original = getattr(module, name)
            spent[label] = [0.0, 0.0]

            def timed(*args, _original=original, _spent=spent[label], **kwargs):
                start, sql = time.perf_counter(), _Clock.sql
                try:
                    return _original(*args, **kwargs)
                finally:
                    _spent[0] += time.perf_counter() - start
                    _spent[1] += _Clock.sql - sql
            setattr(module, name, timed)
            originals.append((module, name, original))
        gc.callbacks.append(_Clock.on_gc)
        yield
    finally:
        if _Clock.on_gc in gc.callbacks:
            gc.callbacks.remove(_Clock.on_gc)
        for module, name, original in originals:
            setattr(module, name, original)


def _pushes(node_dirs: list[str], batch: int) -> list[tuple]:
    """Each node's backlog in pushes of ``batch`` events, as ``Node.push`` reads it; the
    nodes' pushes taken in turn."""
    from node import outbox, store
    per_node = []
    for data_dir in node_dirs:
        store.bind(data_dir)
        state, keys = store.state(), store.load_keys(data_dir)
        own, after = [], state.acked_seq
        while events := outbox.pending(after, batch, state.center):
            own.append((state.center, keys, events))
            after = events[-1]["seq"]
        per_node.append(own)
        store.database.close()
    return [push for turn in itertools.zip_longest(*per_node) for push in turn if push]


def replay(hub_dir: Path, node_dirs: list[str], batch: int) -> dict:
    """Replay the nodes' backlogs into the hub in ``hub_dir`` through its app, timed."""
    from hub.app import create_app
    from hub.scheduler import CHECKPOINT_EVERY_S
    from hub.identity import HUB_ID
    from hub.models import database
    from sync import envelope as env
    from sync.database import checkpoint, checkpoint_apart
    from sync.serve import tune_gc
    pushes = _pushes(node_dirs, batch)
    app = create_app({"data_dir": str(hub_dir), "TESTING": True})  # TESTING: no jobs
    database.obj.connect_params["factory"] = _TimedConnection
    database.close()
    client = app.test_client()
    tune_gc()  # as a hub worker does once its app is loaded (sync.serve)
    checkpoint_apart(database.obj)  # and once it serves (hub.scheduler)
    spent: dict[str, list[float]] = {}
    _Clock.sql = _Clock.gc = _Clock.collections = 0
    total = cpu = last_checkpoint = 0.0
    with _stopwatches(spent):
        for center, keys, events in pushes:
            if total - last_checkpoint >= CHECKPOINT_EVERY_S:  # the checkpoint thread's turn
                sql = _Clock.sql
                checkpoint(database.obj)
                _Clock.sql, last_checkpoint = sql, total
            envelope, data = env.seal({"events": events}, keys=keys, sender=center,
                                      recipient=HUB_ID, method="POST", path=PUSH_PATH)
            start, start_cpu = time.perf_counter(), time.process_time()
            _Clock.in_request = True
            response = client.post(PUSH_PATH, data=data, headers=envelope.headers())
            _Clock.in_request = False
            total += time.perf_counter() - start
            cpu += time.process_time() - start_cpu
            if response.status_code != 200:
                raise click.ClickException(f"the hub answered {response.status_code} to a "
                                           f"push of {center}: {_problem(response.data)}")
    database.close()
    return {"spent": spent, "total": total, "sql": _Clock.sql, "gc": _Clock.gc,
            "collections": _Clock.collections, "cpu": cpu,
            "events": sum(len(events) for _c, _k, events in pushes)}


def _problem(body: bytes) -> str:
    """A refused push's problem, as the hub sealed it (its code and detail)."""
    from sync import envelope as env
    from sync.errors import ProtocolError
    try:
        problem = env.unpack(body, MAX_REPLY_BYTES)
        return f"{problem['code']}: {problem['detail']}"
    except (ProtocolError, KeyError, TypeError):
        return "no problem body"


def _make(work: Path, n_events: int, n_nodes: int, seed: int) -> dict:
    """Enroll the centers against a hub in ``work/hub``, make the mix at their nodes, stop
    the hub: its data is the starting point of every replay."""
    centers = city.bench_centers(n_nodes)
    work.mkdir(parents=True, exist_ok=True)
    with city.BenchHub(work / "hub") as hub:
        node_dirs = hub.enroll(centers, work)
        with multiprocessing.get_context("spawn").Pool(len(centers)) as pool:
            mix = make_mix(pool, node_dirs, n_events, seed)
    made = {"centers": centers, "node_dirs": node_dirs, "events": n_events,
            "cases": sum(mix[life] for life in LIFE_SHARES)}
    (work / MADE).write_text(json.dumps(made))
    return made


def _figures(made: dict, run: dict, raw_rate: float, batch: int) -> dict:
    events = run["events"]

    def per_event(seconds: float) -> float:
        return round(seconds / events * 1e6, 1)
    stages = {label: {"depth": depth, "us_per_event": per_event(run["spent"][label][0]),
                      "sqlite_us_per_event": per_event(run["spent"][label][1])}
              for label, _module, _name, depth in STAGES}
    top = [run["spent"][label] for label, _m, _n, depth in STAGES if depth == 0]
    stages[REST] = {"depth": 0, "us_per_event": per_event(run["total"] - sum(s[0] for s in top)),
                    "sqlite_us_per_event": per_event(run["sql"] - sum(s[1] for s in top))}
    total = per_event(run["total"])
    return {"events": events, "cases": made["cases"], "nodes": len(made["centers"]),
            "batch": batch, "stages": stages, "total_us_per_event": total,
            "sqlite_us_per_event": per_event(run["sql"]), "gc_us_per_event": per_event(run["gc"]),
            "gc_collections": run["collections"], "cpu_us_per_event": per_event(run["cpu"]),
            "events_per_s_one_core": round(1e6 / total),
            "raw_sqlite_rows_per_s": round(raw_rate),
            "ratio": round(1e6 / total / raw_rate, 4)}


@click.command()
@click.option("--events", "n_events", default=24_000, show_default=True,
              type=click.IntRange(1), help="Case events of the mix (made once per work dir).")
@click.option("--nodes", "n_nodes", default=4, show_default=True, type=click.IntRange(1),
              help="Centers: a district and its first K-1 streets.")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(1),
              help="Events per push.")
@click.option("--seed", default=1, show_default=True, help="Seed of the case mix.")
@click.option("--work-dir", default=None, type=click.Path(file_okay=False),
              help="Make the mix here once and replay it on every run (default: a "
                   "temporary directory, made and removed).")
@json_option
def stages(n_events, n_nodes, batch, seed, work_dir, as_json):
    """The hub's cost per case event, stage by stage, replaying the nodes' pushes in one
    process; beside raw SQLite inserts."""
    if n_events < 10 * n_nodes:
        raise click.BadParameter("at least 10 events per node", param_hint="--events")
    work = (Path(work_dir).resolve() if work_dir
            else Path(tempfile.mkdtemp(prefix="hallsync-stages-")))
    replay_dir = Path(tempfile.mkdtemp(prefix="hallsync-replay-"))
    try:
        if (work / MADE).exists():
            made = json.loads((work / MADE).read_text())
            missing = [d for d in made["node_dirs"] if not (Path(d) / "node.db").exists()]
            if missing:  # made.json names them by absolute path: a moved work dir
                raise click.ClickException(f"{work} was made with node directories that are "
                                           f"no longer there ({missing[0]}): make a new one")
            click.echo(f"[bench stages] replaying the mix made in {work} "
                       f"({made['events']:,} events; --events, --nodes and --seed apply to a "
                       "new work dir)", err=True)
        elif work.exists() and any(work.iterdir()):
            raise click.ClickException(f"{work} holds no finished mix ({MADE} is missing): "
                                       "remove it, or name an empty or new directory")
        else:
            click.echo(f"[bench stages] making {n_events:,} events of the case mix", err=True)
            made = _make(work, n_events, n_nodes, seed)
        shutil.copytree(work / "hub", replay_dir / "hub")
        run = replay(replay_dir / "hub", made["node_dirs"], batch)
        check_all_applied(f"sqlite:///{replay_dir / 'hub' / 'hub.db'}", made["events"],
                          CASE_EVENT_TYPES)
        raw_rate = raw_sqlite_rate(replay_dir / "hub" / "hub.db", replay_dir / "raw.db", batch)
    finally:
        shutil.rmtree(replay_dir, ignore_errors=True)
        if not work_dir:
            shutil.rmtree(work, ignore_errors=True)
    result = _figures(made, run, raw_rate, batch)
    _print_table(result)
    if as_json:
        emit(result, True)


def _print_table(r: dict) -> None:
    click.echo(f"the hub's cost per case event, in one process: {r['events']:,} events "
               f"({r['cases']:,} cases) from {r['nodes']} nodes, {r['batch']:,} a push")
    click.echo(f"  {'stage':<44}{'µs/event':>9}{'of which SQLite':>17}")
    for label, figures in r["stages"].items():
        indent = "  " * (figures["depth"] + 1)
        name = f"{indent}{label}"
        click.echo(f"{name:<46}{figures['us_per_event']:>9.1f}"
                   f"{figures['sqlite_us_per_event']:>17.1f}")
    click.echo(f"  {'total':<44}{r['total_us_per_event']:>9.1f}"
               f"{r['sqlite_us_per_event']:>17.1f}")
    click.echo(f"  garbage collection (in the stages above) {r['gc_us_per_event']:.1f} µs/event, "
               f"{r['gc_collections']} collections; CPU {r['cpu_us_per_event']:.1f} µs/event")
    click.echo(f"  events_per_s_one_core {r['events_per_s_one_core']:>10,}  (1 s / total; "
               f"{r['ratio']:.2%} of raw SQLite)")
    click.echo(f"  raw_sqlite_rows_per_s {r['raw_sqlite_rows_per_s']:>10,}  (bare executemany "
               "of the hub's case-event rows, same disk, same run)")
