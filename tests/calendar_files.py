"""Calendar files for the tests: the shipped table, and the shipped table with next year.

"Next year" is the year after the shipped table's last, whichever that is, so these
tests keep working when config/calendar.toml gains a year.
"""
from __future__ import annotations

import datetime
from pathlib import Path

import config
from sync.calendar import load_calendar

SHIPPED = config.path("calendar.toml").read_text(encoding="utf-8")
NEXT_YEAR = load_calendar().last_year + 1


def first_weekdays(year: int, count: int) -> list[datetime.date]:
    """The first ``count`` Mondays-to-Fridays of ``year``."""
    day, found = datetime.date(year, 1, 1), []
    while len(found) < count:
        if day.weekday() < 5:
            found.append(day)
        day += datetime.timedelta(days=1)
    return found


def with_next_year(holidays, workdays=()) -> str:
    """The shipped table with a ``[years.NEXT_YEAR]`` table of these days."""
    listed = lambda days: ", ".join(f'"{d}"' for d in days)  # noqa: E731  (dates or text)
    return (f"{SHIPPED}\n[years.{NEXT_YEAR}]\nholidays = [{listed(holidays)}]\n"
            f"workdays = [{listed(workdays)}]\n")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
