"""One center's part of ``hallsync simulate``, in a pool process: enroll its node, pull
the catalog, generate its history through the historical import (``node.import_check``
and ``node.importer``: checked through the state machine, signed events in bulk),
and push it to the hub over the real protocol.

Progress is kept in ``DIR/progress/CENTER.json`` (what was generated, whether it
was synced), written only after each stage is durable at the node, so a killed run
resumes where it stopped: an import chunk is one transaction, and a chunk whose
first case is already at the node is not imported again (its figures are still
counted: generation is deterministic).
"""
from __future__ import annotations

import contextlib
import datetime
import json
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

from hallsync.parent_death import die_with_parent

CHUNK = 5000  # cases per import transaction (a few seconds of the node's writer)
# A push of ``push_batch`` events must stay under the node's HTTP timeout; the
# simulation waits longer than a window would, as its pushes queue at the hub's writer.
PUSH_BATCH, PUSH_TIMEOUT_S = 1000, 600.0


def progress_path(data_dir: Path, center: str) -> Path:
    return Path(data_dir) / "progress" / f"{center}.json"


def read_progress(data_dir: Path, center: str) -> dict:
    path = progress_path(data_dir, center)
    return json.loads(path.read_text()) if path.exists() else {}


def _write_progress(data_dir: Path, center: str, progress: dict) -> None:
    path = progress_path(data_dir, center)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(progress, sort_keys=True))
    os.replace(tmp, path)  # atomic: a kill leaves the old or the new file


# Held while a center pushes (set in each pool process by ``start_worker``). The hub
# applies with one writer, so two pushes at once only queue there; taking turns lets
# the other process generate its next center meanwhile, on the core the hub leaves.
_push_turn = None


def start_worker(push_turn) -> None:
    """Pool initializer: the shared push turn, and death with the parent (SIGKILL: a
    killed simulation takes its center processes with it, so a rerun never shares a node
    with a stray writer)."""
    global _push_turn
    _push_turn = push_turn
    die_with_parent(signal.SIGKILL)


def run_center(job: dict) -> dict:
    """Enroll, generate and push one center (stages already done are skipped)."""
    data_dir, center = Path(job["data_dir"]), job["center"]
    node_dir = data_dir / "nodes" / center
    progress = read_progress(data_dir, center) | {"center": center}
    if progress.get("synced"):
        return progress
    node = _node(node_dir, job["hub_url"], job.get("token"), center)
    try:
        if "generated" not in progress:
            node.pull()  # the catalog the windows (and the import's checks) need
            started = time.perf_counter()
            progress["generated"] = _generate(node, job)
            progress["generate_seconds"] = round(time.perf_counter() - started, 2)
            _write_progress(data_dir, center, progress)
        if job.get("handoffs") and "live" not in progress:
            progress["live"] = _hand_off_live(node, job)
            _write_progress(data_dir, center, progress)
        progress["events"] = _outbox_last()
        with _push_turn or contextlib.nullcontext():
            started = time.time()
            progress["pushed"] = node.push().pushed + progress.get("pushed", 0)
            ended = time.time()
            progress["pushed_between"] = [started, ended]  # wall clock: the turns show
            progress["push_seconds"] = round(ended - started, 2)
        progress["synced"] = True
        _write_progress(data_dir, center, progress)
    finally:
        node.close()
    return progress


def enrolled(node_dir: Path) -> bool:
    """Whether the node finished enrolling. ``node.enroll`` writes its state row last, so a
    key without it is a run killed mid-enrollment, which needs a new token."""
    path = node_dir / "node.db"
    if not path.exists():
        return False
    with contextlib.closing(sqlite3.connect(path)) as db:
        try:
            return db.execute("SELECT 1 FROM node_state WHERE id = 1").fetchone() is not None
        except sqlite3.OperationalError:  # killed before its tables were made
            return False


def _node(node_dir: Path, hub_url: str, token: str | None, center: str):
    from node import store
    from node.app import load_settings
    from node.enroll import enroll
    from node.syncer import Node
    settings = load_settings({"data_dir": str(node_dir), "push_batch": PUSH_BATCH,
                              "http_timeout_s": PUSH_TIMEOUT_S})
    store.bind(node_dir)
    if not enrolled(node_dir):
        if token is None:
            raise RuntimeError(f"{center}: not enrolled and no token to enroll with")
        enroll(node_dir, hub_url, token, settings)
    # The hub listens on a new port each run: the node follows it.
    store.update_state(hub_url=hub_url)
    return Node(str(node_dir), settings)


def _hand_off_live(node, job: dict) -> dict:
    """Cases collected here for the district that decides them (收件后移交), through the
    window's own code (``node.cases``: the import refuses handoffs, they involve another
    center), so they are received today: their figures are compared for today apart.
    One transaction: an interrupted stage leaves nothing and is done again."""
    import random

    from hallsync.bench.case_mix import CaseMix
    from node.case_log import now
    from node.models import database
    mix = CaseMix(node.keys, job["center"], random.Random(f"{job['seed']}/{job['center']}"))
    if not mix.matters.handed_off:
        raise RuntimeError(f"{job['center']}: no matter to collect for its district")
    first = now().date().isoformat()
    with database.connection_context(), database.atomic():
        for _ in range(job["handoffs"]):
            mix.play("handoff", evaluate=False)
    return {"received": job["handoffs"], "handed_off": job["handoffs"],
            "from": first, "to": now().date().isoformat()}


def _outbox_last() -> int:
    from node import outbox
    return outbox.last()[0]


def _generate(node, job: dict) -> dict:
    """The center's quota through the import path, chunk by chunk; the figures it adds."""
    from hallsync.bench.case_mix import Matters
    from hallsync.simulate_mix import History, Quota
    from node import importer, projects
    from node.import_check import check_case
    from node.importer import _catalog, _numbers_at_node
    from node.models import database
    quota = Quota(job["center"], job["cases"], tuple(job["capitals"]),
                  tuple(job["investments"]), job["seed"])
    matters = Matters.of(job["center"])
    start, end = (datetime.date.fromisoformat(job[k]) for k in ("from", "to"))
    history = History(quota, matters.immediate, matters.promised, start, end)
    with database.connection_context():
        for data in history.project_lists().values():  # the links need the node's lists
            projects.load(data, user="simulate")
    catalog, counts = _catalog(job["center"]), Counter()
    for first in range(0, quota.cases, CHUNK):
        raws, chunk_counts = [], Counter()
        for raw, added in history.cases(first, min(first + CHUNK, quota.cases)):
            raws.append(raw)
            chunk_counts.update(added)
        counts.update(chunk_counts)
        with database.connection_context():
            if _numbers_at_node([raws[0]["number"]]):
                continue  # imported before an interruption: one transaction, all there
            checked = [check_case(first + n + 1, raw, [first + n + 1] * len(raw["steps"]),
                                  catalog) for n, raw in enumerate(raws)]
            importer.write(node.keys, job["center"], checked)
        print(f"  {job['center']}: {first + len(raws)}/{quota.cases} cases generated",
              file=sys.stderr, flush=True)
    return dict(counts)
