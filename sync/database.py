"""One place that opens a database from its URL.

``sqlite:///path`` (the default everywhere) or ``postgresql://…``. SQLite
gets its pragmas here and nowhere else: WAL so readers never block the one
writer, ``synchronous=NORMAL`` (durable across a process kill, which is
what WAL needs), a busy timeout instead of instant ``database is locked``,
and ``BEGIN IMMEDIATE`` so two writers queue instead of deadlocking.
"""
from __future__ import annotations

import functools
import os
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import peewee
from peewee import Database, PostgresqlDatabase, SqliteDatabase, _savepoint

try:
    import fcntl
except ImportError:  # Windows: a node is one process, its threads queue on the thread lock
    fcntl = None

from sync.errors import ConfigError

# Rows an INSERT carries at most on SQLite (``insert_rows``). Python's sqlite3 keeps a
# connection's last ``CACHED_STATEMENTS`` statements compiled, found by their text, and
# compiling an insert of many rows costs more than running it (25 rows of ``hub_case``:
# about 460 µs to compile, 20 a row to run). So an insert takes a power of two rows, up
# to this many, and a read by many keys a power of two keys (``select_in``): a table's
# statements are a few texts, compiled once, whatever the number of rows of a push or of
# a group of sync rounds.
ROWS_PER_STATEMENT = 64
CACHED_STATEMENTS = 512  # sqlite3's default, 128, is too few at several texts a table
# Keys per IN (…) list of a read by many keys: far below every engine's parameter limit.
IN_CHUNK = 512
SQLITE_PRAGMAS = (("journal_mode", "wal"), ("synchronous", "normal"), ("foreign_keys", 1),
                  ("busy_timeout", 30000), ("cache_size", -32000))
# A served hub checkpoints its WAL from a thread of its own (``checkpoint``), not in the commit
# that takes the WAL past SQLite's 1,000 pages: that commit copies the pages and syncs the
# files while it holds the writers' lock (4 of the 45 µs an event spends under it, ingesting
# the case mix, which writes about 2.2 KB of WAL an event). Should it fall behind, its
# connections still checkpoint past 10,000 pages (40 MB, about a second of pushes at 20,000
# events a second), and a WAL a burst grew is cut back to 64 MB when it starts over.
CHECKPOINT_APART_PRAGMAS = (("wal_autocheckpoint", 10_000), ("journal_size_limit", 64 << 20))
# The folders of the SQLite files this process opened: a full disk under one of them shows
# as an I/O error as often as SQLITE_FULL (``sync.database_errors`` looks at their room).
SQLITE_FOLDERS: set[Path] = set()


def open_database(url: str) -> Database:
    """Open (lazily) the database named by ``url``.

    :raises ConfigError: when the URL's scheme is neither sqlite nor postgresql.
    """
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path[1:])
        SQLITE_FOLDERS.add(Path(path).parent)
        return QueuedWritersDatabase(path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE",
                                     check_same_thread=False,
                                     cached_statements=CACHED_STATEMENTS)
    scheme = parsed.scheme
    if scheme in ("postgresql", "postgres"):
        # Here, not at the top: it loads an extension module of every database peewee
        # knows, which a node (on SQLite) would carry for nothing.
        from playhouse.db_url import connect
        return connect(url)
    raise ConfigError("database_url", url, "must start with sqlite:/// or postgresql://")


class QueuedWritersDatabase(SqliteDatabase):
    """SQLite whose write transactions queue on a lock, in arrival order, before ``BEGIN``.

    A writer that finds the database locked is left to SQLite's busy handler, which
    sleeps and retries at growing intervals (up to 100 ms): under the hub's many threads
    and workers a push could wait whole seconds while others got in. Here the threads
    of a process queue on a lock and the processes on an ``flock`` of a file beside the
    database (``-writer``), which wakes the next one the moment a transaction ends.

    While one of its threads writes, a process's other threads can step aside
    (``yield_to_writer``) instead of checking their next requests under the same GIL.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pid = None
        self._holder = threading.local()
        self._close_lock_file = None

    def _locks(self) -> tuple[threading.Lock, int | None]:
        if self._pid != os.getpid():  # first use, or a forked worker: its own lock and file
            self._thread_lock = threading.Lock()
            self._writing = False  # a thread of this process holds the writers' lock
            self._written = threading.Condition()
            self._lock_fd = None
            if self._close_lock_file is not None:
                self._close_lock_file()  # the parent's copy: its lock is the parent's
            if fcntl is not None:
                self._lock_fd = os.open(f"{self.database}-writer", os.O_CREAT | os.O_RDWR, 0o600)
                # The file lives as long as this database: one bound anew (a test, a
                # command) leaves no descriptor behind.
                self._close_lock_file = weakref.finalize(self, os.close, self._lock_fd)
            self._pid = os.getpid()
        return self._thread_lock, self._lock_fd

    def begin(self, lock_type=None):
        thread_lock, fd = self._locks()
        thread_lock.acquire()
        try:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            self._writing = True
            try:
                super().begin(lock_type)
            except BaseException:
                self._end_writing(fd)
                raise
        except BaseException:
            thread_lock.release()
            raise
        self._holder.held = True

    def _release(self) -> None:
        if getattr(self._holder, "held", False):
            self._holder.held = False
            self._end_writing(self._lock_fd)
            self._thread_lock.release()

    def _end_writing(self, fd: int | None) -> None:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        with self._written:
            self._writing = False
            self._written.notify_all()

    def wait_while_writing(self, timeout_s: float) -> None:
        """Return once no thread of this process holds the writers' lock, or after
        ``timeout_s``. The writer itself does not wait for itself."""
        self._locks()
        if getattr(self._holder, "held", False):
            return
        with self._written:
            self._written.wait_for(lambda: not self._writing, timeout_s)

    def commit(self):
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._release()

    def _close(self, conn):
        self._release()  # a connection closed inside a transaction ends it
        super()._close(conn)

    def savepoint(self):
        return _SavepointNamedByDepth(self)


class DatabaseProxy(peewee.DatabaseProxy):
    """The hub's or the node's models' database, bound when it opens. Peewee's proxy makes
    its savepoints itself; these are the bound database's own."""

    def savepoint(self):
        return self.obj.savepoint()


class _SavepointNamedByDepth(_savepoint):
    """A savepoint named by how deep it is (``s1``, ``s2`` …), not by a fresh uuid.

    Python's sqlite3 keeps a connection's last 128 statements compiled, found by their
    text. A uuid made each SAVEPOINT and its RELEASE two new texts that pushed compiled
    statements out: a push's batched inserts were compiled again every time. Savepoints
    nest, so a depth names one uniquely among those open in its thread's transaction.
    """

    def __init__(self, db: QueuedWritersDatabase):
        self._depth = getattr(db._state, "savepoints", 0) + 1  # peewee's per-thread state
        super().__init__(db, sid=f"s{self._depth}")

    def __enter__(self):
        entered = super().__enter__()
        self.db._state.savepoints = self._depth
        return entered

    def __exit__(self, *exc):
        try:
            return super().__exit__(*exc)
        finally:
            self.db._state.savepoints = self._depth - 1


def yield_to_writer(db: Database, timeout_s: float = 0.5) -> None:
    """Before CPU-heavy work that needs no lock: let this process's write transaction, if
    one runs, finish first (waiting at most ``timeout_s``).

    Every request queues for the one writer, and under one GIL another thread's work takes
    turns with it, the writer waiting up to a switch interval at each statement; meanwhile
    the hub's other workers check their requests on the other core. PostgreSQL's writers
    run side by side: nothing to wait for.
    """
    if isinstance(db, QueuedWritersDatabase):
        db.wait_while_writing(timeout_s)


def checkpoint_apart(db: Database) -> None:
    """Every connection this process opens to ``db`` from now on leaves checkpoints to
    ``checkpoint`` (``CHECKPOINT_APART_PRAGMAS``). Call it before the first request: a
    thread's connection lives as long as the thread."""
    if is_sqlite(db):
        # Peewee runs ``_pragmas`` on each connection it opens. Its ``pragma(permanent=True)``
        # would also run one on this thread's connection, opening one before a fork.
        db._pragmas = [*dict((*db._pragmas, *CHECKPOINT_APART_PRAGMAS)).items()]


def checkpoint(db: Database) -> int:
    """Copy the WAL's committed pages into the database file, as far as its readers allow,
    waiting for no one (``PASSIVE``): writers go on meanwhile. Returns the pages left in
    the WAL: a read that began before they were written still needs the file without them."""
    if not is_sqlite(db):
        return 0
    _busy, pages, copied = db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return max(pages - copied, 0)  # both -1 when the database is not in WAL mode


def is_sqlite(db: Database) -> bool:
    return isinstance(db, SqliteDatabase)


def is_postgresql(db: Database) -> bool:
    return isinstance(db, PostgresqlDatabase)


def insert_rows(db: Database, table: str, columns: tuple[str, ...], rows: list[tuple],
                suffix: str = "") -> int:
    """Insert many rows with the driver's fastest path; returns rows affected.

    Peewee's ``insert_many`` builds one Python object per value, which costs
    several times the insert itself on the ingest path, so this goes to the
    DB-API cursor directly, many rows a statement (``ROWS_PER_STATEMENT``). ``suffix`` is
    appended (``ON CONFLICT …``).
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
    affected = start = 0
    for size in insert_sizes(len(rows)):
        chunk = rows[start:start + size]
        start += size
        values = ", ".join([row_marks] * size)
        cursor.execute(f"INSERT INTO {table} ({cols}) VALUES {values} {suffix}",
                       [value for row in chunk for value in row])
        affected += cursor.rowcount
    return affected


def insert_sizes(rows: int) -> list[int]:
    """The rows of each statement ``insert_rows`` writes ``rows`` rows with on SQLite: full
    statements, then the rest as powers of two (100 rows: 64, 32 and 4)."""
    full, rest = divmod(rows, ROWS_PER_STATEMENT)
    return [ROWS_PER_STATEMENT] * full + [1 << bit for bit in reversed(range(rest.bit_length()))
                                          if rest >> bit & 1]


def select_in(db: Database, sql: str, keys: list) -> Iterator[tuple]:
    """The rows of ``sql``, whose ``IN ({marks})`` takes ``keys``, read ``IN_CHUNK`` keys a
    statement. Plain SQL for reads by many keys on the hot paths: peewee builds a node per
    value, and building a query costs more than running it."""
    for start in range(0, len(keys), IN_CHUNK):
        chunk = keys[start:start + IN_CHUNK]
        # Padded to a power of two with its last key, which IN (…) then reads once.
        chunk += chunk[-1:] * ((1 << (len(chunk) - 1).bit_length()) - len(chunk))
        yield from db.execute_sql(sql.format(marks=", ".join([db.param] * len(chunk))), chunk)


def connect_per_request(app, database, *, keep_sqlite_open: bool = False) -> None:
    """A connection for each request on a Flask ``app`` (hub and node), closed at teardown.

    With ``keep_sqlite_open`` (the hub's busy workers), a SQLite connection stays with its
    thread for the next request instead: closing the last connection to a database
    checkpoints and deletes its WAL, which the next request then builds again.
    """
    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(_exc):
        if keep_sqlite_open and is_sqlite(database.obj):
            return
        if not database.is_closed():
            database.close()


@functools.cache
def _by_key_sql(model: type[peewee.Model], param: str) -> str:
    meta = model._meta
    columns = ", ".join(f'"{field.column_name}"' for field in meta.sorted_fields)
    return (f'SELECT {columns} FROM "{meta.table_name}" '
            f'WHERE "{meta.primary_key.column_name}" = {param}')


def get_by_key(model: type[peewee.Model], key):
    """The row of ``model`` whose primary key is ``key``, or None: typed and clean to save,
    as peewee's ``get_or_none`` leaves it, with its SQL made once per model. For rows read
    on hot paths (a node's sync state, a case): peewee building the query costs many times
    what reading the row does (245 µs against about 15 for a node's case)."""
    db = model._meta.database
    row = db.execute_sql(_by_key_sql(model, db.param), (key,)).fetchone()
    if row is None:
        return None
    found = model(__no_default__=1, **{field.name: field.python_value(value) for field, value
                                       in zip(model._meta.sorted_fields, row)})
    found._dirty.clear()
    return found
