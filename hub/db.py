"""The hub's database: opened from ``database_url``, one connection per request."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from flask import Flask

from hub.models import MODELS, CaseStep, Event, database
from hub.stats import rollups
from sync.database import connect_per_request, is_postgresql, is_sqlite, open_database
from sync.schema import upgrade


# Counters whose meaning needs every past case recounted when they appear (issue 16).
COHORT_COUNTERS = (".completed_of_accepted", ".evaluated_of_completed")


def database_url(settings: dict) -> str:
    """The configured URL, or ``hub.db`` in the data directory."""
    return settings["database_url"] or f"sqlite:///{Path(settings['data_dir']) / 'hub.db'}"


def holds_a_hub(url: str) -> bool:
    """Whether the database at ``url`` has the hub's tables; creates nothing (SQLite would
    make a missing file on connecting, so it is looked for first)."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite" and not Path(parsed.path[1:]).is_file():
        return False
    db = open_database(url)
    try:
        return db.table_exists(Event._meta.table_name)
    finally:
        db.close()


def bind(url: str):
    """Point the models at ``url`` and bring the tables up to them (a database made by an
    older version is upgraded in place: ``sync.schema``)."""
    db = open_database(url)
    # WITHOUT ROWID halves the write cost of a table of small rows keyed by its columns
    # on SQLite; PostgreSQL has no such thing. Not for events: a row of that kind holds
    # only about 1,000 bytes in its page, and a case's receipt is more, so each would
    # spill into an overflow page of its own (4 KB on disk for a few hundred bytes).
    CaseStep._meta.without_rowid = is_sqlite(db)
    database.initialize(db)
    with db.connection_context():
        added = upgrade(db, MODELS, conversions=(case_steps_from_copies,))
        # A counter added later starts at 0 in the rows already there: recount them all from
        # the stored case logs, or its rates would read 0 % for the past.
        if any(column.endswith(COHORT_COUNTERS) for column in added):
            rollups.rebuild()
    return db


def case_steps_from_copies(db, existing: dict[str, set[str]]) -> None:
    """An older hub kept a JSON copy of each case step (``case_event``), a second copy of
    the stored event; a hub now keeps which event the step is (``CaseStep``). Point each
    step at its event, then drop the copies."""
    if "case_event" not in existing:
        return
    if is_postgresql(db):
        origin = "CAST(event AS json) ->> 'origin'"
        seq = "CAST(CAST(event AS json) ->> 'seq' AS BIGINT)"
    else:
        origin, seq = "json_extract(event, '$.origin')", "json_extract(event, '$.seq')"
    db.execute_sql(f"INSERT INTO case_step (number, n, origin, seq) "
                   f"SELECT number, n, {origin}, {seq} FROM case_event")
    db.execute_sql("DROP TABLE case_event")


def init_app(app: Flask) -> None:
    """Connect per request (``hub.app.initialise`` has bound the models already); a
    SQLite connection stays with its worker thread."""
    connect_per_request(app, database, keep_sqlite_open=True)
