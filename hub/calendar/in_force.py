"""The working-day calendar the hub counts every deadline with: its newest version.

Apart from ``hub.calendar.authority`` so that what counts deadlines (the case batch,
cards, figures) can import it, and the authority can recount their deadlines.
"""
from __future__ import annotations

from hub.models import CalendarVersion
from sync.calendar import WorkCalendar
from sync.calendar_versions import newest_calendar, newest_version


def current_version() -> int:
    """The newest calendar version (0 on a database the hub has not initialised)."""
    return newest_version(CalendarVersion)


def calendar_in_force() -> WorkCalendar:
    """The newest version's calendar (one small query; ``sync.calendar_versions``)."""
    return newest_calendar(CalendarVersion)
