"""``hallsync node …``: enroll a center's node, run it, sync it now, inspect it."""
from __future__ import annotations

import click

from sync.cli_output import data_dir_option, emit, json_option


def _node(data_dir: str):
    from node.app import load_settings
    from node.syncer import Node
    return Node(data_dir, load_settings({"data_dir": data_dir}))


def without_postgresql_driver() -> None:
    """A node's database is SQLite: keep peewee, which tries to import psycopg2 when it loads,
    from mapping libpq and the OpenSSL psycopg2 bundles (~7 MB of a street PC's memory).

    Only a ``hallsync node …`` process does this (``hallsync.cli`` calls it when the
    command names the node), before peewee loads; never a module that a process serving
    the hub (on PostgreSQL) could import.
    """
    import sys
    if "peewee" not in sys.modules:
        sys.modules.setdefault("psycopg2", None)  # None in sys.modules: ImportError


@click.group()
def node():
    """A center's node: enrollment, sync, status."""


@node.command()
@click.option("--hub", "hub_url", required=True, help="The hub's URL, e.g. http://127.0.0.1:8700")
@click.option("--token", required=True, help="The token from `hallsync hub enroll-token`.")
@data_dir_option
@json_option
def enroll(hub_url, token, data_dir, as_json):
    """Make this node's key and register it with the hub."""
    from node.app import load_settings
    from node.enroll import enroll as enroll_node
    settings = load_settings({"data_dir": data_dir})
    result = enroll_node(data_dir, hub_url, token, settings)
    if result["hub_head_seq"] > result["local_last_seq"]:
        node_ = _node(data_dir)
        result["recovered"] = node_.recover()
        node_.close()
    emit(result, as_json)


@node.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8800, show_default=True, type=int)
def run(data_dir, host, port):
    """Serve the node's pages and run the scheduled push, pull and heartbeat (one process)."""
    from node.app import create_app
    from node.scheduler import SyncJobs
    from sync.serve_single import serve_single
    app = create_app({"data_dir": data_dir, "host": host, "port": port})
    node_ = _node(data_dir)
    jobs = SyncJobs(node_, app.config["HALLSYNC"])
    jobs.start()

    def stop_jobs():
        jobs.shutdown()
        with jobs.lock:  # a step in flight finishes (its ack recorded) before its client closes
            node_.close()
    # One process: a node is one writer on one SQLite file, on a small PC that may run
    # Windows, so no fork and no second process for the jobs. Two threads serve a street's
    # few windows; each thread more costs a malloc arena (4 threads measured ~5 MB more).
    serve_single(app, name="node", host=host, port=port, threads=2, on_stop=stop_jobs)


@node.command()
@data_dir_option
@json_option
def sync(data_dir, as_json):
    """Push, pull and heartbeat once now; print what moved."""
    node_ = _node(data_dir)
    moved = node_.cycle()
    node_.close()
    emit(moved.__dict__, as_json)
    if moved.errors:
        raise SystemExit(1)


@node.command()
@data_dir_option
@json_option
def status(data_dir, as_json):
    """Center, last seq, acked seq, backlog, catalog version, last sync, last error."""
    from node import status as node_status
    from node import store
    store.bind(data_dir)
    emit(node_status.status(), as_json)


@node.command()
@data_dir_option
@json_option
def recover(data_dir, as_json):
    """After a restore from an older backup: take back lost events, renumber unacked ones."""
    node_ = _node(data_dir)
    result = node_.recover()
    node_.close()
    emit(result, as_json)


@node.command("rotate-key")
@data_dir_option
@json_option
def rotate_key(data_dir, as_json):
    """Replace this node's key; the old key endorses the new one."""
    from node.enroll import rotate
    node_ = _node(data_dir)
    result = rotate(node_)
    node_.close()
    emit(result, as_json)
