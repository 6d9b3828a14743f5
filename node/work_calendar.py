"""The working-day calendar a node counts deadlines with: the newest version the hub sent.

Versions arrive on the pull stream (``node.calendar_versions``). A node that has
received none yet counts with the calendar shipped in ``config/calendar.toml``,
the same table the hub's first version carries.
"""
from __future__ import annotations

from node.models import CalendarVersion
from sync.calendar import WorkCalendar
from sync.calendar_versions import newest_calendar, newest_version


def current_version() -> int:
    """The newest calendar version applied here (0: none yet, the shipped file)."""
    return newest_version(CalendarVersion)


def calendar_in_force() -> WorkCalendar:
    """The newest version's calendar (one small query; ``sync.calendar_versions``)."""
    return newest_calendar(CalendarVersion)
