"""The hub's working-day calendar: signed versions, and the one it counts deadlines with.

An operator applies a calendar file (``hallsync hub calendar apply``). It is checked
by the calendar's rules, stored as the next signed version and queued on the pull
stream for every center, all in one transaction, together with the promised days of
the open cases counted through a year the previous version lacked. The first version
is the calendar shipped in ``config/calendar.toml``, seeded with the catalog on a
hub's first run.
Every deadline the hub counts uses the newest version (``hub.calendar.in_force``).
"""
from __future__ import annotations

import orjson

from hub.calendar.in_force import current_version
from hub.cases.batch import due_date
from hub.cases.copies import state_of
from hub.ledger.stream import EVERYONE, publish
from hub.models import OPEN_LITERAL, CalendarVersion, HubCase, database
from sync import codec
from sync.calendar import WorkCalendar, shipped_table
from sync.calendar_versions import sign_version, table_of, version_body
from sync.errors import ConflictError, ValidationError
from sync.events import utc_now_iso
from sync.signing import KeyPair

MESSAGE_TYPE = "calendar.version"


def apply_table(data: dict, *, keys: KeyPair) -> dict:
    """Check a calendar file's parsed TOML, store it as the next signed version and send it
    to every center; returns the signed version.

    :raises ConfigError: the file breaks a calendar rule (the field is named).
    :raises ConflictError: it has the same working days as the newest version.
    :raises ValidationError: it drops a year the newest version covers.
    """
    table, calendar = table_of(data)
    with database.atomic():
        newest = CalendarVersion.select().order_by(CalendarVersion.version.desc()).first()
        if newest is not None:
            _check_newer(newest, calendar)
        body = _publish(keys, (newest.version if newest else 0) + 1, table, calendar)
        if newest is not None:
            recount_provisional(newest.last_year, calendar)
    return body


def recount_provisional(last_year: int, calendar: WorkCalendar) -> int:
    """Count again, with ``calendar``, the promised day of each open case due after
    ``last_year`` (the last year the previous version covered), so provisional until now;
    returns how many. A case replays its log here, once a version (a few times a year), and
    only the cases due in the new years do."""
    rows = list(HubCase.select().where(OPEN_LITERAL & (HubCase.due_date > f"{last_year}-12-31")))
    for row in rows:
        due = due_date(state_of(row), orjson.loads(row.matter), calendar)
        HubCase.update(due_date=due).where(HubCase.number == row.number).execute()
    return len(rows)


def _check_newer(newest: CalendarVersion, calendar: WorkCalendar) -> None:
    if calendar.fingerprint == newest.digest:
        raise ConflictError(f"此日历的工作日与第 {newest.version} 版完全相同"
                            f"（摘要 {newest.digest}），未发布新版本", field="years")
    if calendar.first_year > newest.first_year or calendar.last_year < newest.last_year:
        # An older file applied by mistake would take back a year nodes already count with.
        raise ValidationError(
            f"years: 第 {newest.version} 版已含 {newest.first_year}–{newest.last_year} 年，"
            f"此文件只含 {calendar.first_year}–{calendar.last_year} 年；新版本只能增补年份"
            "或更正日期，不能删去年份", field="years")


def _publish(keys: KeyPair, version: int, table: dict, calendar: WorkCalendar) -> dict:
    body = sign_version(version_body(version, table, calendar, utc_now_iso()), keys)
    CalendarVersion.create(version=version, digest=body["digest"],
                           first_year=body["first_year"], last_year=body["last_year"],
                           created_at=body["created_at"],
                           body=codec.canonical(body).decode("utf-8"))
    publish(keys, EVERYONE, MESSAGE_TYPE, body)
    return body


def seed_if_empty(keys: KeyPair) -> int | None:
    """Version 1: the calendar shipped in ``config/calendar.toml``, on a hub's first run
    (or its first run after an upgrade that brought calendar versions)."""
    with database.atomic():
        if current_version():
            return None
        table, calendar = table_of(shipped_table())
        _publish(keys, 1, table, calendar)
    return 1


def history() -> list[dict]:
    """Every version, oldest first, without its table."""
    query = (CalendarVersion.select(CalendarVersion.version, CalendarVersion.digest,
                                    CalendarVersion.first_year, CalendarVersion.last_year,
                                    CalendarVersion.created_at)
             .order_by(CalendarVersion.version))
    return [{"version": v.version, "digest": v.digest, "years": [v.first_year, v.last_year],
             "applied_at": v.created_at} for v in query]
