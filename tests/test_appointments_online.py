"""网上预约 across the city: a center's plan reaches the hub with a push; the online hall
books only the online places of each slot while the street, offline, books its window's;
the bookings reach the center through its pull stream, and no slot ever holds more than
its capacity. 64 citizens at once for the last online places book exactly as many as
there are — on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime

import pytest

from hub.app import create_app as create_hub
from hub.models import HubAppointment, HubAppointmentPlan, SmsMessage
from hub.models import database as hub_database
from node import appointments
from node.models import Appointment, database
from sync import appointments as rules
from sync import case_clock
from sync.calendar import load_calendar
from sync.errors import Code, ConflictError
from tests.node.test_appointments import ALICE, BOB, HOLD_S, PLAN, at_ms, next_workday, race
from tests.test_cases import DISTRICT, keys, node  # noqa: F401
from tests.hub.sms.test_sender import Clock, gateway, sender  # noqa: F401
from tests.staff import hub_staff
from tests.test_complaints import HUB_DOC
from tests.test_consultation import hub_citizen
from web.citizens import Citizen


@pytest.fixture
def planned(hub, node):  # noqa: F811
    keys(node)
    with database.connection_context():
        appointments.set_plan(PLAN)
        matter = appointments.bookable_matters(node.center)[0]
    assert node.sync()["errors"] == []  # the plan goes with the push
    return matter


def hub_app(hub):
    return create_hub({"data_dir": str(hub.data_dir), "database_url": hub.db_url,
                       "TESTING": True})


def test_the_online_hall_and_an_offline_street_share_a_slot_and_never_overbook_it(
        hub, node, planned):  # noqa: F811
    app = hub_app(hub)
    with app.app_context(), hub_database.connection_context():
        assert HubAppointmentPlan.get_by_id(DISTRICT).online_percent == 50
    citizen = hub_citizen(app)
    day, code = next_workday(), planned["basic_code"]
    key = rules.slot_key(day, "09:00", "A01")
    listed = citizen.client.get(
        f"/api/appointments/slots?center={DISTRICT}&matter={code}&date={day}").get_json()
    assert [(s["start"], s["free"]) for s in listed["slots"]] == [("09:00", 2), ("14:00", 2)]
    assert citizen.client.get(f"/api/appointments/slots?center=210103&matter={code}"
                              ).get_json() == {"slots": []}  # sent no plan
    for _ in range(2):
        made = citizen.post("/api/appointments", json={"center": DISTRICT, "matter": code,
                                                       "slot": key, "name": "王芳"})
        assert made.status_code == 201, made.get_json()
    full = citizen.post("/api/appointments", json={"center": DISTRICT, "matter": code,
                                                   "slot": key, "name": "王芳"})
    assert full.status_code == 409 and full.get_json()["code"] == Code.SLOT_FULL.value
    with app.app_context(), hub_database.connection_context():
        assert sorted(a.place for a in HubAppointment.select()) == [0, 1]
        assert SmsMessage.select().where(SmsMessage.kind == "appointment_confirmed").count() == 2

    # Meanwhile the street, not yet synced, books its own two places and no more.
    book = appointments.bookings()
    with database.connection_context():
        plans, percent = appointments.plan()
        slot = rules.find_slot(plans, key, load_calendar())
        now = at_ms(day, "07:00")
        for person in (ALICE, BOB):
            book.confirm(book.hold(slot, percent, planned, person, now, HOLD_S).id, person,
                         "某", now)
        with pytest.raises(ConflictError):
            book.hold(slot, percent, planned, Citizen("13900000009", ALICE.id_code, ""), now,
                      HOLD_S)

    assert node.sync()["errors"] == []  # the hub's two bookings arrive
    with database.connection_context():
        held = [(a.place, a.side, a.state) for a in appointments.day_list(day)]
    assert sorted(held) == [(0, "online", "booked"), (1, "online", "booked"),
                            (2, "window", "booked"), (3, "window", "booked")]

    mine = citizen.client.get("/api/appointments").get_json()["appointments"]
    cancelled = citizen.post(f"/api/appointments/{mine[0]['number']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    assert node.sync()["errors"] == []
    with database.connection_context():
        row = Appointment.get_by_id(mine[0]["number"])
        assert (row.state, row.place_key) == ("cancelled", None)

    page = citizen.client.get(f"/citizen/appointments/?center={DISTRICT}").get_data(
        as_text=True)
    assert "和平区政务服务中心" in page and f"/citizen/appointments/new/{code}" in page


def test_64_citizens_at_once_for_the_online_places_book_exactly_as_many(hub, node, planned):  # noqa: F811
    app = hub_app(hub)
    day = next_workday()
    key = rules.slot_key(day, "14:00", "A01")
    hall = app.extensions["appointments"]
    with app.app_context(), hub_database.connection_context():
        slot = hall.slot(DISTRICT, key, planned)

    def book(person: Citizen) -> None:
        with app.app_context(), hub_database.connection_context(), hub_database.atomic():
            bookings = hall.bookings(DISTRICT)
            held = bookings.hold(slot, 50, planned, person, hall.now_ms(), HOLD_S)
            bookings.confirm(held.id, person, "某", hall.now_ms())

    assert race(64, book) == {"booked": 2, Code.SLOT_FULL: 62}
    with app.app_context(), hub_database.connection_context():
        assert HubAppointment.select().where(HubAppointment.slot == key).count() == 2


def test_the_clerks_marks_reach_the_hub_as_each_centers_no_shows(hub, node, planned):  # noqa: F811
    day = next_workday()
    book = appointments.bookings()
    with database.connection_context():
        plans, percent = appointments.plan()
        slot = rules.find_slot(plans, rules.slot_key(day, "09:00", "A01"), load_calendar())
        now = at_ms(day, "07:00")
        came, stayed_away = (book.confirm(book.hold(slot, percent, planned, person, now,
                                                    HOLD_S).id, person, "某", now)
                             for person in (ALICE, BOB))
        appointments.mark(came.id, "arrived", at_ms(day, "09:05"))
        appointments.mark(stayed_away.id, "no_show", at_ms(day, "09:40"))
        with pytest.raises(ConflictError):  # marked once; nothing more is written
            appointments.mark(came.id, "no_show", at_ms(day, "09:41"))
    assert node.sync()["errors"] == []

    operator = hub_staff(hub_app(hub))
    stats = operator.client.get(f"/api/stats?center={DISTRICT}&start={day}&end={day}")
    assert stats.status_code == 200
    HUB_DOC.check({"$ref": "#/components/schemas/Stats"}, stats.get_json())
    expected = {"arrived": 1, "no_show": 1, "no_show_rate": 0.5}
    assert stats.get_json()["appointments"] == stats.get_json()["own_appointments"] == expected
    city = operator.client.get(f"/api/stats?start={day}&end={day}").get_json()
    (district,) = [c for c in city["children"] if c["code"] == DISTRICT]
    assert district["appointments"] == city["appointments"] == expected
    other_day = day + datetime.timedelta(days=1)
    assert operator.client.get(f"/api/stats?center={DISTRICT}&start={other_day}&end={other_day}"
                               ).get_json()["appointments"] == {
        "arrived": 0, "no_show": 0, "no_show_rate": None}


def test_a_week_offline_while_the_online_hall_books_the_same_days(hub, node, planned):  # noqa: F811
    """The street books its window's places of every slot of the coming week while offline;
    the online hall books, cancels and rebooks the online places of the same slots; after
    one sync no slot holds more than its capacity and every online booking is at the
    street exactly once, in the hub's state."""
    app = hub_app(hub)
    citizen = hub_citizen(app)
    code, calendar = planned["basic_code"], load_calendar()
    week = [case_clock.china_today() + datetime.timedelta(days=n) for n in range(1, 8)]
    keys_ = [s["slot"] for day in week for s in citizen.client.get(
        f"/api/appointments/slots?center={DISTRICT}&matter={code}&date={day}").get_json()["slots"]]
    assert len(keys_) >= 6  # three working days at least, two slots each
    hall_ids = []
    for key in keys_:
        for _ in range(3):  # 2 online places: the third is refused
            made = citizen.post("/api/appointments", json={"center": DISTRICT, "matter": code,
                                                           "slot": key, "name": "王芳"})
            if made.status_code == 201:
                hall_ids.append(made.get_json()["number"])
            else:
                assert made.get_json()["code"] == Code.SLOT_FULL.value
    assert len(hall_ids) == 2 * len(keys_)
    for number in hall_ids[::3]:  # a third cancelled, and the place taken again
        assert citizen.post(f"/api/appointments/{number}/cancel").status_code == 200
    for key in keys_:
        citizen.post("/api/appointments", json={"center": DISTRICT, "matter": code,
                                                "slot": key, "name": "李雷"})

    book, people = appointments.bookings(), [ALICE, BOB, Citizen("13900000002", ALICE.id_code,
                                                                 "")]
    with database.connection_context():  # offline all along: the window's own places
        plans, percent = appointments.plan()
        now = appointments.now_ms()
        for key in keys_:
            slot = rules.find_slot(plans, key, calendar)
            for person in people:
                try:
                    book.confirm(book.hold(slot, percent, planned, person, now, HOLD_S).id,
                                 person, "某", now)
                except ConflictError:
                    assert person is people[-1]  # 2 window places: the third is refused

    assert node.sync()["errors"] == []
    with app.app_context(), hub_database.connection_context():
        at_hub = {a.id: a.state for a in HubAppointment.select()}
    with database.connection_context():
        rows = list(Appointment.select())
    online = {a.id: a.state for a in rows if a.side == "online"}
    assert online == at_hub  # none lost, none doubled, each in the hub's state
    for key in keys_:
        taken = [a.place for a in rows if a.slot == key and a.place_key is not None]
        assert len(taken) == len(set(taken)) == 4  # full, and never past its capacity


def test_reminders_written_by_a_street_offline_72_hours_are_dropped_never_sent_late(
        hub, node, planned, gateway):  # noqa: F811
    day = next_workday()
    book = appointments.bookings()
    with database.connection_context():
        plans, percent = appointments.plan()
        slot = rules.find_slot(plans, rules.slot_key(day, "09:00", "A01"), load_calendar())
        now = appointments.now_ms()
        for person in (ALICE, BOB):
            book.confirm(book.hold(slot, percent, planned, person, now, HOLD_S).id, person,
                         "某", now)
        # The chores job, the evening before, with the hub out of reach for 72 hours.
        evening = at_ms(day, "09:00") - 15 * 3600 * 1000
        assert appointments.write_reminders(evening) == 2
    assert node.sync()["errors"] == []  # 72 hours later

    app = hub_app(hub)
    with app.app_context(), hub_database.connection_context():
        send = sender(gateway, Clock(evening + 72 * 3600 * 1000))
        send.drain()
        send.close()
        by_kind = [(m.kind, m.status) for m in SmsMessage.select().order_by(SmsMessage.kind)]
    assert by_kind == [("appointment_confirmed", "sent")] * 2 + [
        ("appointment_reminder", "dropped")] * 2
    assert gateway.state()["messages"] == 2  # the confirmations, never a reminder
