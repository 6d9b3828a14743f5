"""Working-day calendar versions: the hub's signed copies of ``config/calendar.toml``.

The State Council publishes next year's schedule each autumn. The hub stores each
calendar an operator applies as the next numbered version, signed like a catalog
version (``sync.signed_bodies``), and sends it to every center on the pull stream.
A version carries the whole table, so a node needs no earlier version to use it,
but nodes still apply versions in order, so every center steps through the same
calendars the hub did. Its ``digest`` is the table's ``WorkCalendar.fingerprint``:
two tables with the same working days have the same digest, whatever their layout.
"""
from __future__ import annotations

import datetime
from collections.abc import Callable

import orjson

from sync.calendar import WorkCalendar, load_calendar, parse_calendar
from sync.errors import Code, ProtocolError
from sync.signed_bodies import sign_body, verify_body
from sync.signing import KeyPair, PublicKey

CALENDAR_DOMAIN = "hallsync-calendar-v1"


def table_of(data: dict) -> tuple[dict, WorkCalendar]:
    """A calendar file's parsed TOML checked by the calendar's rules, and its years as JSON
    (``{"2027": {"holidays": ["2027-01-01", …], "workdays": […]}, …}``).

    :raises ConfigError: the first mistake, naming its field (``years.2027.holidays[3]``).
    """
    calendar = parse_calendar(data)
    table = {year: {name: sorted(_iso(day) for day in days[name])
                    for name in ("holidays", "workdays")}
             for year, days in sorted(data["years"].items())}
    return table, calendar


def _iso(day) -> str:
    return day.isoformat() if isinstance(day, datetime.date) else day


def version_body(version: int, table: dict, calendar: WorkCalendar, created_at: str) -> dict:
    """What a calendar version says; ``sign_version`` adds the hub's signature."""
    return {"version": version, "digest": calendar.fingerprint,
            "first_year": calendar.first_year, "last_year": calendar.last_year,
            "created_at": created_at, "table": table}


def sign_version(body: dict, keys: KeyPair) -> dict:
    return sign_body(body, keys, CALENDAR_DOMAIN)


def verify_version(body: dict, hub_key: PublicKey) -> bool:
    """True when the calendar version is signed by the hub's key."""
    return verify_body(body, hub_key, CALENDAR_DOMAIN)


_parsed: dict[str, WorkCalendar] = {}  # digest -> calendar: a version's table is parsed once


def calendar_of(digest: str, read_table: Callable[[], dict]) -> WorkCalendar:
    """The calendar whose digest is ``digest``; ``read_table`` is asked for its table only
    the first time this process meets the digest, so a caller pays one small query a load.

    :raises ProtocolError: the table's working days do not match ``digest``.
    """
    calendar = _parsed.get(digest)
    if calendar is None:
        calendar = parse_calendar({"years": read_table()})
        if calendar.fingerprint != digest:
            raise ProtocolError(f"calendar table has digest {calendar.fingerprint}, "
                                f"its version says {digest}", code=Code.DIGEST_MISMATCH)
        if len(_parsed) >= 16:  # versions come once a year; this only bounds a long test run
            _parsed.clear()
        _parsed[digest] = calendar
    return calendar


def newest_version(versions) -> int:
    """The newest version stored in ``versions`` (0 when none).

    :param versions: the hub's or a node's ``CalendarVersion`` model (version, digest, body).
    """
    return _newest(versions)[0]


def _newest(versions) -> tuple[int, str | None]:
    """(version, digest) of the newest stored, (0, None) with none. Plain SQL: read every
    sync round and every push of case events, where peewee's query building costs more."""
    row = versions._meta.database.execute_sql(
        f"SELECT version, digest FROM {versions._meta.table_name} "
        "ORDER BY version DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, None)


def newest_calendar(versions) -> WorkCalendar:
    """The calendar of the newest version stored in ``versions``; with none stored, the one
    shipped in ``config/calendar.toml``.

    One small query: hub workers are separate processes (the city's node runs in each, and
    a version may be applied from the command line), so each load asks the database which
    version is newest rather than caching it; the table itself is parsed once a process.
    """
    version, digest = _newest(versions)
    if digest is None:
        return load_calendar()
    return calendar_of(digest, lambda: orjson.loads(
        versions.select(versions.body).where(versions.version == version).scalar())["table"])
