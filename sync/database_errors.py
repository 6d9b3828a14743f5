"""A database that cannot be reached, opened or read, told as one of our errors.

The drivers raise their own exceptions (peewee wraps them in its own, but a raw
cursor's may escape unwrapped): a refused connection, a file that is not a database.
``hallsync.cli.main`` turns them into ``DatabaseUnusable`` at its edge, once, so a
command ends with ``error: CODE: detail`` instead of a traceback. Errors of our own
queries (a constraint, bad SQL) are bugs or conflicts, and are left as they are.
"""
from __future__ import annotations

import sqlite3

import peewee

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
    if type(error).__name__ == "DatabaseError":  # SQLite: "file is not a database", "malformed"
        return DatabaseUnusable(f"the database file is damaged or not a database ({message}): "
                                "restore it from a backup", code=Code.DATABASE_DAMAGED)
    return DatabaseUnusable(f"the database cannot be reached or opened: {message}")
