"""A per-client throttle for the public pages, counted in the site's own database.

Each client address has one counter per fixed window (``window_s`` seconds); the
``limit``-th request of a window is the last one answered, the next ones get
``TooManyRequests`` until the window ends. The counter lives in the database,
not in memory, because the hub serves with several worker processes: a client
spread over them must still meet one limit. Counting is one upsert statement
(``INSERT … ON CONFLICT … DO UPDATE … RETURNING``), so two requests at once can
never both read the same count. A node's and the hub's ``PublicHit`` subclass
``Hit`` (as their login tables do) and are never synced.
"""
from __future__ import annotations

from peewee import BigIntegerField, CharField, CompositeKey, IntegerField, Model

from sync.errors import TooManyRequests


class Hit(Model):
    """How many requests a client made to one public page in one window."""

    page = CharField(max_length=32)
    client = CharField(max_length=64)
    started_s = BigIntegerField(index=True)  # the window's start, seconds since the epoch
    count = IntegerField()

    class Meta:
        legacy_table_names = False
        primary_key = CompositeKey("page", "client", "started_s")


def count_hit(model: type[Hit], page: str, client: str, now_ms: int, *, limit: int,
              window_s: int, message: str) -> None:
    """Count one request of ``client`` to ``page``; raise once it is over ``limit``.

    :raises TooManyRequests: ``message`` with ``{seconds}`` filled in, and ``retry_after``:
        the seconds left in the window.
    """
    now_s = now_ms // 1000
    started = now_s - now_s % window_s
    table, mark = model._meta.table_name, model._meta.database.param
    cursor = model._meta.database.execute_sql(
        f"INSERT INTO {table} (page, client, started_s, count) VALUES ({mark}, {mark}, {mark}, 1) "
        f"ON CONFLICT (page, client, started_s) DO UPDATE SET count = {table}.count + 1 "
        "RETURNING count", (page, client[:64], started))
    count = cursor.fetchone()[0]
    if count == 1:  # a client's first request of a window: windows before it are over
        model.delete().where(model.started_s < started).execute()
    if count > limit:
        seconds = int(started + window_s - now_s)
        raise TooManyRequests(message.format(seconds=seconds), retry_after=seconds)
