"""``hallsync bench fleet``: every center's node against one hub, at once, for S seconds.

Each center of the topology but the hub's own (the city center's node lives inside
the hub) is enrolled as a node, with its own key and data directory. Before timing,
each node pulls the catalog and makes its case events at its windows
(``hallsync.bench.case_mix``, the node's own code). Then, for S seconds, every node
ticks about once a second, with jitter, as its scheduled jobs would with their
intervals compressed: one sync round (``Node.exchange``, one request) pushes a batch of
1–50 of its pending events, pulls and sends a heartbeat. Each round's latency is
measured at the node; failures are counted as errors (transport, 5xx) or refusals
(the hub's codes). At the end the hub must hold, for every node, exactly the events
it acknowledged: none lost, none doubled.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from pathlib import Path

import click

from hallsync.bench import city, fleet_nodes, proc
from sync.cli_output import emit, json_option

START_DELAY_S = 5.0  # the workers open their nodes before the shared start
TARGET_P99_MS = 250


def _progress(message: str) -> None:
    click.echo(f"[bench fleet] {message}", err=True)


def fleet_centers() -> list[str]:
    """Every center but the hub's own: each district followed by its streets (a short run
    takes a district and some of its streets, so handoffs have somewhere to go), then the
    city's sub-centers."""
    from sync.topology import load_topology
    topology = load_topology()
    order = []
    for district in topology.at_level("district"):
        order += [district.code, *(c.code for c in topology.children(district.code)
                                   if c.level == "street")]
    return order + [c.code for c in topology.at_level("subcenter")]


def _split(items: list, parts: int) -> list[list]:
    return [chunk for chunk in (items[i::parts] for i in range(parts)) if chunk]


def _enroll_missing(pool, hub: city.BenchHub, centers: list[str], root: Path,
                    processes: int) -> None:
    """Enroll the centers whose directory has no key yet (a reused ``--work-dir`` keeps
    them): tokens made in this process, enrollments in the workers."""
    missing = [c for c in centers if not (root / f"node-{c}" / "node.key").exists()]
    if not missing:
        _progress(f"all {len(centers)} nodes already enrolled in {root}")
        return
    _progress(f"enrolling {len(missing)} nodes")
    from hub.commands.hub import open_hub
    from hub.ledger.enrollment import make_token
    from hub.models import database
    from sync import envelope as env
    settings, keys = open_hub(str(hub.data_dir), None)
    try:
        tokens = [(c, make_token(c, hub_keys=keys, ttl_s=settings["enroll_token_ttl_s"],
                                 now_ms=env.now_ms()), str(root / f"node-{c}")) for c in missing]
    finally:
        database.close()
    pool.map(fleet_nodes.enroll_nodes, [(hub.url, chunk) for chunk in
                                        _split(tokens, processes)])


def _hub_holds(hub_db: Path) -> dict[str, tuple[int, int, int]]:
    """Per origin: (events, highest seq, events not applied)."""
    conn = sqlite3.connect(hub_db)
    try:
        return {origin: (n, top, unapplied) for origin, n, top, unapplied in conn.execute(
            "SELECT origin, COUNT(*), MAX(seq), SUM(state != 'applied') FROM event "
            "GROUP BY origin")}
    finally:
        conn.close()


def _check_held(before: dict, after: dict, tallies: list) -> dict:
    """Whether the hub holds, for each node, exactly seqs 1..its acknowledged seq (none
    lost, none doubled) and grew by the events acknowledged in this run."""
    wrong, grown, reacked = [], 0, 0
    for tally in tallies:
        held, top, _ = after.get(tally.center, (0, 0, 0))
        had = before.get(tally.center, (0, 0, 0))[0]
        # An interrupted run can leave events stored at the hub whose ack never reached the
        # node: its first push this run acknowledges them again, without storing them twice.
        again = max(0, had - tally.acked_before)
        grown, reacked = grown + held - had, reacked + again
        if held != tally.acked_seq or top != tally.acked_seq \
                or held - had != tally.events - again:
            wrong.append(f"{tally.center}: hub holds {held} (up to seq {top}, {held - had} "
                         f"new), node acknowledged up to {tally.acked_seq} "
                         f"({tally.events} this run)")
    return {"events_at_hub": grown, "reacknowledged": reacked, "held_wrong": wrong,
            "unapplied": sum(after.get(t.center, (0, 0, 0))[2] or 0 for t in tallies)}


def _percentile(sorted_ms: list[float], share: float) -> float:
    if not sorted_ms:
        return 0.0
    return sorted_ms[min(len(sorted_ms) - 1, int(share * len(sorted_ms)))]


def _copy_start(root: Path, start: Path) -> None:
    """The work directory as the nodes are about to tick, hub and nodes idle: every file
    but SQLite's shared-memory index, which a database opened from the copy rebuilds
    from its WAL. Copied under another name first: a run stopped while it copies leaves
    no half a start for the next to begin from."""
    _progress(f"keeping this start in {start} (later runs with --same-start begin from it)")
    partial = start.with_name(start.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(root, partial, ignore=shutil.ignore_patterns("*-shm"))
    partial.rename(start)


def run_fleet(root: Path, centers: list[str], seconds: float, processes: int,
              seed: int, keep_start: Path | None = None) -> dict:
    """Enroll (or reuse), prepare, run the timed ticks, check the hub; the tallies summed.
    ``keep_start``: where to copy the work directory just before the ticks."""
    hub_db = root / "hub" / "hub.db"
    plans = [(str(root / f"node-{c}"), seed + i, seconds) for i, c in enumerate(centers)]
    with city.BenchHub(root / "hub") as hub, \
            multiprocessing.get_context("spawn").Pool(processes) as pool:
        _enroll_missing(pool, hub, centers, root, processes)
        _progress(f"making each node's case events at its windows ({len(centers)} nodes)")
        made = sum(pool.map(fleet_nodes.prepare_nodes,
                            [(hub.url, chunk) for chunk in _split(plans, processes)]))
        before = _hub_holds(hub_db)
        if keep_start is not None:
            _copy_start(root, keep_start)
        _progress(f"{made:,} events made; {len(centers)} nodes in {processes} processes "
                  f"tick for {seconds:g} s")
        start_at = time.time() + START_DELAY_S
        ticking = pool.map_async(fleet_nodes.drive_nodes, [(chunk, start_at, seconds)
                                                           for chunk in _split(plans, processes)])
        time.sleep(max(0.0, start_at - time.time()))
        hub_cpu = proc.cpu_seconds(hub.process.pid)  # from the first tick
        parts = ticking.get()
        hub_cpu = proc.cpu_seconds(hub.process.pid) - hub_cpu
    tallies = [t for part in parts for t in part]
    held = _check_held(before, _hub_holds(hub_db), tallies)
    push_ms = sorted(ms for t in tallies for ms in t.push_ms)
    errors = sum((t.errors for t in tallies), Counter())
    refusals = sum((t.refusals for t in tallies), Counter())
    return {"p50_ms": round(_percentile(push_ms, 0.50), 1),
            "p99_ms": round(_percentile(push_ms, 0.99), 1),
            "max_ms": round(push_ms[-1] if push_ms else 0.0, 1),
            "pushes": sum(t.pushes for t in tallies), "events": sum(t.events for t in tallies),
            "errors": sum(errors.values()), "refusals": sum(refusals.values()),
            "errors_by_kind": dict(errors), "refusals_by_code": dict(refusals),
            "ticks": sum(t.ticks for t in tallies),
            "skipped_ticks": sum(t.skipped_ticks for t in tallies),
            "nodes": len(centers), "seconds": seconds, "processes": processes,
            "events_made": made, **_cpu(hub_cpu, tallies, seconds), **held}


def _cpu(hub_cpu_s: float, tallies: list, seconds: float) -> dict:
    """CPU a round at the hub (its workers, while the nodes ticked) and at the nodes (their
    own threads), and the share of this machine's cores both took: near 1, the rounds
    queue for CPU, which the latencies show."""
    rounds = sum(t.ticks for t in tallies) or 1
    nodes_cpu_s = sum(t.cpu_s for t in tallies)
    return {"hub_cpu_ms_per_round": round(hub_cpu_s * 1000 / rounds, 2),
            "node_cpu_ms_per_round": round(nodes_cpu_s * 1000 / rounds, 2),
            "cpu_share": round((hub_cpu_s + nodes_cpu_s) / (seconds * (os.cpu_count() or 1)),
                               2)}


@click.command()
@click.option("--nodes", "n_nodes", default=None, type=click.IntRange(1),
              help="Centers enrolled as nodes (default: every center but the hub's own).")
@click.option("--seconds", default=60.0, show_default=True, type=click.FloatRange(1),
              help="How long the nodes tick.")
@click.option("--processes", default=None, type=click.IntRange(1),
              help="Worker processes driving the nodes, a thread per node (default: cores).")
@click.option("--seed", default=1, show_default=True, help="Seed of the case mix and jitter.")
@click.option("--work-dir", default=None, type=click.Path(file_okay=False),
              help="Keep the hub's and nodes' data here; a later run reuses the enrolled "
                   "nodes (default: a temporary directory).")
@click.option("--same-start", is_flag=True,
              help="Begin every run from one start, for comparing builds: the first run "
                   "keeps a copy of the work directory as the nodes are about to tick "
                   "(beside it, WORK_DIR.start), later runs restore it first.")
@json_option
def fleet(n_nodes, seconds, processes, seed, work_dir, same_start, as_json):
    """Every center's node pushing, pulling and heartbeating each second against one hub."""
    if same_start and not work_dir:
        raise click.BadParameter("needs --work-dir", param_hint="--same-start")
    centers = fleet_centers()
    if n_nodes is not None and n_nodes > len(centers):
        raise click.BadParameter(f"the topology has {len(centers)} centers besides the hub",
                                 param_hint="--nodes")
    centers = centers[:n_nodes] if n_nodes else centers
    processes = min(processes or os.cpu_count() or 2, len(centers))
    root = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="hallsync-fleet-"))
    start = root.with_name(root.name + ".start") if same_start else None
    if start is not None and start.exists():
        _progress(f"beginning from the start kept in {start}")
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(start, root)
        if hasattr(os, "sync"):  # the copy on disk first: its writeback is not the ticks'
            os.sync()
    root.mkdir(parents=True, exist_ok=True)
    try:
        result = run_fleet(root, centers, seconds, processes, seed,
                           keep_start=start if start is not None and not start.exists() else None)
    finally:
        if not work_dir:
            shutil.rmtree(root, ignore_errors=True)
    _print_lines(result)
    if as_json:
        emit(result, True)
    if result["held_wrong"]:
        raise click.ClickException("the hub does not hold what was acknowledged: "
                                   + "; ".join(result["held_wrong"][:5]))


def _print_lines(r: dict) -> None:
    verdict = "met" if r["p99_ms"] < TARGET_P99_MS else "MISSED"
    click.echo(f"{r['nodes']} nodes in {r['processes']} processes, {r['seconds']:g} s, "
               f"each tick one request: push 1–50 events, pull, heartbeat")
    click.echo(f"  push p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms "
               f"(target < {TARGET_P99_MS} ms: {verdict}), max {r['max_ms']:.1f} ms")
    click.echo(f"  pushes {r['pushes']:,}, events {r['events']:,} "
               f"({r['events'] / r['seconds']:,.0f}/s), ticks {r['ticks']:,} "
               f"({r['skipped_ticks']:,} skipped: due while the last one still waited)")
    click.echo(f"  CPU a round: hub {r['hub_cpu_ms_per_round']:.2f} ms, node "
               f"{r['node_cpu_ms_per_round']:.2f} ms; together {r['cpu_share']:.0%} of this "
               f"machine's {os.cpu_count()} cores over the {r['seconds']:g} s")
    click.echo(f"  errors {r['errors']} {r['errors_by_kind'] or ''}".rstrip())
    click.echo(f"  refusals {r['refusals']} {r['refusals_by_code'] or ''}".rstrip())
    held = "exactly" if not r["held_wrong"] else f"NOT ({len(r['held_wrong'])} nodes off)"
    click.echo(f"  the hub holds {held} the {r['events_at_hub']:,} new events acknowledged "
               f"({r['reacknowledged']} acknowledged again after an interrupted run, "
               f"{r['unapplied']} not applied)")
