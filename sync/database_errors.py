"""A database that cannot be reached, opened or read, told as one of our errors.

The drivers raise their own exceptions (peewee wraps them in its own, but a raw
cursor's may escape unwrapped): a refused connection, a file that is not a database, a
full disk. ``hallsync.cli.main`` turns them into ``DatabaseUnusable`` at its edge, once,
so a command ends with ``error: CODE: detail`` instead of a traceback; the sites'
error handler (``web.errors``) does the same for a page or an API call. Errors of our own
queries (a constraint, bad SQL) are bugs or conflicts, and are left as they are.
"""
from __future__ import annotations

import errno
import shutil
import sqlite3

import peewee

from sync.database import SQLITE_FOLDERS
from sync.errors import Code, DatabaseUnusable

try:
    import psycopg2
except ImportError:  # PostgreSQL is optional
    psycopg2 = None

FAILURES: tuple[type[BaseException], ...] = (
    peewee.DatabaseError, sqlite3.DatabaseError, *((psycopg2.Error,) if psycopg2 else ()))
# DB-API 2 names the same classes in every driver: these come from the query, not the database.
_OF_THE_QUERY = {"IntegrityError", "ProgrammingError", "DataError", "NotSupportedError"}


def database_unusable(error: BaseException) -> DatabaseUnusable | None:
    """Our error for a driver's ``error``; None when it is not about the database itself."""
    names = {cls.__name__ for cls in type(error).__mro__}
    if not isinstance(error, FAILURES) or names & _OF_THE_QUERY:
        return None
    message = " ".join(str(error).split()) or type(error).__name__  # one line
    if _disk_full(error):
        return storage_full()
    if type(error).__name__ == "DatabaseError":  # SQLite: "file is not a database", "malformed"
        return DatabaseUnusable(f"the database file is damaged or not a database ({message}): "
                                "restore it from a backup", code=Code.DATABASE_DAMAGED)
    return DatabaseUnusable(f"the database cannot be reached or opened: {message}")


def storage_full() -> DatabaseUnusable:
    return DatabaseUnusable("the disk is full: nothing of this change was written; free space "
                            "on the data directory's disk and try again",
                            code=Code.STORAGE_FULL, status=507)


def disk_full_os_error(error: BaseException) -> DatabaseUnusable | None:
    """``storage_full()`` for a file write that found no space (a key, an export), else None."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return storage_full()
    return None


LOW_ROOM = 1 << 20  # bytes: a disk with less is full for SQLite's purposes


def _disk_full(error: BaseException) -> bool:
    """SQLITE_FULL, however wrapped (peewee keeps the driver's error as the cause); or an I/O
    error while a database's disk has no room (growing the WAL index fails that way)."""
    while error is not None:
        if getattr(error, "sqlite_errorname", None) == "SQLITE_FULL" \
                or "database or disk is full" in str(error):
            return True
        if "disk I/O error" in str(error):
            return any(_room(folder) < LOW_ROOM for folder in list(SQLITE_FOLDERS))
        error = error.__cause__ or error.__context__
    return False


def _room(folder) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return LOW_ROOM
