"""``hallsync bench pages``: the pages each push of real case events dirties at the hub, by table.

A fleet's work directory (``hallsync bench fleet --work-dir DIR``) holds a hub and 208
nodes with events they have not pushed yet. A copy of the hub and of the nodes takes
pushes of 1–50 of a random node's pending events through the hub's ingest (the path
``/sync/v1/push`` and the exchange take once the envelope is checked), one push at a
time. After each commit, the WAL is read back: each frame is one page the push
dirtied, and SQLite's ``dbstat`` names the table or index the page belongs to. Every page
is written twice, to the WAL at commit and to the database at the checkpoint, inside the
one writer's lock: it is what a round costs the hub beyond its Python. The ``event``
table alone (the pushed events as received) is printed beside the rest as the floor.
"""
from __future__ import annotations

import random
import shutil
import sqlite3
import struct
import tempfile
from collections import Counter
from pathlib import Path

import click
import orjson

from hallsync.bench.fleet_nodes import BATCH_SIZES
from sync.cli_output import emit, json_option

WAL_HEADER, FRAME_HEADER = 32, 24
FLOOR = ("event", "event_origin_record_state")  # storing the events as received


def _progress(message: str) -> None:
    click.echo(f"[bench pages] {message}", err=True)


def wal_pages(wal: Path) -> list[int]:
    """The page number of each frame in a WAL file (the format's frame header)."""
    data = wal.read_bytes() if wal.exists() else b""
    if len(data) < WAL_HEADER:
        return []
    page_size = struct.unpack(">I", data[8:12])[0]
    pages, offset = [], WAL_HEADER
    while offset + FRAME_HEADER + page_size <= len(data):
        pages.append(struct.unpack(">I", data[offset:offset + 4])[0])
        offset += FRAME_HEADER + page_size
    return pages


def _copy(work: Path, into: Path) -> list[Path]:
    """The hub and the nodes' directories copied (SQLite files with their WAL); the nodes."""
    shutil.copytree(work / "hub", into / "hub")
    nodes = []
    for node in sorted(work.glob("node-*")):
        if (node / "node.key").exists():
            shutil.copytree(node, into / node.name)
            nodes.append(into / node.name)
    return nodes


def measure(work: Path, pushes: int, seed: int) -> dict:
    """Apply ``pushes`` real pushes to a copy of ``work``'s hub; the pages each dirtied."""
    from hub.app import create_app
    from hub.ledger import ingest
    from hub.models import database as hub_database
    from node import outbox, store
    from node.models import database as node_database
    from sync import envelope as env

    if not (work / "hub" / "hub.db").is_file():
        raise click.BadParameter(f"{work} holds no fleet's hub: run `hallsync bench fleet "
                                 "--work-dir` first", param_hint="--work-dir")
    with tempfile.TemporaryDirectory(prefix="hallsync-pages-") as temp:
        nodes = _copy(work, Path(temp))
        hub_db = Path(temp) / "hub" / "hub.db"
        settings = create_app({"data_dir": str(hub_db.parent)}).config["HALLSYNC"]
        keeper = sqlite3.connect(hub_db)  # an open connection keeps the WAL file between pushes
        page_size = keeper.execute("PRAGMA page_size").fetchone()[0]
        rng = random.Random(seed)
        by_table, frames, events, done = Counter(), 0, 0, 0
        try:
            while done < pushes and nodes:
                node = rng.choice(nodes)
                store.bind(str(node))
                with node_database.connection_context():
                    state = store.state()
                    batch = outbox.pending(state.acked_seq, rng.randint(*BATCH_SIZES),
                                           state.center)
                if not batch:
                    nodes.remove(node)
                    continue
                batch = orjson.loads(orjson.dumps(batch))  # as the hub receives it
                keeper.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                with hub_database.connection_context():
                    reply = ingest.receive_push(state.center, {"events": batch},
                                                settings=settings, now_ms=env.now_ms())
                pages = set(wal_pages(hub_db.with_name("hub.db-wal")))
                keeper.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # new pages get their table
                marks = ", ".join("?" * len(pages))
                owners = dict(keeper.execute(
                    f"SELECT pageno, name FROM dbstat WHERE pageno IN ({marks})", list(pages)))
                by_table.update(owners.get(page, "(free list)") for page in pages)
                with node_database.connection_context():
                    store.update_state(acked_seq=reply["acked_seq"],
                                       acked_hash=reply["acked_hash"])
                frames, events, done = frames + len(pages), events + len(batch), done + 1
        finally:
            keeper.close()
    if not done:
        raise click.ClickException(f"no node in {work} has events left to push: run "
                                   "`hallsync bench fleet --work-dir` again")
    floor = sum(by_table[name] for name in FLOOR)
    return {"pushes": done, "events": events, "pages_per_push": round(frames / done, 1),
            "kb_per_event": round(frames * page_size / events / 1024, 1),
            "event_table_pages_per_push": round(floor / done, 1),
            "by_table": {name: round(n / done, 1) for name, n in by_table.most_common()}}


@click.command()
@click.option("--work-dir", required=True, type=click.Path(file_okay=False, exists=True),
              help="A `hallsync bench fleet --work-dir` directory (copied, never changed).")
@click.option("--pushes", default=50, show_default=True, type=click.IntRange(1),
              help="Pushes measured, each 1–50 events of a random node.")
@click.option("--seed", default=1, show_default=True, help="Seed of the nodes and batches drawn.")
@json_option
def pages(work_dir, pushes, seed, as_json):
    """Pages each push of real case events dirties at the hub, by table."""
    _progress(f"copying {work_dir} and applying {pushes} pushes")
    result = measure(Path(work_dir), pushes, seed)
    click.echo(f"{result['pushes']} pushes of {result['events']:,} events: "
               f"{result['pages_per_push']} pages a push ({result['kb_per_event']} KB an event), "
               f"of which the event table alone {result['event_table_pages_per_push']}")
    for name, per_push in result["by_table"].items():
        click.echo(f"  {per_push:6.1f}  {name}")
    if as_json:
        emit(result, True)
