"""网上预约: a center's appointment plan, its slots, and how a slot's places are split.

A center opens windows for appointments with a plan: for each window, the
departments whose matters it takes (none: every matter open to appointments),
its weekdays, its start times, each slot's length and its capacity. A slot is
one window at one start time on one working day; its key, ``"2026-12-07 09:00
A01"``, names it the same at node and hub.

A slot's places are split, never shared: the first ``online_places(capacity,
percent)`` belong to the online hall at the hub, the rest to the center's own
window and kiosk. Each side books only its own places, each place at most once
(a unique index on the place's key in that side's database), so no slot is
overbooked even while a street's node cannot reach the hub. Pure functions:
node and hub list the same slots from the same plan.
"""
from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Collection

from sync import events
from sync.calendar import WorkCalendar
from sync.errors import ValidationError

SIDES = ("online", "window")  # who books a place: the hub's online hall, or the center itself
_WINDOW = re.compile(r"^[A-Z0-9]{1,8}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_CAPACITY = 50
DAYS_AHEAD = 14  # how far ahead slots are offered (calendar days)
MAX_WINDOWS = 60


@dataclasses.dataclass(frozen=True)
class WindowPlan:
    window: str                  # the window's code, as on the hall's signs: A01
    name: str                    # 户籍窗口
    departments: tuple[str, ...]  # the departments whose matters it takes; () for all
    weekdays: tuple[int, ...]    # ISO weekdays it opens for appointments (1 = Monday)
    times: tuple[str, ...]       # slot start times, "HH:MM", ascending
    minutes: int                 # each slot's length
    capacity: int                # places per slot

    def as_dict(self) -> dict:
        return {"window": self.window, "name": self.name, "departments": list(self.departments),
                "weekdays": list(self.weekdays), "times": list(self.times),
                "minutes": self.minutes, "capacity": self.capacity}

    def takes(self, matter: dict) -> bool:
        return not self.departments or matter["department"] in self.departments


@dataclasses.dataclass(frozen=True)
class Slot:
    key: str
    day: datetime.date
    start: str
    end: str
    window: str
    window_name: str
    capacity: int


def _fail(field: str, message: str):
    raise ValidationError(f"{field}: {message}", field=field)


def check_plan(raw, known_departments: Collection[str] | None = None) -> list[WindowPlan]:
    """A plan as given (``{"windows": [...]}``), checked field by field; ``known_departments``:
    the department codes a window may name (None: not checked, a plan already stored).

    :raises ValidationError: naming the window and the field, in Chinese.
    """
    windows = raw.get("windows") if isinstance(raw, dict) else None
    if not isinstance(windows, list) or len(windows) > MAX_WINDOWS:
        _fail("windows", f"预约安排应为窗口列表（至多 {MAX_WINDOWS} 个）")
    plans, seen = [], set()
    for i, w in enumerate(windows):
        at = f"windows[{i}]"
        if not isinstance(w, dict):
            _fail(at, "应为一个窗口的预约安排")
        code = w.get("window")
        if not isinstance(code, str) or not _WINDOW.match(code) or code in seen:
            _fail(f"{at}.window", "窗口编号应为 1–8 位大写字母或数字，且不重复")
        seen.add(code)
        name = w.get("name", code)
        if not isinstance(name, str) or not 0 < len(name.strip()) <= 30:
            _fail(f"{at}.name", "窗口名称应为 1–30 个字")
        departments = w.get("departments", [])
        if not isinstance(departments, list) or not all(
                isinstance(d, str) and d.strip() for d in departments):
            _fail(f"{at}.departments", "应为部门代码的列表（空列表表示所有可预约事项）")
        unknown = [d for d in departments
                   if known_departments is not None and d not in known_departments]
        if unknown:
            _fail(f"{at}.departments", "没有这些部门：" + "、".join(unknown))
        weekdays = w.get("weekdays", [1, 2, 3, 4, 5])
        if (not isinstance(weekdays, list) or not weekdays
                or not all(type(d) is int and 1 <= d <= 7 for d in weekdays)):
            _fail(f"{at}.weekdays", "应为 1–7 的星期列表（1 为星期一）")
        times = w.get("times")
        if (not isinstance(times, list) or not times
                or not all(isinstance(t, str) and _TIME.match(t) for t in times)
                or sorted(set(times)) != times):
            _fail(f"{at}.times", "应为按先后排列、不重复的开始时间（如 09:00）")
        minutes, capacity = w.get("minutes", 30), w.get("capacity")
        if type(minutes) is not int or not 5 <= minutes <= 240:
            _fail(f"{at}.minutes", "每个时段应为 5–240 分钟")
        if type(capacity) is not int or not 1 <= capacity <= MAX_CAPACITY:
            _fail(f"{at}.capacity", f"每个时段的号源应为 1–{MAX_CAPACITY} 个")
        plans.append(WindowPlan(code, name.strip(), tuple(d.strip() for d in departments),
                                tuple(sorted(set(weekdays))), tuple(times), minutes, capacity))
    return plans


def check_percent(value) -> int:
    """The online hall's share of each slot, in whole percent (signed data has no floats)."""
    if type(value) is not int or not 0 <= value <= 100:
        _fail("online_percent", "网上预约所占比例应为 0–100 的整数（百分比）")
    return value


def online_places(capacity: int, percent: int) -> int:
    """How many of a slot's places the online hall books (rounded down: a street's own
    window keeps the odd place)."""
    return capacity * percent // 100


def places(side: str, capacity: int, percent: int) -> range:
    """The place numbers ``side`` may book in a slot of ``capacity``."""
    online = online_places(capacity, percent)
    return range(0, online) if side == "online" else range(online, capacity)


def slot_key(day: datetime.date, start: str, window: str) -> str:
    return f"{day.isoformat()} {start} {window}"


def place_key(center: str, key: str, place: int) -> str:
    """What the unique index holds while a place is held or booked (the hub holds every
    center's online places in one table)."""
    return f"{center}/{key}#{place}"


def _end(start: str, minutes: int) -> str:
    h, m = map(int, start.split(":"))
    total = min(h * 60 + m + minutes, 24 * 60 - 1)
    return f"{total // 60:02d}:{total % 60:02d}"


def slots(plans: list[WindowPlan], matter: dict | None, calendar: WorkCalendar,
          first: datetime.date, last: datetime.date) -> list[Slot]:
    """Every slot from ``first`` to ``last`` (working days the calendar knows) of the
    windows that take ``matter`` (None: every window), by day, time and window."""
    found = []
    day = first
    while day <= last:
        if calendar.covers(day) and calendar.is_workday(day):
            for plan in plans:
                if day.isoweekday() in plan.weekdays and (matter is None or plan.takes(matter)):
                    found += [Slot(slot_key(day, t, plan.window), day, t, _end(t, plan.minutes),
                                   plan.window, plan.name, plan.capacity) for t in plan.times]
        day += datetime.timedelta(days=1)
    return sorted(found, key=lambda s: (s.day, s.start, s.window))


def upcoming(plans: list[WindowPlan], matter: dict, calendar: WorkCalendar,
             now: datetime.datetime, day: datetime.date | None = None) -> list[Slot]:
    """The slots of ``matter`` still to begin (``now`` in China's time): on ``day``, or
    from today through ``DAYS_AHEAD`` days; none for a day outside that window."""
    today = now.date()
    horizon = today + datetime.timedelta(days=DAYS_AHEAD)
    first, last = (day, day) if day else (today, horizon)
    if first < today or last > horizon:
        return []
    begun = (today, now.strftime("%H:%M"))
    return [s for s in slots(plans, matter, calendar, first, last) if (s.day, s.start) > begun]


def find_slot(plans: list[WindowPlan], key: str, calendar: WorkCalendar,
              matter: dict | None = None) -> Slot:
    """The slot ``key`` names, if the plan opens it (and its window takes ``matter``).

    :raises ValidationError: (field ``slot``) no such slot, or not for this matter.
    """
    try:
        day_text, start, window = str(key).split(" ")
        day = datetime.date.fromisoformat(day_text)
    except ValueError:
        _fail("slot", "预约时段不存在")
    for plan in plans:
        if plan.window == window:
            for slot in slots([plan], None, calendar, day, day):
                if slot.start == start:
                    if matter is not None and not plan.takes(matter):
                        _fail("slot", "该窗口不办理此事项")
                    return slot
    _fail("slot", "预约时段不存在")


# -- what travels -------------------------------------------------------------------

PLAN = "appointment.plan"            # a center's plan, to the hub (an event of its chain)
FORWARDED = "appointment.forwarded"  # a booking at the hub's online hall, to its center
FORWARDED_STATES = ("booked", "cancelled")
# The clerk's record of the day (到场 or 未到场), to the hub, which counts them per center.
MARKED = "appointment.marked"
MARKS = ("arrived", "no_show")
_FORWARDED_TEXTS = {"id": 24, "slot": 32, "matter_code": 10, "matter_name": 200, "name": 60,
                    "phone": 11, "id_code": 18, "state": 10}


def plan_payload(plans: list[WindowPlan], percent: int, changed_at: str) -> dict:
    return {"windows": [p.as_dict() for p in plans], "online_percent": percent,
            "changed_at": changed_at}


def _plan_event(payload: dict) -> str | None:
    try:
        check_plan(payload)
        check_percent(payload.get("online_percent"))
    except ValidationError as exc:
        return exc.detail
    changed_at = payload.get("changed_at")
    return None if isinstance(changed_at, str) and len(changed_at) <= 32 else (
        "changed_at: must be a time")


def forwarded_problem(payload) -> str | None:
    """Why a forwarded booking cannot be recorded, or None."""
    if not isinstance(payload, dict):
        return "payload: must be an object"
    for field, limit in _FORWARDED_TEXTS.items():
        value = payload.get(field)
        if not isinstance(value, str) or not value or len(value) > limit:
            return f"{field}: must be a text of 1 to {limit} characters"
    if payload["state"] not in FORWARDED_STATES:
        return f"state: must be one of {FORWARDED_STATES}"
    place = payload.get("place")
    if type(place) is not int or not 0 <= place < MAX_CAPACITY:
        return "place: must be a place number"
    parts = payload["slot"].split(" ")
    if len(parts) != 3 or not _TIME.match(parts[1]) or not _WINDOW.match(parts[2]):
        return "slot: must be a slot key"
    try:
        datetime.date.fromisoformat(parts[0])
    except ValueError:
        return "slot: must be a slot key"
    return None


def marked_payload(row) -> dict:
    return {"id": row.id, "day": row.day, "side": row.side, "matter_code": row.matter_code,
            "state": row.state}


def _marked_event(payload: dict) -> str | None:
    for field, limit in (("id", 24), ("matter_code", 10)):
        value = payload.get(field)
        if not isinstance(value, str) or not value or len(value) > limit:
            return f"{field}: must be a text of 1 to {limit} characters"
    try:
        datetime.date.fromisoformat(payload.get("day"))
    except (TypeError, ValueError):
        return "day: must be a date"
    if payload.get("side") not in SIDES:
        return f"side: must be one of {SIDES}"
    return None if payload.get("state") in MARKS else f"state: must be one of {MARKS}"


events.register(MARKED, needs_record=False, check=_marked_event,
                help="网上预约: the clerk recorded whether a booking's applicant came (arrived "
                     "or no_show); payload {id, day, side, matter_code, state}.")
events.register(PLAN, needs_record=False, check=_plan_event,
                help="网上预约: the center's plan of appointment windows and slots and the online "
                     "hall's percent of each slot's places; payload {windows, online_percent, "
                     "changed_at}.")
