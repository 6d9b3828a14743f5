"""``hallsync bench ingest``: what the hub really does with what the centers send.

A district's node and some of its streets' nodes, enrolled against a running
``hallsync hub run``, first make the real case mix at their windows
(``hallsync.bench.case_mix``: intake and actions through ``node.cases``, each
event signed and chained by its node). Then each node process pushes its backlog
with ``Node.push`` over HTTP, timed from the first request to the last reply:
verified → stored → applied (cases, handoffs, rollups) → acknowledged, until every
backlog is zero. The same nodes
then push as many synthetic ``record.put`` events, and the hub's stored case
events are inserted again with bare ``sqlite3.executemany`` on the same disk:
the raw limit every figure is printed beside. With PostgreSQL reachable, the
case mix is made and pushed again into a hub on a scratch database.
"""
from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import click

from hallsync.bench import city, proc
from sync.cli_output import emit, json_option

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
PUSH_PATH = "Node.push over HTTP to hallsync hub run"
# The case mix's events: its cases' steps and the SMS they announce (node.sms); a bad
# review opens a rectification order (整改) at once; an approval of a matter with a
# licence issues it (电子证照).
CASE_EVENT_TYPES = ("case.received", "case.action", "sms.requested", "rectification.action",
                    "licence.issued")


def _progress(message: str) -> None:
    click.echo(f"[bench ingest] {message}", err=True)


def _shares(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _hub_events(db_url: str) -> Counter:
    """The hub's events by (type, state)."""
    from hub import db as hub_db
    from hub.models import Event
    from peewee import fn
    db = hub_db.bind(db_url)
    try:
        with db.connection_context():
            return Counter({(kind, state): n for kind, state, n in Event.select(
                Event.type, Event.state, fn.COUNT(Event.origin)).group_by(
                Event.type, Event.state).tuples()})
    finally:
        db.close()


def check_all_applied(db_url: str, expected: int, types) -> None:
    held = _hub_events(db_url)
    of_types = sum(n for (kind, _state), n in held.items() if kind in types)
    unapplied = {key: n for key, n in held.items() if key[1] != "applied"}
    if of_types != expected or unapplied:
        raise click.ClickException(f"the hub holds {of_types} of the {expected} events pushed; "
                                   f"not applied: {unapplied or 'none'}")


@dataclass
class TimedPush:
    seconds: float        # from the first request of any node to the last reply
    slowest_s: float      # the slowest push request
    hub_cpu_s: float      # CPU time of the hub's processes while the nodes ran (and started)
    nodes_cpu_s: float    # CPU time of the nodes' processes in ``Node.push``


def _timed_push(pool, hub: city.BenchHub, node_dirs: list[str], batch: int, expected: int,
                what: str) -> TimedPush:
    """Every node pushes its backlog until it is zero; timed from the first request: a
    node's own start (its process, settings and store) is not part of the flow."""
    _progress(f"pushing {expected:,} {what} from {len(node_dirs)} nodes, {batch:,} a request")
    hub_cpu = proc.cpu_seconds(hub.process.pid)
    results = pool.map(city.push_all, [(d, batch) for d in node_dirs])
    hub_cpu = proc.cpu_seconds(hub.process.pid) - hub_cpu
    pushed = sum(r.events for r in results)
    if pushed != expected:
        raise click.ClickException(f"the hub acknowledged {pushed} {what}, not {expected}")
    return TimedPush(max(r.last_s for r in results) - min(r.first_s for r in results),
                     max(r.slowest_s for r in results), hub_cpu,
                     sum(r.cpu_s for r in results))


def make_mix(pool, node_dirs: list[str], n_events: int, seed: int) -> Counter:
    """Make ``n_events`` of the case mix at the nodes' windows, shared among them."""
    _progress(f"making the case mix ({n_events:,} events) at the nodes' windows")
    made = pool.map(city.prepare_cases, [
        (d, n, seed + i) for i, (d, n) in enumerate(zip(node_dirs, _shares(n_events,
                                                                              len(node_dirs))))])
    return sum((Counter(m) for m in made), Counter())


def run_hub(root: Path, db_url: str | None, centers: list[str], n_events: int,
            n_records: int, batch: int, seed: int) -> dict:
    """Enroll the centers against a hub on ``db_url``, make the mix, push it (timed), then
    the synthetic records (timed): both pushes' times, the mix's counts, where the hub's
    data is."""
    root.mkdir(parents=True)
    hub_url = db_url or f"sqlite:///{root / 'hub' / 'hub.db'}"
    with city.BenchHub(root / "hub", db_url) as hub:
        _progress(f"enrolling {', '.join(centers)} against {hub_url.split('?')[0]}")
        node_dirs = hub.enroll(centers, root)
        with multiprocessing.get_context("spawn").Pool(len(centers)) as pool:
            mix = make_mix(pool, node_dirs, n_events, seed)
            cases = _timed_push(pool, hub, node_dirs, batch, n_events, "case events")
            check_all_applied(hub_url, n_events, CASE_EVENT_TYPES)
            records = None
            if n_records:
                pool.map(city.write_records, [(d, n, batch) for d, n in
                                               zip(node_dirs, _shares(n_records, len(centers)))])
                records = _timed_push(pool, hub, node_dirs, batch, n_records, "record events")
                check_all_applied(hub_url, n_events + n_records,
                                  (*CASE_EVENT_TYPES, "record.put"))
    return {"cases": cases, "records": records, "mix": mix, "hub_url": hub_url}


def raw_sqlite_rate(hub_db: Path, path: Path, batch: int) -> float:
    """Rows per second inserting the hub's case events again with bare executemany."""
    from hub.models import Event
    from sync.database import open_database
    source = sqlite3.connect(hub_db)
    rows = source.execute(f"SELECT * FROM event WHERE type IN "
                          f"({', '.join('?' * len(CASE_EVENT_TYPES))})",
                          CASE_EVENT_TYPES).fetchall()
    source.close()
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


@click.group()
def bench():
    """Benchmarks: numbers, with the raw limit measured in the same run."""


@bench.command()
# 24,000 events keep the hub busy a second or two. Over 6,000 (the default before) it was
# busy 0.4 s, at 97–115 µs of CPU an event against 68–80 over 24,000: a run that short
# measures the hub warming up as much as its work.
@click.option("--events", "n_events", default=24_000, show_default=True,
              type=click.IntRange(1),
              help="Case events pushed (the real mix); as many synthetic records follow.")
@click.option("--nodes", "n_nodes", default=4, show_default=True, type=click.IntRange(1),
              help="Centers: a district and its first K-1 streets, one process each.")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(1),
              help="Events per push (the nodes' push_batch) and rows per raw-insert "
                   "transaction.")
@click.option("--seed", default=1, show_default=True, help="Seed of the case mix.")
@click.option("--pg-url", default=DEFAULT_PG, show_default=True,
              help="PostgreSQL server for the second run (a scratch database, dropped "
                   "after); empty to skip.")
@click.option("--work-dir", default=None, type=click.Path(file_okay=False),
              help="Keep the hubs' and nodes' data here (default: a temporary directory).")
@json_option
def ingest(n_events, n_nodes, batch, seed, pg_url, work_dir, as_json):
    """Push the real case mix from K node processes into a hub; compare with raw inserts."""
    if n_events < 10 * n_nodes:
        raise click.BadParameter("at least 10 events per node", param_hint="--events")
    centers = city.bench_centers(n_nodes)
    workdir = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="hallsync-bench-"))
    try:
        on_sqlite = run_hub(workdir / "sqlite", None, centers, n_events, n_events, batch, seed)
        raw_rate = raw_sqlite_rate(workdir / "sqlite" / "hub" / "hub.db",
                                   workdir / "raw.db", batch)
        pg_seconds = None
        if pg_url:
            with city.scratch_pg_database(pg_url) as scratch:
                if scratch:
                    pg_seconds = run_hub(workdir / "postgresql", scratch, centers, n_events, 0,
                                         batch, seed)["cases"].seconds
    finally:
        if not work_dir:
            shutil.rmtree(workdir, ignore_errors=True)
    cases = on_sqlite["cases"]
    rate = n_events / cases.seconds
    record_rate = n_events / on_sqlite["records"].seconds
    mix = on_sqlite["mix"]
    lives = {life: mix[life] for life in ("immediate", "promised", "supplement", "suspended",
                                          "handoff")}
    result = {"events_per_s": round(rate), "record_events_per_s": round(record_rate),
              "raw_sqlite_rows_per_s": round(raw_rate), "ratio": round(rate / raw_rate, 6),
              "pg_events_per_s": round(n_events / pg_seconds) if pg_seconds else None,
              "events": n_events, "cases": sum(lives.values()), "nodes": n_nodes,
              "centers": centers, "push": PUSH_PATH, "batch": batch,
              "seconds": round(cases.seconds, 3), "slowest_push_s": round(cases.slowest_s, 3),
              "hub_cpu_us_per_event": round(cases.hub_cpu_s / n_events * 1e6, 1),
              "nodes_cpu_us_per_event": round(cases.nodes_cpu_s / n_events * 1e6, 1),
              "mix": {**lives, "evaluated": mix["evaluated"]}}
    _print_lines(result)
    if as_json:
        emit(result, True)


def _print_lines(r: dict) -> None:
    raw = r["raw_sqlite_rows_per_s"]
    mix = ", ".join(f"{k} {v:,}" for k, v in r["mix"].items())
    click.echo(f"case mix ({r['cases']:,} cases: {mix}), {r['events']:,} events from "
               f"{r['nodes']} nodes, {r['push']}, {r['batch']:,} events a push")
    click.echo(f"  events_per_s         {r['events_per_s']:>10,}  ({r['ratio']:.2%} of raw SQLite)")
    click.echo(f"  record_events_per_s  {r['record_events_per_s']:>10,}  "
               f"({r['record_events_per_s'] / raw:.2%} of raw SQLite; synthetic record.put)")
    pg = r["pg_events_per_s"]
    if pg:
        click.echo(f"  pg_events_per_s      {pg:>10,}  ({pg / raw:.2%} of raw SQLite; the case "
                   "mix into a hub on PostgreSQL)")
    else:
        click.echo("  pg_events_per_s         skipped  (no --pg-url, or unreachable: see stderr)")
    click.echo(f"  raw_sqlite_rows_per_s{raw:>11,}  (bare executemany of the hub's case-event "
               "rows, same disk, same run)")
    click.echo(f"  CPU per case event   hub {r['hub_cpu_us_per_event']:.1f} µs (all its workers), "
               f"nodes {r['nodes_cpu_us_per_event']:.1f} µs (in Node.push)")
    click.echo(f"  slowest push request {r['slowest_push_s']:>9.1f} s  (of the case mix on SQLite; "
               "a node gives up after http_timeout_s, 30 s by default)")
