"""Fixtures: real hub processes on SQLite and PostgreSQL, node directories, apps.

The hub's tests run on both backends. PostgreSQL comes from
``HALLSYNC_TEST_PG_URL`` (default: the local server's ``test`` database);
each test gets a database of its own, dropped afterwards. Where the server
is unreachable those tests skip and say why — unless ``HALLSYNC_REQUIRE_PG``
is set (CI sets it), where they fail instead.
"""
from __future__ import annotations

import contextlib
import os
import uuid
from urllib.parse import urlparse, urlunparse

import pytest

from tests.processes import HubServer, NodeDir

PG_URL = os.environ.get("HALLSYNC_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = bool(os.environ.get("HALLSYNC_REQUIRE_PG"))
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(autouse=True)
def _no_hallsync_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("HALLSYNC_"):
            monkeypatch.delenv(name)


def _pg_admin():
    import psycopg2
    conn = psycopg2.connect(PG_URL, connect_timeout=3)
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def pg_admin():
    """A cursor on the PostgreSQL server, outside any transaction (for CREATE DATABASE)."""
    conn = _pg_admin()
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


@pytest.fixture
def pg_database():
    """A fresh PostgreSQL database's URL, dropped after the test."""
    try:
        admin = _pg_admin()
    except Exception as exc:  # noqa: BLE001 — any failure to connect means "not here"
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required but unreachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {exc}")
    name = f"hallsync_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    yield urlunparse(urlparse(PG_URL)._replace(path=f"/{name}"))
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,))
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


@pytest.fixture(params=BACKENDS)
def hub_db_url(request, tmp_path):
    """The hub's database URL, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub-data' / 'hub.db'}"
    return request.getfixturevalue("pg_database")


@pytest.fixture
def hub(tmp_path, hub_db_url):
    """A running hub process (stopped after the test)."""
    server = HubServer(tmp_path / "hub-data", hub_db_url)
    server.data_dir.mkdir(parents=True, exist_ok=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_node(tmp_path):
    """Make a node directory for a center: ``make_node("210102001")``."""
    def make(center: str) -> NodeDir:
        return NodeDir(tmp_path / f"node-{center}", center)
    return make
