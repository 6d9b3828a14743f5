"""The city's departments at the hub: the city center's own node, served under ``/city``.

A street or district hands a city-level matter to center 210100, the hub's own
code. That center is an ordinary node (enrolled with a token, its own key, its
own SQLite file, staff and state machine) that the hub's process serves:
``mount`` puts its app under ``/city`` when ``city_node_dir`` names its data
directory. It syncs with the hub over HTTP at the URL it enrolled with, like
any node, so exactly-once, signatures, ownership and audit are unchanged.

What differs from ``hallsync node run``:

- Its login is its own: a cookie of its own name on path ``/city``, signed with
  the node's own secret (``DIR/secret.key``), never the hub's, so a hub session
  replayed under the city's cookie name logs no one in.
- Its settings are the node defaults and ``HALLSYNC_*`` variables, never the
  hub's ``config_file`` (which holds hub settings a node would refuse).
- The hub runs several gunicorn workers and each starts the node's jobs, but a
  job runs only in the worker holding an exclusive ``flock`` on
  ``DIR/sync.lock``. The kernel drops it when that worker dies; another worker's
  next tick takes it over.
"""
from __future__ import annotations

import fcntl
import threading
from pathlib import Path

from flask import Flask, request
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from hub import app as hub_app
from hub.views.pages import MOUNTED_SECTIONS
from node import frame as node_frame
from node import store
from node.app import create_app as create_node_app
from node.models import NodeState, database
from node.scheduler import SyncJobs
from node.syncer import Node
from sync.errors import ConfigError
from sync.topology import load_topology

PREFIX = "/city"
COOKIE = "hallsync_city"
EXTENSION = "hallsync.city"  # app.extensions key of the mounted node app
ENROLL_HINT = ("enroll it first: hallsync hub city-node enroll --data-dir HUB --city-dir DIR "
               "--hub-url URL")


def create_app(config: dict | None = None) -> Flask:
    """The hub's app, with the city's departments under ``/city`` when ``city_node_dir`` is set."""
    app = hub_app.create_app(config)
    mount(app)
    return app


def mount(app: Flask) -> Flask | None:
    """Serve the city center's node under ``/city`` when ``city_node_dir`` is set."""
    city_dir = app.config["HALLSYNC"]["city_node_dir"]
    if not city_dir:
        return None
    if not store.db_path(city_dir).is_file():  # a typo must not create an empty node
        raise ConfigError("city_node_dir", city_dir, f"holds no node.db: {ENROLL_HINT}")
    city = create_node_app({"data_dir": city_dir, "secret_key": "", "config_file": "",
                       "TESTING": app.config["TESTING"]})
    _check_enrolled(city_dir)
    city.config.update(SESSION_COOKIE_NAME=COOKIE, SESSION_COOKIE_PATH=PREFIX)
    city.extensions[node_frame.HOME_LINK] = _hub_home
    app.extensions[EXTENSION] = city
    # The city's departments log in there with the city node's own staff logins.
    app.extensions.setdefault(MOUNTED_SECTIONS, []).append((f"{PREFIX}/window/", "市级部门办件"))
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {PREFIX: city})
    return city


def _check_enrolled(city_dir: str) -> None:
    hub_code = load_topology().hub.code
    with database.connection_context():
        state = NodeState.get_or_none(NodeState.id == 1)
        key_ok = state is not None and store.key_path(city_dir).is_file()
    if not key_ok:
        raise ConfigError("city_node_dir", city_dir, f"is not an enrolled node: {ENROLL_HINT}")
    if state.center != hub_code:
        raise ConfigError("city_node_dir", city_dir,
                          f"is the node of center {state.center}, not of the city center "
                          f"{hub_code}")


def _hub_home() -> tuple[str, str]:
    """The node's pages link back to the hub's home (the script root above ``/city``)."""
    return "返回市中心", request.script_root[:-len(PREFIX)] + "/"


def mounted(app: Flask) -> Flask | None:
    """The city node's app mounted in the hub ``app``, or None."""
    return app.extensions.get(EXTENSION)


class CityJobs(SyncJobs):
    """The node's push, pull and heartbeat; each tick runs only in the lock-holding worker."""

    def __init__(self, node, settings: dict, lock_path: Path):
        super().__init__(node, settings)
        self.lock_path = lock_path
        self._held = None  # the open lock file while this process leads
        self._leading = threading.Lock()

    def leads(self) -> bool:
        """Hold the lock from the first tick that gets it until this process ends."""
        with self._leading:
            if self._held is None:
                handle = open(self.lock_path, "a+b")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    return False
                self._held = handle
            return True

    def run(self, step_name: str) -> None:
        if self.leads():
            super().run(step_name)

    def release(self) -> None:
        """Let another worker lead (closing the file releases the lock)."""
        with self._leading:
            if self._held is not None:
                self._held.close()
                self._held = None

    def shutdown(self) -> None:
        super().shutdown()
        self.release()


def start_jobs(app: Flask) -> CityJobs | None:
    """In a hub worker after the fork: start the city node's jobs (gunicorn post_worker_init)."""
    city = mounted(app)
    if city is None:
        return None
    settings = city.config["HALLSYNC"]
    jobs = CityJobs(Node(settings["data_dir"], settings), settings,
                    Path(settings["data_dir"]) / "sync.lock")
    jobs.start()
    return jobs
