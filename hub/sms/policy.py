"""When a message may go: quiet hours, per-number rate limits and expiry.

Pure functions of the time and the counts, so the sender asks the database
once per round and decides for the whole batch in memory.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from sync.case_clock import CHINA

HOUR_MS, DAY_MS = 3_600_000, 86_400_000
_QUIET = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def quiet_hours_reason(value: str) -> str | None:
    if value == "" or _QUIET.match(value):
        return None
    return "must be HH:MM-HH:MM (China time), e.g. 22:00-08:00, or empty"


def quiet_until(value: str, now_ms: int) -> int | None:
    """The end of the quiet hours ``now_ms`` falls in (ms), or None outside them."""
    match = _QUIET.match(value or "")
    if not match:
        return None
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    now = datetime.datetime.fromtimestamp(now_ms / 1000, CHINA)
    minute = now.hour * 60 + now.minute
    inside = start <= minute < end if start <= end else (minute >= start or minute < end)
    if not inside or start == end:
        return None
    days = 1 if minute >= end and start > end else 0
    until = now.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
    return int((until + datetime.timedelta(days=days)).timestamp() * 1000)


@dataclass
class Window:
    """Messages to one number counted in one window (hour or day), and the oldest of them."""

    count: int = 0
    oldest_ms: int | None = None

    def take(self, now_ms: int) -> None:
        self.count += 1
        self.oldest_ms = now_ms if self.oldest_ms is None else min(self.oldest_ms, now_ms)


def rate_limited_until(hour: Window, day: Window, per_hour: int, per_day: int,
                       now_ms: int) -> int | None:
    """When one more message to the number may go, or None: now."""
    waits = [w.oldest_ms + span for w, span, limit in ((hour, HOUR_MS, per_hour),
                                                          (day, DAY_MS, per_day))
             if w.count >= limit]
    return max(max(waits), now_ms + 1) if waits else None
