"""Count the SQL statements a block runs: query counts are pinned, timings never are.

The idea of peewee's ``assert_query_count``, at the SQLite connection itself so that
statements run outside peewee's query log (``executemany`` of bulk inserts, raw
cursors) are counted too: each execution SQLite traces is one statement.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress


@contextmanager
def counted(database) -> Iterator[list[str]]:
    """The statements run on ``database``'s (SQLite) connection inside the block, in order.

    The connection is opened here if it is not (a Flask request reuses it and may close
    it at teardown).
    """
    statements: list[str] = []
    database.connect(reuse_if_open=True)
    connection = database.connection()
    connection.set_trace_callback(statements.append)
    try:
        yield statements
    finally:
        with suppress(sqlite3.ProgrammingError):  # closed by the request's teardown
            connection.set_trace_callback(None)
