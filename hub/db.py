"""The hub's database: opened from ``database_url``, one connection per request."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from hub.models import MODELS, Event, database
from sync.database import connect_per_request, is_sqlite, open_database


def database_url(settings: dict) -> str:
    """The configured URL, or ``hub.db`` in the data directory."""
    return settings["database_url"] or f"sqlite:///{Path(settings['data_dir']) / 'hub.db'}"


def bind(url: str):
    """Point the models at ``url`` and make sure the tables exist."""
    db = open_database(url)
    # WITHOUT ROWID halves the event table's write cost on SQLite; PostgreSQL has no such thing.
    Event._meta.without_rowid = is_sqlite(db)
    database.initialize(db)
    with db.connection_context():
        db.create_tables(MODELS, safe=True)
    return db


def init_app(app: Flask) -> None:
    """Connect per request (``hub.app.initialise`` has bound the models already)."""
    connect_per_request(app, database)
