"""One place that opens a database from its URL.

``sqlite:///path`` (the default everywhere) or ``postgresql://…``. SQLite
gets its pragmas here and nowhere else: WAL so readers never block the one
writer, ``synchronous=NORMAL`` (durable across a process kill, which is
what WAL needs), a busy timeout instead of instant ``database is locked``,
and ``BEGIN IMMEDIATE`` so two writers queue instead of deadlocking.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from peewee import Database, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect

from sync.errors import ConfigError

# Bound parameters per statement: SQLite's default limit (since 3.32) is 32,766.
SQLITE_VARIABLES = 32_000
SQLITE_PRAGMAS = (("journal_mode", "wal"), ("synchronous", "normal"), ("foreign_keys", 1),
                  ("busy_timeout", 30000), ("cache_size", -32000))
# The folders of the SQLite files this process opened: a full disk under one of them shows
# as an I/O error as often as SQLITE_FULL (``sync.database_errors`` looks at their room).
SQLITE_FOLDERS: set[Path] = set()


def open_database(url: str) -> Database:
    """Open (lazily) the database named by ``url``.

    :raises ConfigError: when the URL's scheme is neither sqlite nor postgresql.
    """
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        SQLITE_FOLDERS.add(Path(urlparse(url).path).parent)
        return connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE",
                       check_same_thread=False)
    if scheme in ("postgresql", "postgres"):
        return connect(url)
    raise ConfigError("database_url", url, "must start with sqlite:/// or postgresql://")


def is_sqlite(db: Database) -> bool:
    return isinstance(db, SqliteDatabase)


def is_postgresql(db: Database) -> bool:
    return isinstance(db, PostgresqlDatabase)


def insert_rows(db: Database, table: str, columns: tuple[str, ...], rows: list[tuple],
                suffix: str = "") -> int:
    """Insert many rows with the driver's fastest path; returns rows affected.

    Peewee's ``insert_many`` builds one Python object per value, which costs
    several times the insert itself on the ingest path, so this goes to the
    DB-API cursor directly, with many rows per statement (SQLite's ``executemany``
    would run one statement per row). ``suffix`` is appended (``ON CONFLICT …``).
    """
    if not rows:
        return 0
    cols = ", ".join(columns)
    cursor = db.cursor()
    if is_postgresql(db):
        from psycopg2.extras import execute_values
        execute_values(cursor, f"INSERT INTO {table} ({cols}) VALUES %s {suffix}", rows,
                       page_size=1000)
        return cursor.rowcount
    row_marks = f"({', '.join('?' * len(columns))})"
    per_statement = max(1, SQLITE_VARIABLES // len(columns))
    affected = 0
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        values = ", ".join([row_marks] * len(chunk))
        cursor.execute(f"INSERT INTO {table} ({cols}) VALUES {values} {suffix}",
                       [value for row in chunk for value in row])
        affected += cursor.rowcount
    return affected


def connect_per_request(app, database) -> None:
    """One connection per request on a Flask ``app`` (hub and node), closed at teardown."""
    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(_exc):
        if not database.is_closed():
            database.close()
