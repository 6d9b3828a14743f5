"""China's working-day calendar, shared by hub and node.

The table shipped in ``config/calendar.toml`` (seeded from the ``chinesecalendar``
package by ``python -m tools.make_calendar``) is the hub's first version; as the State
Council publishes each year, the hub sends signed later versions to every center
(``sync.calendar_versions``). Years the table does not cover are computed as
Monday-Friday, and any deadline that walks through such a year is *provisional*:
it may move once the year's schedule is added, but it never fails.

Counting convention (Administrative Licensing Law Art. 82 counts limits in
working days; the day of acceptance is not counted, "开始的当日不计入"):

* ``add_workdays(start, n)`` for ``n >= 1`` is the n-th working day strictly
  after ``start``, whether or not ``start`` itself is a working day. So a case
  accepted on Saturday with 1 working day is due on Monday. (``chinese_calendar``'s
  ``find_workday`` would first roll Saturday forward to Monday and answer Tuesday.)
* ``add_workdays(start, 0)`` is ``start`` if it is a working day, else the next
  working day (a 即办件 is due the day it is accepted).
* ``workdays_between(a, b)`` counts the working days in ``(a, b]``, negated
  when ``b < a``; so ``workdays_between(a, add_workdays(a, n).day) == n``.

Dates are calendar dates in China local time; a ``datetime`` is refused rather
than silently truncated, because its date may differ between UTC and Beijing.
"""
from __future__ import annotations

import bisect
import datetime
import functools
import hashlib
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import config
from sync.errors import ConfigError

ONE_DAY = datetime.timedelta(days=1)
Pause = tuple[datetime.date, datetime.date]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Deadline:
    """A due date; ``provisional`` when it was counted through an uncovered year."""

    day: datetime.date
    provisional: bool = False


class WorkCalendar:
    """Working days from a validated table of holidays and make-up workdays."""

    def __init__(self, years: Iterable[int], holidays: Iterable[datetime.date],
                 workdays: Iterable[datetime.date]):
        self._years = frozenset(years)
        # Only weekday holidays and weekend workdays change anything; keeping
        # just those lets workdays_between count with arithmetic and bisect.
        self._off = sorted({d for d in holidays if d.weekday() < 5})
        self._on = sorted({d for d in workdays if d.weekday() >= 5})
        self._off_set, self._on_set = frozenset(self._off), frozenset(self._on)

    @property
    def first_year(self) -> int:
        """First year the table covers."""
        return min(self._years)

    @property
    def last_year(self) -> int:
        """Last year the table covers."""
        return max(self._years)

    @property
    def fingerprint(self) -> str:
        """Short digest of the table, so hub and node can tell they use the same one."""
        text = ",".join([*map(str, sorted(self._years)), "off", *map(str, self._off),
                         "on", *map(str, self._on)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def covers(self, day: datetime.date) -> bool:
        """True when ``day``'s year is in the table."""
        return _check(day).year in self._years

    def is_workday(self, day: datetime.date) -> bool:
        """True on a working day; Monday-Friday in an uncovered year."""
        day = _check(day)
        if day in self._on_set:
            return True
        return day.weekday() < 5 and day not in self._off_set

    def add_workdays(self, start: datetime.date, n: int) -> Deadline:
        """The n-th working day after ``start`` (n=0: ``start`` or the next working day)."""
        return self.add_workdays_with_pauses(start, n, ())

    def add_workdays_with_pauses(self, start: datetime.date, n: int,
                                 pauses: Sequence[Pause]) -> Deadline:
        """Like ``add_workdays``, but days inside any inclusive (first, last) pause do not count."""
        start = _check(start)
        if n < 0:
            raise ValueError(f"n must be >= 0 (got {n})")
        spans = [_pause(p) for p in pauses]
        day, needed = (start, 1) if n == 0 else (start + ONE_DAY, n)
        provisional = False
        while True:
            provisional = provisional or day.year not in self._years
            paused = any(first <= day <= last for first, last in spans)
            if not paused and self.is_workday(day):
                needed -= 1
                if needed == 0:
                    return Deadline(day, provisional)
            day += ONE_DAY

    def workdays_between(self, a: datetime.date, b: datetime.date) -> int:
        """Working days in ``(a, b]``; negative (those in ``(b, a]``) when ``b < a``."""
        a, b = _check(a), _check(b)
        if b < a:
            return -self.workdays_between(b, a)
        return (_weekdays_through(b) - _weekdays_through(a)
                - _count_in(self._off, a, b) + _count_in(self._on, a, b))


def _check(day) -> datetime.date:
    if isinstance(day, datetime.datetime) or not isinstance(day, datetime.date):
        raise TypeError(f"expected a datetime.date in China local time (got {day!r})")
    return day


def _pause(span) -> Pause:
    first, last = span
    if _check(first) > _check(last):
        raise ValueError(f"pause ends before it starts: {first} > {last}")
    return first, last


def _weekdays_through(day: datetime.date) -> int:
    """Mon-Fri days from 0001-01-01 (a Monday) through ``day``."""
    days = day.toordinal()
    return 5 * (days // 7) + min(days % 7, 5)


def _count_in(sorted_days: list[datetime.date], a: datetime.date, b: datetime.date) -> int:
    """How many of ``sorted_days`` lie in ``(a, b]``."""
    return bisect.bisect_right(sorted_days, b) - bisect.bisect_right(sorted_days, a)


# -- loading and validating config/calendar.toml ------------------------------

def load_calendar(path: str | Path | None = None) -> WorkCalendar:
    """The calendar in ``path`` (default ``config/calendar.toml``), cached until the file changes."""
    path = Path(path) if path is not None else config.path("calendar.toml")
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ConfigError("calendar", str(path), "file not found") from None
    return _load(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, size: int) -> WorkCalendar:
    # mtime and size are in the cache key so an edited table is picked up
    # without a restart.
    return parse_calendar(read_table(path))


def shipped_table() -> dict:
    """The parsed TOML of the calendar shipped in ``config/``: the hub's first version, and
    what a node uses until the hub's first version reaches it."""
    return read_table(config.path("calendar.toml"))


def read_table(path: str | Path) -> dict:
    """The parsed TOML of a calendar file, not yet checked (``parse_calendar`` checks it)."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError("calendar", str(path), "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("calendar", str(path), f"not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError("calendar", str(path), f"not UTF-8 text: {exc}") from None


def parse_calendar(data: dict) -> WorkCalendar:
    """Build a calendar from the parsed TOML, raising ``ConfigError`` naming the bad field."""
    years = data.get("years")
    if not isinstance(years, dict) or not years:
        raise ConfigError("years", years, "must hold at least one [years.YYYY] table")
    holidays: list[datetime.date] = []
    workdays: list[datetime.date] = []
    numbers = []
    for key, table in years.items():
        year = _year(key)
        numbers.append(year)
        if not isinstance(table, dict):
            raise ConfigError(f"years.{key}", table, "must be a table with holidays and workdays")
        for name in table:
            if name not in ("holidays", "workdays"):
                raise ConfigError(f"years.{key}.{name}", table[name],
                                  "unknown key; expected holidays or workdays")
        off = _dates(table, f"years.{key}", "holidays", year)
        on = _dates(table, f"years.{key}", "workdays", year)
        for field, day in on.items():
            if day.weekday() < 5:
                raise ConfigError(field, day.isoformat(),
                                  f"a make-up workday must be a Saturday or Sunday, "
                                  f"not a {day.strftime('%A')}")
            clash = next((f for f, d in off.items() if d == day), None)
            if clash:
                raise ConfigError(field, day.isoformat(), f"also listed as a holiday in {clash}")
        holidays.extend(off.values())
        workdays.extend(on.values())
    missing = sorted(set(range(min(numbers), max(numbers) + 1)) - set(numbers))
    if missing:
        raise ConfigError("years", sorted(numbers), f"years must be contiguous; {missing[0]} is missing")
    return WorkCalendar(numbers, holidays, workdays)


def _year(key: str) -> int:
    if not (isinstance(key, str) and len(key) == 4 and key.isdigit()):
        raise ConfigError(f"years.{key}", key, "must be a four-digit year such as 2026")
    return int(key)


def _dates(table: dict, prefix: str, name: str, year: int) -> dict[str, datetime.date]:
    """field name -> date for one list, checked for format, year and duplicates."""
    values = table.get(name)
    if not isinstance(values, list):
        raise ConfigError(f"{prefix}.{name}", values, "must be a list of dates (use [] for none)")
    seen: dict[datetime.date, str] = {}
    for i, value in enumerate(values):
        field = f"{prefix}.{name}[{i}]"
        day = _date(field, value)
        if day.year != year:
            raise ConfigError(field, value, f"date is not in {year}")
        if day in seen:
            raise ConfigError(field, value, f"listed twice (also {seen[day]})")
        seen[day] = field
    return {field: day for day, field in seen.items()}


def _date(field: str, value) -> datetime.date:
    # TOML has a native date type (2026-01-01 unquoted); accept it as well as strings.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(field, value, "must be a date written YYYY-MM-DD")
