"""When a matter existed: its ``established`` date, for history, simulation and pages.

The reform history (``config/catalog/reform.json``) ends with the sixth batch of
March 2015, the period of the article. A matter of today's catalog created after
that carries ``established`` (the date and the instrument that created it); a
matter without one was in the catalog when the history ends and its creation
date is not recorded: it is said so, never guessed. Nothing may count or
generate a matter's cases before the day it was established.
"""
from __future__ import annotations

import datetime
from collections.abc import Mapping

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
