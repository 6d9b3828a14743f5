"""The case clock: promised date, working days left, and the warning light.

Hub and node call these same functions with the same ``WorkCalendar`` so a
case shows the same colour at the window, at the district and at the city.

* The clock starts at acceptance (受理); the acceptance day itself is not
  counted, so a 5-working-day promise is the 5th working day after it.
  A promise of 0 working days (即办件) is due the day of acceptance, or the
  next working day when accepted on a rest day.
* Paused spans (补正 after acceptance, 特别程序) are inclusive ``(first, last)``
  dates whose days do not count. A pause still running is passed with
  ``last = today``; recompute the promised date when it ends.
* Light (超时预警): ``red`` once the promised day has passed, ``yellow`` when
  at most ``yellow_within`` working days remain (the threshold is local
  policy, so the caller passes its setting), otherwise ``green``.
"""
from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Literal

from sync.calendar import Deadline, Pause, WorkCalendar

# Named as in the issue; it shadows the builtin only inside modules that import it.
Warning = Literal["green", "yellow", "red"]
GREEN: Warning = "green"
YELLOW: Warning = "yellow"
RED: Warning = "red"
LEVELS: tuple[Warning, ...] = (GREEN, YELLOW, RED)


def promised_date(accepted_on: datetime.date, promised_workdays: int, calendar: WorkCalendar,
                  pauses: Sequence[Pause] = ()) -> Deadline:
    """The promised completion day (承诺办结时间) of a case accepted on ``accepted_on``."""
    if promised_workdays < 0:
        raise ValueError(f"promised_workdays must be >= 0 (got {promised_workdays})")
    return calendar.add_workdays_with_pauses(accepted_on, promised_workdays, pauses)


def remaining_workdays(today: datetime.date, deadline: Deadline | datetime.date,
                       calendar: WorkCalendar) -> int:
    """Working days left after ``today`` up to the deadline; negative once overdue.

    0 means today is the last day. Overdue counts the working days since the
    deadline and is at least 1, so a weekend right after a Friday deadline is
    already -1 rather than a misleading 0.
    """
    day = _day(deadline)
    if today <= day:
        return calendar.workdays_between(today, day)
    return -max(1, calendar.workdays_between(day, today))


def warning_level(today: datetime.date, deadline: Deadline | datetime.date,
                  calendar: WorkCalendar, yellow_within: int = 2) -> Warning:
    """``red`` when overdue, ``yellow`` when at most ``yellow_within`` working days remain, else ``green``."""
    if yellow_within < 0:
        raise ValueError(f"yellow_within must be >= 0 (got {yellow_within})")
    left = remaining_workdays(today, deadline, calendar)
    if left < 0:
        return RED
    return YELLOW if left <= yellow_within else GREEN


def _day(deadline: Deadline | datetime.date) -> datetime.date:
    return deadline.day if isinstance(deadline, Deadline) else deadline
