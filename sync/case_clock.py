"""The case's clock: the China date of an instant, the pauses, and the promised day.

The clock starts at acceptance; supplement during review and special
procedures pause it (``suspend`` opens a pause, ``resume`` closes it: the
transitions of ``sync.case_machine`` that stop and restart the clock). A pause
from day S to day E stops the days S+1 … E (the day it starts is still a
working day, "开始的当日不计入"), so a pause opened and closed on the same day
costs nothing. Pauses only ever add days: the deadline never moves earlier.

``sync.deadlines`` counts the working days; this module says which days a
case's pauses take out of the count.
"""
from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable

from sync.calendar import ONE_DAY, Deadline, Pause, WorkCalendar
from sync.case_labels import RECEIVED, SUPPLEMENT
from sync.case_state import CaseState, Suspension
from sync.deadlines import promised_date

# China has kept UTC+8 without daylight saving since 1991; a fixed offset
# needs no tz database on a street center's PC.
CHINA = datetime.timezone(datetime.timedelta(hours=8), "CST")


def china_date(at: datetime.datetime) -> datetime.date:
    """The calendar day of ``at`` in China local time."""
    return at.astimezone(CHINA).date()


def china_today() -> datetime.date:
    """Today in China: the day figures, deadlines and cards count to, whatever
    the machine's own time zone (between 00:00 and 08:00 in China, UTC is a day behind)."""
    return datetime.datetime.now(CHINA).date()


def china_at_ms(ms: int) -> datetime.datetime:
    """A moment in epoch milliseconds as China's local time (an appointment's day and
    hour are China's)."""
    return datetime.datetime.fromtimestamp(ms / 1000, CHINA)


# -- pausing and resuming: transitions, each returns the fields that change -----------

def suspend(state: str) -> Callable:
    """The transition that stops the clock and moves the case to ``state`` (a PAUSED one)."""
    def handler(case, at, data):
        pause = Suspension(data.get("kind", SUPPLEMENT), at, reason=data.get("reason", ""),
                           limit_days=data.get("limit_days"))
        return {"state": state, "pauses": case.pauses + (pause,), "resumes_to": case.state,
                "missing": data.get("missing", ())}
    return handler


def resume(case, at, result: str = ""):
    """Close the running pause and go back to the state it interrupted."""
    pauses = case.pauses[:-1] + (dataclasses.replace(case.pauses[-1], end=at, result=result),)
    return {"state": case.resumes_to, "pauses": pauses, "resumes_to": None}


# -- counting -----------------------------------------------------------------------

def paused_workdays(case: CaseState, calendar: WorkCalendar, until: datetime.date) -> int:
    """Working days the clock stood still up to ``until``; a running pause counts up to it."""
    return sum(calendar.workdays_between(first - ONE_DAY, last) for first, last in _spans(case, until))


def deadline(case: CaseState, calendar: WorkCalendar, promised_days: int, *,
             today: datetime.date | None = None) -> Deadline | None:
    """The promised completion day (承诺办结时间), pushed back by pauses; None before acceptance.

    A running pause extends the deadline through ``today`` (through the day it
    started when ``today`` is not given); recompute as days pass.
    """
    if case.accepted_at is None:
        return None
    return promised_date(china_date(case.accepted_at), promised_days, calendar,
                         _spans(case, today))


def handling_workdays(case: CaseState, calendar: WorkCalendar) -> int | None:
    """Working days from acceptance to 办结 without paused days (KPI 平均办理时长); None if not done."""
    if case.accepted_at is None or case.decision is None:
        return None
    done = china_date(case.decision.decided_at)
    return (calendar.workdays_between(china_date(case.accepted_at), done)
            - paused_workdays(case, calendar, done))


def intake_overdue(case: CaseState, calendar: WorkCalendar, today: datetime.date,
                   limit: int = 5) -> bool:
    """True when a case has waited in 已收件 more than ``limit`` working days (Art. 32: 5 days)."""
    # The last step is the one that put the case in RECEIVED: receive or supplement_in.
    return (case.state == RECEIVED
            and calendar.workdays_between(china_date(case.history[-1].at), today) > limit)


def _spans(case: CaseState, today: datetime.date | None) -> list[Pause]:
    """Inclusive (first, last) paused days: S+1 … E, the running pause ending ``today``."""
    spans = []
    for pause in case.pauses:
        start = china_date(pause.start)
        end = china_date(pause.end) if pause.end else (today or start)
        end = min(end, today) if today else end
        if end > start:
            spans.append((start + ONE_DAY, end))
    return spans
