"""网上预约 at a node: the plan, the window's share of each slot's places, holds that run
out, booking, cancelling, moving and the clerk's day — overbooking stopped by the unique
place key, whatever the timing; the SMS written with the booking; reminders that expire."""
from __future__ import annotations

import datetime
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from node import appointments
from node.app import create_app
from node.models import Appointment, OutboxEvent, database
from sync import appointments as rules
from sync import case_clock
from sync.calendar import load_calendar
from sync.errors import Code, ConflictError, NotFound, ValidationError
from tests.node.test_online_application import citizen_of, clerk_of
from tests.node.test_openapi import check, response_schema
from tests.processes import hallsync
from tests.test_cases import PERSON, keys, node  # noqa: F401
from web.citizens import Citizen

PLAN = {"online_percent": 50, "windows": [
    {"window": "A01", "name": "综合窗口", "departments": [], "weekdays": [1, 2, 3, 4, 5, 6, 7],
     "times": ["09:00", "14:00"], "minutes": 30, "capacity": 4}]}
ALICE = Citizen(PERSON["phone"], PERSON["id_code"], "")
BOB = Citizen("13900000001", "11010519491231002X", "")
HOLD_S = 600


def at_ms(day: datetime.date, hhmm: str) -> int:
    moment = datetime.datetime.fromisoformat(f"{day.isoformat()}T{hhmm}").replace(
        tzinfo=case_clock.CHINA)
    return int(moment.timestamp() * 1000)


@pytest.fixture
def planned(node):  # noqa: F811
    keys(node)
    with database.connection_context():
        appointments.set_plan(PLAN)
        matter = appointments.bookable_matters(node.center)[0]
    return matter


def next_workday() -> datetime.date:
    day, calendar = case_clock.china_today() + datetime.timedelta(days=1), load_calendar()
    while not calendar.is_workday(day):
        day += datetime.timedelta(days=1)
    return day


def slot(day: datetime.date, start: str = "09:00") -> rules.Slot:
    plans, _ = appointments.plan()
    return rules.find_slot(plans, rules.slot_key(day, start, "A01"), load_calendar())


def sms(kind: str) -> list[dict]:
    payloads = (orjson.loads(p) for (p,) in OutboxEvent.select(OutboxEvent.payload).where(
        OutboxEvent.type == "sms.requested").tuples())
    return [p for p in payloads if p["kind"] == kind]


def test_the_plan_splits_each_slot_and_the_node_books_only_its_own_places():
    assert rules.online_places(4, 50) == 2 and rules.online_places(5, 50) == 2
    assert list(rules.places("online", 5, 50)) == [0, 1]
    assert list(rules.places("window", 5, 50)) == [2, 3, 4]
    assert list(rules.places("window", 3, 0)) == [0, 1, 2]
    assert list(rules.places("online", 3, 100)) == [0, 1, 2]
    assert not rules.places("window", 3, 100)


@pytest.mark.parametrize("window, field", [
    ({"window": "a1", "times": ["09:00"], "capacity": 2}, "windows[0].window"),
    ({"window": "A1", "times": ["10:00", "09:00"], "capacity": 2}, "windows[0].times"),
    ({"window": "A1", "times": ["9:00"], "capacity": 2}, "windows[0].times"),
    ({"window": "A1", "times": ["09:00"], "capacity": 0}, "windows[0].capacity"),
    ({"window": "A1", "times": ["09:00"], "capacity": 2, "weekdays": [8]},
     "windows[0].weekdays"),
    ({"window": "A1", "times": ["09:00"], "capacity": 2, "departments": ["nosuch"]},
     "windows[0].departments"),
])
def test_a_plan_with_a_mistake_is_refused_naming_the_field(window, field):
    with pytest.raises(ValidationError) as refused:
        rules.check_plan({"windows": [window]}, known_departments={"hrss", "police"})
    assert refused.value.extra["field"] == field


def test_a_refused_plan_leaves_the_plan_in_force(planned):
    with database.connection_context(), pytest.raises(ValidationError):
        appointments.set_plan({"windows": [{"window": "A1", "times": ["09:00"], "capacity": 2,
                                            "departments": ["nosuch"]}]})
    with database.connection_context():
        assert [p.window for p in appointments.plan()[0]] == ["A01"]


def test_a_citizen_holds_confirms_and_the_sms_and_the_clerks_day_follow(node, planned):  # noqa: F811
    app = create_app({"data_dir": str(node.data_dir), "TESTING": True})
    citizen = citizen_of(app)
    page = citizen.client.get(f"/citizen/appointments/new/{planned['basic_code']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    day = next_workday()
    key = rules.slot_key(day, "09:00", "A01")
    assert f'data-slot="{key}" data-free="2"' in html
    held = citizen.submit(f"/citizen/appointments/new/{planned['basic_code']}", {"slot": key})
    assert held.status_code == 302 and held.location.endswith("/confirm")
    number = held.location.split("/")[-2]
    no_name = citizen.submit(f"/citizen/appointments/{number}/confirm", {"name": " "})
    assert no_name.status_code == 422 and "请填写预约人姓名" in no_name.get_data(as_text=True)
    done = citizen.submit(f"/citizen/appointments/{number}/confirm", {"name": "张伟"})
    assert done.status_code == 302
    with database.connection_context():
        row = Appointment.get_by_id(number)
        assert (row.state, row.slot, row.side, row.place) == ("booked", key, "window", 2)
        [message] = sms("appointment_confirmed")
        assert message["phone"] == PERSON["phone"] and message["params"]["number"] == number
    detail = citizen.client.get(f"/citizen/appointments/{number}").get_data(as_text=True)
    assert "已预约" in detail and f"{day} 09:00" in detail

    clerk = clerk_of(app)
    listed = clerk.client.get(f"/window/appointments?date={day}").get_data(as_text=True)
    assert f'data-id="{number}"' in listed and "张伟" in listed
    bad = clerk.client.get("/window/appointments?date=2026/12")
    assert bad.status_code == 422 and "日期应为 YYYY-MM-DD" in bad.get_data(as_text=True)
    # Not yet the day: neither 到场 nor 未到场 can be recorded.
    early = clerk.submit(f"/window/appointments/{number}/mark", {"state": "no_show"})
    assert early.status_code == 302
    with database.connection_context():
        assert Appointment.get_by_id(number).state == "booked"


def test_the_api_books_the_windows_places_then_answers_slot_full(node, planned):  # noqa: F811
    app = create_app({"data_dir": str(node.data_dir), "TESTING": True})
    citizen = citizen_of(app)
    day, code = next_workday(), planned["basic_code"]
    anonymous = app.test_client()
    listed = anonymous.get(f"/api/appointments/slots?date={day}&matter={code}").get_json()
    assert [(s["start"], s["free"]) for s in listed["slots"]] == [("09:00", 2), ("14:00", 2)]
    check(response_schema("/api/appointments/slots", "get", 200), listed)
    assert anonymous.get("/api/appointments/slots?matter=SY99999").get_json() == {"slots": []}
    assert anonymous.get(f"/api/appointments/slots?matter={code}&center=210103").get_json() == {
        "slots": []}
    key = rules.slot_key(day, "09:00", "A01")
    unauthenticated = anonymous.post("/api/appointments", json={"slot": key, "matter": code})
    assert unauthenticated.status_code in (400, 401)  # no CSRF token, or no citizen login
    for _ in range(2):
        made = citizen.post("/api/appointments", json={"slot": key, "matter": code,
                                                       "name": "张伟"})
        assert made.status_code == 201 and made.get_json()["state"] == "booked"
        check(response_schema("/api/appointments", "post", 201), made.get_json())
    full = citizen.post("/api/appointments", json={"slot": key, "matter": code, "name": "张伟"})
    assert full.status_code == 409 and full.get_json()["code"] == Code.SLOT_FULL.value
    listed = anonymous.get(f"/api/appointments/slots?date={day}&matter={code}").get_json()
    assert [(s["start"], s["free"]) for s in listed["slots"]] == [("09:00", 0), ("14:00", 2)]
    with database.connection_context():
        assert sorted(a.place for a in Appointment.select()) == [2, 3]  # never the hub's 0, 1
    wrong = citizen.post("/api/appointments", json={"slot": f"{day} 09:10 A01", "matter": code,
                                                    "name": "张伟"})
    assert wrong.status_code == 422 and wrong.get_json()["field"] == "slot"


def race(n: int, book: Callable[[Citizen], None]) -> Counter:
    """``n`` citizens call ``book`` at the same moment, each on a thread of its own: how
    many booked and how many were refused, by code."""
    outcomes, barrier = [], threading.Barrier(n)

    def one(i: int) -> None:
        person = Citizen(f"139{i:08d}", ALICE.id_code, "")
        barrier.wait()
        try:
            book(person)
            outcomes.append("booked")
        except ConflictError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Counter(outcomes)


def test_many_at_once_for_the_last_places_book_exactly_as_many_as_there_are(node, planned):  # noqa: F811
    day = next_workday()
    now = at_ms(day, "08:00")
    with database.connection_context():
        target, percent = slot(day), appointments.plan()[1]

    def book(person: Citizen) -> None:
        with database.connection_context():
            held = appointments.bookings().hold(target, percent, planned, person, now, HOLD_S)
            appointments.bookings().confirm(held.id, person, "某", now)

    assert race(16, book) == {"booked": 2, Code.SLOT_FULL: 14}
    with database.connection_context():
        assert Appointment.select().where(Appointment.slot == target.key).count() == 2


def test_a_hold_that_runs_out_gives_its_place_back_and_cannot_be_confirmed(node, planned):  # noqa: F811
    day = next_workday()
    now = at_ms(day, "07:00")
    book = appointments.bookings()
    with database.connection_context():
        target, percent = slot(day), appointments.plan()[1]
        first = book.hold(target, percent, planned, ALICE, now, HOLD_S)
        book.hold(target, percent, planned, BOB, now, HOLD_S)
        with pytest.raises(ConflictError) as full:
            book.hold(target, percent, planned, BOB, now + 1000, HOLD_S)
        assert full.value.code == Code.SLOT_FULL
        later = now + (HOLD_S + 1) * 1000
        assert book.free([target], percent, later)[0]["free"] == 2  # both holds ran out
        with pytest.raises(ConflictError) as expired:
            book.confirm(first.id, ALICE, "张伟", later)
        assert expired.value.code == Code.HOLD_EXPIRED
        again = book.hold(target, percent, planned, BOB, later, HOLD_S)
        assert again.place in (2, 3)
        # Taking a place released the slot's abandoned forms first, both of them.
        assert book.release_expired(later) == 0
        assert Counter(a.state for a in Appointment.select()) == {"expired": 2, "held": 1}
        assert not sms("appointment_confirmed")


def test_cancel_and_move_free_the_old_place_and_the_day_records_who_came(node, planned):  # noqa: F811
    day = next_workday()
    book = appointments.bookings()
    with database.connection_context():
        morning, afternoon, percent = slot(day), slot(day, "14:00"), appointments.plan()[1]
        now = at_ms(day, "07:00")
        moved = book.confirm(book.hold(morning, percent, planned, ALICE, now, HOLD_S).id, ALICE,
                             "张伟", now)
        stays = book.confirm(book.hold(morning, percent, planned, BOB, now, HOLD_S).id, BOB,
                             "李娜", now)
        with pytest.raises(NotFound):
            book.get(moved.id, BOB)  # another person's booking is not found
        moved = book.reschedule(moved.id, ALICE, afternoon, percent, now)
        assert (moved.slot, moved.state) == (afternoon.key, "booked")
        assert book.free([morning, afternoon], percent, now)[0]["free"] == 1
        assert len(sms("appointment_confirmed")) == 3  # booked twice, moved once

        with pytest.raises(ConflictError):
            book.mark(stays.id, "no_show", at_ms(day, "08:59"))  # the slot has not begun
        assert book.mark(stays.id, "no_show", at_ms(day, "09:31")).state == "no_show"
        assert book.mark(moved.id, "arrived", at_ms(day, "13:50")).state == "arrived"
        with pytest.raises(ConflictError):
            book.cancel(moved.id, ALICE, at_ms(day, "13:55"))  # came already

        other = book.confirm(book.hold(morning, percent, planned, BOB, now, HOLD_S).id, BOB,
                             "李娜", now)
        assert book.cancel(other.id, BOB, now).state == "cancelled"
        assert Appointment.get_by_id(other.id).place_key is None
        listed = [a.id for a in appointments.day_list(day)]  # by time, window and place
        assert set(listed[:2]) == {stays.id, other.id} and listed[2] == moved.id


def test_a_reminder_is_written_once_the_day_before_and_expires_when_the_slot_begins(
        node, planned):  # noqa: F811
    day = next_workday()
    book = appointments.bookings()
    with database.connection_context():
        percent = appointments.plan()[1]
        early = at_ms(day - datetime.timedelta(days=2), "10:00")
        booked = book.confirm(book.hold(slot(day), percent, planned, ALICE, early, HOLD_S).id,
                              ALICE, "张伟", early)
        assert appointments.write_reminders(early) == 0  # more than a day ahead
        eve = at_ms(day - datetime.timedelta(days=1), "10:00")
        assert appointments.write_reminders(eve) == 1
        assert appointments.write_reminders(eve + 60_000) == 0  # once
        [reminder] = sms("appointment_reminder")
        begins = datetime.datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=case_clock.CHINA)
        assert reminder["expires_at"] == begins.astimezone(datetime.timezone.utc).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")
        assert reminder["params"]["date"] == booked.day


def test_the_plan_command_sets_the_plan_and_refuses_a_bad_file(node, tmp_path):  # noqa: F811
    good = Path(__file__).parents[2] / "config" / "appointments.example.toml"
    result = hallsync("node", "appointments", "plan", good, "--data-dir", node.data_dir,
                      "--json")
    assert orjson.loads(result.stdout.splitlines()[-1]) == {
        "windows": 2, "slots_per_day": 11, "online_percent": 50}
    bad = tmp_path / "bad.toml"
    bad.write_text('[[windows]]\nwindow = "A01"\ntimes = ["14:00", "09:00"]\ncapacity = 2\n',
                   encoding="utf-8")
    refused = hallsync("node", "appointments", "plan", bad, "--data-dir", node.data_dir,
                       check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith(
        "error: VALIDATION_FAILED: windows[0].times:")
    listed = hallsync("node", "appointments", "list", "--data-dir", node.data_dir, "--json")
    assert orjson.loads(listed.stdout.splitlines()[-1])["appointments"] == []


def test_the_nodes_chores_give_back_an_abandoned_hold(node, planned):  # noqa: F811
    from node.app import load_settings
    from node.scheduler import SyncJobs
    day = next_workday()
    with database.connection_context():
        percent = appointments.plan()[1]
        abandoned = appointments.bookings().hold(slot(day), percent, planned, ALICE,
                                                 appointments.now_ms() - 700_000, HOLD_S)
    SyncJobs(None, load_settings({"data_dir": str(node.data_dir)})).run_chores()
    with database.connection_context():
        row = Appointment.get_by_id(abandoned.id)
        assert (row.state, row.place_key) == ("expired", None)


def test_the_clerk_books_a_callers_place_by_the_same_bookings_with_the_sms(node, planned):  # noqa: F811
    app = create_app({"data_dir": str(node.data_dir), "TESTING": True})
    clerk, day, code = clerk_of(app), next_workday(), planned["basic_code"]
    key = rules.slot_key(day, "09:00", "A01")
    page = clerk.client.get(f"/window/appointments?date={day}").get_data(as_text=True)
    assert f'<option value="{key}"' in page and "（余 2）" in page
    caller = {"date": day.isoformat(), "matter": code, "slot": key, "name": "李娜",
              "phone": BOB.phone, "id_code": BOB.id_code}
    bad_phone = clerk.submit("/window/appointments", {**caller, "phone": "1390000"})
    assert bad_phone.status_code == 422 and "请输入 11 位手机号码" in bad_phone.get_data(
        as_text=True)
    bad_id = clerk.submit("/window/appointments", {**caller, "id_code": "110105194912310021"})
    assert bad_id.status_code == 422
    with database.connection_context():
        assert not Appointment.select().exists() and not sms("appointment_confirmed")
    for _ in range(2):
        assert clerk.submit("/window/appointments", caller).status_code == 302
    full = clerk.submit("/window/appointments", caller)
    assert full.status_code == 409 and "该时段已约满" in full.get_data(as_text=True)
    with database.connection_context():
        rows = list(Appointment.select().order_by(Appointment.place))
        assert [(r.state, r.side, r.place, r.name, r.phone) for r in rows] == [
            ("booked", "window", 2, "李娜", BOB.phone), ("booked", "window", 3, "李娜", BOB.phone)]
        assert sorted((m["phone"], m["params"]["number"]) for m in sms(
            "appointment_confirmed")) == sorted((BOB.phone, r.id) for r in rows)
    listed = clerk.client.get(f"/window/appointments?date={day}").get_data(as_text=True)
    assert all(f'data-id="{r.id}"' in listed for r in rows)
    # The caller logging in with the same phone and ID number sees the booking as theirs.
    mine = citizen_of(app, {"phone": BOB.phone, "id_code": BOB.id_code})
    assert {a["number"] for a in mine.client.get("/api/appointments").get_json()[
        "appointments"]} == {r.id for r in rows}
