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

from peewee import IntegrityError

from node import outbox, store
from node.case_log import now
from node.catalog import accepted_matters
from node.inbox import applies
from node.models import Appointment, AppointmentPlan, database
from node.work_calendar import calendar_in_force
from sync import (appointments, case_clock, case_records, codec, matter_codes, sms_events,
                  sms_templates)
from sync.catalog_history import load_departments
from sync.errors import ValidationError
from sync.identity_codes import check_resident_id
from sync.topology import load_topology
from web.appointments import Bookings
from web.citizens import Citizen

REMIND_BEFORE_MS = 24 * 3_600_000


def now_ms() -> int:
    return int(now().timestamp() * 1000)


def set_plan(raw: dict) -> list[appointments.WindowPlan]:
    """Replace the plan (``{"windows": [...], "online_percent": 50}``). Bookings made stay
    as they are; slots the new plan no longer opens simply take no new ones.

    :raises ValidationError: naming the window and field.
    """
    plans = appointments.check_plan(raw, load_departments())
    percent = appointments.check_percent(raw.get("online_percent", 50))
    windows = codec.canonical([p.as_dict() for p in plans]).decode()
    at = case_records.iso(now())
    with database.atomic():  # the hub learns the plan with the next push
        AppointmentPlan.insert(id=1, windows=windows, online_percent=percent,
                               changed_at=at).on_conflict_replace().execute()
        outbox.emit(store.load_keys(store.bound_dir()), store.state().center, appointments.PLAN,
                    "", appointments.plan_payload(plans, percent, at))
    return plans


def plan() -> tuple[list[appointments.WindowPlan], int]:
    """The plan in force and the online hall's percent; no windows before a plan is set."""
    row = AppointmentPlan.get_or_none(AppointmentPlan.id == 1)
    if row is None:
        return [], 50
    return appointments.check_plan({"windows": orjson.loads(row.windows)}), row.online_percent


def bookable_matters(center: str) -> list[dict]:
    """The matters in force here that take appointments (预约办理：支持) and that this
    center accepts, with a window in the plan that takes them."""
    plans, _ = plan()
    return accepted_matters(center, lambda matter: matter["appointment"] and any(
        p.takes(matter) for p in plans))


def bookable_matter(code: str, center: str) -> dict:
    """The bookable matter ``code`` (basic or national) names."""
    matter = matter_codes.pick(bookable_matters(center), code)
    if matter is not None:
        return matter
    raise ValidationError("matter: 该事项不能在本中心预约办理", field="matter")


def open_slots(matter: dict, day: datetime.date | None = None) -> list[dict]:
    """The window's free places per slot of ``matter``: of ``day``, or from today on."""
    plans, percent = plan()
    at = now_ms()
    found = appointments.upcoming(plans, matter, calendar_in_force(), case_clock.china_at_ms(at),
                                  day)
    return bookings().free(found, percent, at)


def slot_of(key: str, matter: dict) -> appointments.Slot:
    """The slot ``key`` of this center's plan, if one of its windows takes ``matter``."""
    return appointments.find_slot(plan()[0], key, calendar_in_force(), matter)


def _announce(booked: Appointment) -> None:
    center = store.state().center
    name = load_topology().name_of(center)
    outbox.emit(store.load_keys(store.bound_dir()), center, sms_events.REQUESTED, "",
                sms_events.payload("appointment_confirmed", booked.phone, {
                    "center": sms_templates.fit(name), "date": booked.day, "time": booked.start,
                    "matter": sms_templates.fit(booked.matter_name), "number": booked.id}))


def bookings() -> Bookings:
    return Bookings(Appointment, "window", store.state().center, _announce)


def mark(number: str, state: str, at_ms: int) -> Appointment:
    """The clerk's record of the day, and its event for the hub's counts, in one transaction.

    :raises ValidationError, ConflictError, NotFound: as ``Bookings.mark``."""
    with database.atomic():
        row = bookings().mark(number, state, at_ms)
        outbox.emit(store.load_keys(store.bound_dir()), row.center, appointments.MARKED, "",
                    appointments.marked_payload(row))
    return row


def caller(phone: str, id_code: str) -> Citizen:
    """The citizen a clerk books for (phone or walk-in): the same phone and ID number they
    log in with, so the booking is in their list at the kiosk and the online hall.

    :raises ValidationError: naming ``phone`` or ``id_code``.
    """
    phone = str(phone or "").strip()
    if not sms_templates.PHONE.match(phone):
        raise ValidationError("phone: 请输入 11 位手机号码", field="phone")
    return Citizen(phone, check_resident_id(str(id_code or ""), field="id_code"), "")


def day_slots(center: str, day: datetime.date) -> list[dict]:
    """The window's slots of ``day`` with places free, of any matter booked here, each once:
    what the clerk can offer a caller."""
    found = {}
    for matter in bookable_matters(center):
        for slot in open_slots(matter, day):
            if slot["free"]:
                found.setdefault(slot["slot"], slot)
    return sorted(found.values(), key=lambda s: (s["start"], s["window"]))


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
    name = sms_templates.fit(load_topology().name_of(center))
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


@applies(appointments.FORWARDED)
def apply_forwarded(message: dict, ctx) -> str:
    """A booking made, moved or cancelled at the hub's online hall, recorded for the
    clerk's list of the day. Its place is one of the online places, which this center
    never books; only a plan whose percent changed under it could make them meet."""
    payload = message["payload"]
    problem = appointments.forwarded_problem(payload)
    if problem:
        return f"not recorded: {problem}"
    day, start, window = payload["slot"].split(" ")
    occupies = payload["state"] == "booked"
    row = {"center": ctx.center, "slot": payload["slot"], "day": day, "start": start,
           "window": window, "place": payload["place"],
           "place_key": appointments.place_key(ctx.center, payload["slot"], payload["place"])
           if occupies else None,
           "matter_code": payload["matter_code"], "matter_name": payload["matter_name"],
           "name": payload["name"], "phone": payload["phone"], "id_code": payload["id_code"],
           "state": payload["state"], "changed_ms": now_ms(), "side": "online"}
    try:
        with database.atomic():
            (Appointment.insert(id=payload["id"], created_ms=row["changed_ms"], **row)
             .on_conflict(conflict_target=[Appointment.id],
                          update={getattr(Appointment, k): v for k, v in row.items()})
             .execute())
    except IntegrityError:
        return f"not recorded: place {payload['place']} of {payload['slot']} is taken here"
    return "recorded"


def day_list(day: datetime.date) -> list[Appointment]:
    return bookings().of_day(day)


class NodeSite:
    """This center's side for the shared pages (``web.appointment_pages.AppointmentSite``):
    its own slots only, whatever center a request names."""

    def centers(self) -> list[tuple[str, str]]:
        center = store.state().center
        return [(center, load_topology().name_of(center))]

    def own_center(self) -> str:
        return store.state().center

    def matters(self, center: str) -> list[dict]:
        return bookable_matters(center)

    def matter(self, center: str, code: str) -> dict:
        return bookable_matter(code, center)

    def slots(self, center: str, matter: dict, day: datetime.date | None) -> list[dict]:
        return open_slots(matter, day)

    def slot(self, center: str, key: str, matter: dict) -> appointments.Slot:
        return slot_of(key, matter)

    def share(self, center: str) -> int:
        return plan()[1]

    def bookings(self, center: str) -> Bookings:
        return bookings()

    def center_of(self, number: str) -> str | None:
        return Appointment.select(Appointment.center).where(Appointment.id == number).scalar()

    def of_citizen(self, citizen) -> list[Appointment]:
        return bookings().of_citizen(citizen)

    def now_ms(self) -> int:
        return now_ms()
