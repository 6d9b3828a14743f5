"""网上预约 at the hub's online hall: the centers' plans, and the online places booked here.

Each center sends its plan as an ``appointment.plan`` event; the hub keeps the last one
per center and lists the same slots from it (``sync.appointments``). The online hall
books only the online places of each slot (``side: online``) in ``HubAppointment``,
with the same code as a node (``web.appointments``); every booking, move and
cancellation goes to the owning center through its pull stream
(``appointment.forwarded``) in the transaction that makes it, and its SMS into the
hub's own queue. A center that never sent a plan offers nothing here.
"""
from __future__ import annotations

import datetime
import time
from collections import Counter

import orjson
from peewee import fn

from hub.calendar.in_force import calendar_in_force
from hub.catalog import authority
from hub.ledger.registry import handles
from hub.ledger.stream import send
from hub.models import HubAppointment, HubAppointmentPlan, HubAttendance
from hub.sms import queue
from sync import appointments, case_clock, matter_codes, sms_templates
from sync.catalog_scope import acceptance
from sync.errors import ValidationError
from sync.topology import load_topology
from web.appointments import Bookings



def _now_ms() -> int:
    return int(time.time() * 1000)


@handles(appointments.PLAN, independent=True)  # its own table only
def apply_plans(events: list[dict]) -> None:
    for event in events:  # in order: a center's later plan replaces its earlier one
        p = event["payload"]
        windows = orjson.dumps(p["windows"]).decode()
        (HubAppointmentPlan.insert(center=event["origin"], windows=windows,
                                   online_percent=p["online_percent"],
                                   changed_at=p["changed_at"])
         .on_conflict(conflict_target=[HubAppointmentPlan.center],
                      update={HubAppointmentPlan.windows: windows,
                              HubAppointmentPlan.online_percent: p["online_percent"],
                              HubAppointmentPlan.changed_at: p["changed_at"]}).execute())


@handles(appointments.MARKED, independent=True)  # its own table only
def apply_marks(events: list[dict]) -> None:
    for event in events:
        p = event["payload"]
        (HubAttendance.insert(id=p["id"], center=event["origin"], day=p["day"], side=p["side"],
                              matter_code=p["matter_code"], state=p["state"])
         .on_conflict(conflict_target=[HubAttendance.id],
                      update={HubAttendance.state: p["state"]}).execute())


ATTENDANCE = ("arrived", "no_show")


def attendance(centers: list[str] | None, start: datetime.date,
               end: datetime.date) -> dict[str, Counter]:
    """Per center, the bookings of the days from ``start`` to ``end`` whose applicant came
    or did not, as the clerks recorded them (one grouped query)."""
    query = (HubAttendance.select(HubAttendance.center, HubAttendance.state,
                                  fn.COUNT(HubAttendance.id))
             .where(HubAttendance.day.between(start.isoformat(), end.isoformat()))
             .group_by(HubAttendance.center, HubAttendance.state))
    if centers is not None:
        query = query.where(HubAttendance.center.in_(centers))
    found: dict[str, Counter] = {}
    for center, state, count in query.tuples():
        found.setdefault(center, Counter())[state] += count
    return found


def attendance_total(found: dict[str, Counter], centers: list[str]) -> dict:
    """``arrived``, ``no_show`` and the no-show rate (None without any record) of ``centers``."""
    summed = Counter({state: 0 for state in ATTENDANCE})
    for code in centers:
        summed.update(found.get(code, {}))
    marked = summed["arrived"] + summed["no_show"]
    return {**{state: summed[state] for state in ATTENDANCE},
            "no_show_rate": round(summed["no_show"] / marked, 4) if marked else None}


def _plan(center: str) -> tuple[list[appointments.WindowPlan], int]:
    row = HubAppointmentPlan.get_or_none(HubAppointmentPlan.center == center)
    if row is None:
        return [], 0
    return appointments.check_plan({"windows": orjson.loads(row.windows)}), row.online_percent


def _forward(row: HubAppointment) -> None:
    send(row.center, appointments.FORWARDED, {
        "id": row.id, "slot": row.slot, "place": row.place, "matter_code": row.matter_code,
        "matter_name": row.matter_name, "name": row.name, "phone": row.phone,
        "id_code": row.id_code, "state": "cancelled" if row.state == "cancelled" else "booked"})


def _announce(row: HubAppointment) -> None:
    queue.enqueue("appointment_confirmed", row.phone, {
        "center": sms_templates.fit(load_topology().name_of(row.center)), "date": row.day,
        "time": row.start, "matter": sms_templates.fit(row.matter_name), "number": row.id},
        _now_ms())


class OnlineHall:
    """The hub's side for the shared pages (``web.appointment_pages.AppointmentSite``)."""

    def centers(self) -> list[tuple[str, str]]:
        topology = load_topology()
        planned = {c for (c,) in HubAppointmentPlan.select(HubAppointmentPlan.center).tuples()}
        return [(c.code, c.name) for c in topology.centers if c.code in planned]

    def own_center(self) -> None:
        return None

    def matters(self, center: str) -> list[dict]:
        plans, _ = _plan(center)
        topology = load_topology()
        return [m for _, m in sorted(authority.in_force().items())
                if m["appointment"] and any(p.takes(m) for p in plans)
                and acceptance(m, "in_force", center, topology).allowed]

    def matter(self, center: str, code: str) -> dict:
        matter = matter_codes.pick(self.matters(center), code)
        if matter is not None:
            return matter
        raise ValidationError("matter: 该事项不能在该中心预约办理", field="matter")

    def slots(self, center: str, matter: dict, day: datetime.date | None) -> list[dict]:
        plans, percent = _plan(center)
        at = _now_ms()
        found = appointments.upcoming(plans, matter, calendar_in_force(),
                                      case_clock.china_at_ms(at), day)
        return self.bookings(center).free(found, percent, at)

    def slot(self, center: str, key: str, matter: dict) -> appointments.Slot:
        return appointments.find_slot(_plan(center)[0], key, calendar_in_force(), matter)

    def share(self, center: str) -> int:
        return _plan(center)[1]

    def bookings(self, center: str) -> Bookings:
        return Bookings(HubAppointment, "online", center, _announce, _forward)

    def center_of(self, number: str) -> str | None:
        return (HubAppointment.select(HubAppointment.center)
                .where(HubAppointment.id == number).scalar())

    def of_citizen(self, citizen) -> list[HubAppointment]:
        return list(HubAppointment.select().where(
            (HubAppointment.phone == citizen.phone) & (HubAppointment.id_code == citizen.id_code)
            & (HubAppointment.state != "expired"))
            .order_by(HubAppointment.day.desc(), HubAppointment.start.desc()).limit(100))

    def now_ms(self) -> int:
        return _now_ms()
