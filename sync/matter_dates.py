"""When a matter existed: its ``established`` date, for history, simulation and pages.

The reform history (``config/catalog/reform.json``) ends with the sixth batch of
March 2015, the period of the article. A matter of today's catalog created after
that carries ``established`` (the date and the instrument that created it); a
matter without one was in the catalog when the history ends and its creation
date is not recorded: it is said so, never guessed. Nothing may count or
generate a matter's cases before the day it was established.
"""
from __future__ import annotations

import bisect
import datetime
from collections.abc import Callable, Mapping, Sequence

# The last batch of the reform history (tests/sync/test_matter_dates.py checks it is
# reform.json's last operation).
HISTORY_END = datetime.date(2015, 3, 1)
UNRECORDED = "2015 年 3 月改革历史结束时已在目录中，设立日期未记载"


def established_on(matter: Mapping) -> datetime.date | None:
    """The day a matter was established, or None when that is not recorded (it existed by
    the end of the reform history)."""
    established = matter.get("established")
    return datetime.date.fromisoformat(established["date"]) if established else None


def exists_on(matter: Mapping, day: datetime.date) -> bool:
    """Whether the matter existed on ``day``: a case of it could be received then."""
    established = established_on(matter)
    return established is None or day >= established


def label(matter: Mapping) -> str:
    """The matter's 设立日期 as pages and the CLI show it."""
    established = matter.get("established")
    if not established:
        return UNRECORDED
    return f"{established['date']} 起（{established['basis']}）"


class Eras:
    """What a generator derives from the matters in existence, per stretch of days between
    two establishment dates: built once, looked up per case (``on(day)``), so picking a
    matter for a past day costs no more than picking from one list."""

    def __init__(self, matters: Sequence[Mapping], build: Callable = list):
        self._starts = sorted({day for m in matters if (day := established_on(m))})
        self._built = [build([m for m in matters if exists_on(m, day)])
                       for day in (datetime.date.min, *self._starts)]

    def on(self, day: datetime.date):
        """``build`` of the matters that existed on ``day``."""
        return self._built[bisect.bisect_right(self._starts, day)]
