"""网上预约 at a center, without Flask: its plan, its slots, and its side's bookings.

The center's admin sets the plan (``hallsync node appointments plan FILE``); the
window's places of each slot are booked here (``web.appointments``), by a citizen
at the kiosk or the node's online hall, while the online hall at the hub books
the online places. Everything here works while the hub is unreachable. A booking
is announced by SMS (``sms.requested`` in the booking's transaction), and the day
before its slot a reminder is written that the hub drops rather than send after
the slot has begun.
"""
from __future__ import annotations

import datetime

import orjson

from node import outbox, store
from node.case_log import now
from node.catalog import accepted_matters
from node.models import Appointment, AppointmentPlan, database
from sync import appointments, case_clock, case_records, codec, sms_events, sms_templates
from sync.calendar import load_calendar
from sync.catalog_history import load_departments
from sync.errors import NotFound, ValidationError
from sync.topology import load_topology
from web.appointments import Bookings

DAYS_AHEAD = 14  # how far ahead slots are offered (calendar days)
REMIND_BEFORE_MS = 24 * 3_600_000


def now_ms() -> int:
    return int(now().timestamp() * 1000)


def set_plan(raw: dict) -> list[appointments.WindowPlan]:
    """Replace the plan (``{"windows": [...], "online_share": 0.5}``). Bookings made stay
    as they are; slots the new plan no longer opens simply take no new ones.

    :raises ValidationError: naming the window and field.
    """
    plans = appointments.check_plan(raw, load_departments())
    share = appointments.check_share(raw.get("online_share", 0.5))
    windows = codec.canonical([p.as_dict() for p in plans]).decode()
    AppointmentPlan.insert(id=1, windows=windows, online_share=share,
                           changed_at=case_records.iso(now())).on_conflict_replace().execute()
    return plans


def plan() -> tuple[list[appointments.WindowPlan], float]:
    """The plan in force and the online hall's share; no windows before a plan is set."""
    row = AppointmentPlan.get_or_none(AppointmentPlan.id == 1)
    if row is None:
        return [], 0.5
    return appointments.check_plan({"windows": orjson.loads(row.windows)}), row.online_share


def bookable_matters(center: str) -> list[dict]:
    """The matters in force here that take appointments (预约办理：支持) and that this
    center accepts, with a window in the plan that takes them."""
    plans, _ = plan()
    return accepted_matters(center, lambda matter: matter["appointment"] and any(
        p.takes(matter) for p in plans))


def bookable_matter(code: str, center: str) -> dict:
    for matter in bookable_matters(center):
        if matter["basic_code"] == code:
            return matter
    raise ValidationError("matter: 该事项不能在本中心预约办理", field="matter")


def open_slots(matter: dict, day: datetime.date | None = None) -> list[dict]:
    """The window's free places per slot of ``matter``: of ``day``, or from today on."""
    plans, share = plan()
    today = case_clock.china_today()
    first, last = (day, day) if day else (today, today + datetime.timedelta(days=DAYS_AHEAD))
    if first < today or last > today + datetime.timedelta(days=DAYS_AHEAD):
        return []
    at = now_ms()
    found = [s for s in appointments.slots(plans, matter, load_calendar(), first, last)
             if not _started(s, at)]
    return bookings().free(found, share, at)


def _started(slot: appointments.Slot, at_ms: int) -> bool:
    moment = case_clock.china_at_ms(at_ms)
    return (slot.day, slot.start) <= (moment.date(), moment.strftime("%H:%M"))


def slot_of(key: str, matter: dict) -> appointments.Slot:
    """The slot ``key`` of this center's plan, if one of its windows takes ``matter``."""
    plans, _ = plan()
    slot = appointments.find_slot(plans, str(key or ""), load_calendar())
    if not any(p.window == slot.window and p.takes(matter) for p in plans):
        raise ValidationError("slot: 该窗口不办理此事项", field="slot")
    return slot


def _announce(booked: Appointment) -> None:
    center = store.state().center
    name = load_topology().get(center).name
    outbox.emit(store.load_keys(store.bound_dir()), center, sms_events.REQUESTED, "",
                sms_events.payload("appointment_confirmed", booked.phone, {
                    "center": sms_templates.fit(name), "date": booked.day, "time": booked.start,
                    "matter": sms_templates.fit(booked.matter_name), "number": booked.id}))


def bookings() -> Bookings:
    return Bookings(Appointment, "window", lambda: store.state().center, _announce)


def book(center: str, citizen, matter_code: str, slot_key: str, name: str,
         hold_s: int) -> Appointment:
    """Hold and book in one step (the API's ``POST /api/appointments``)."""
    matter = bookable_matter(matter_code, center)
    slot = slot_of(slot_key, matter)
    _, share = plan()
    at = now_ms()
    with database.atomic():
        held = bookings().hold(slot, share, matter, citizen, at, hold_s)
        return bookings().confirm(held.id, citizen, name, at)


def write_reminders(at_ms: int | None = None) -> int:
    """Write the reminder SMS of bookings whose slot begins within a day; each once. A
    reminder expires when its slot begins, so one that reaches the hub late is dropped."""
    at_ms = now_ms() if at_ms is None else at_ms
    moment = case_clock.china_at_ms(at_ms)
    horizon = case_clock.china_at_ms(at_ms + REMIND_BEFORE_MS)
    due = [a for a in Appointment.select().where(
        (Appointment.state == "booked") & ~Appointment.reminded
        & Appointment.day.between(moment.date().isoformat(), horizon.date().isoformat()))
        if (moment.date().isoformat(), moment.strftime("%H:%M")) < (a.day, a.start)
        <= (horizon.date().isoformat(), horizon.strftime("%H:%M"))]
    if not due:
        return 0
    center = store.state().center
    name = sms_templates.fit(load_topology().get(center).name)
    changes = []
    for a in due:
        begins = datetime.datetime.fromisoformat(f"{a.day}T{a.start}").replace(
            tzinfo=case_clock.CHINA).astimezone(datetime.timezone.utc)
        changes.append((sms_events.REQUESTED, "", sms_events.payload(
            "appointment_reminder", a.phone,
            {"center": name, "matter": sms_templates.fit(a.matter_name), "date": a.day,
             "time": a.start},
            expires_at=begins.isoformat(timespec="milliseconds").replace("+00:00", "Z"))))
    with database.atomic():
        outbox.emit_many(store.load_keys(store.bound_dir()), center, changes)
        Appointment.update(reminded=True).where(
            Appointment.id.in_([a.id for a in due])).execute()
    return len(due)


def day_list(day: datetime.date) -> list[Appointment]:
    return bookings().of_day(day)


def find(number: str) -> Appointment:
    row = Appointment.get_or_none(Appointment.id == number)
    if row is None:
        raise NotFound("没有该预约")
    return row
