"""差评整改: a bad review opens a rectification order with it, in one transaction; the
center admin records 回访 and replies (an SMS to the applicant) within the working-day
period (yellow at 80%, red past it), may appeal, and a district admin decides the
appeal at the hub, which tells the center."""
from __future__ import annotations

import datetime

import orjson
import pytest

from hub import db as hub_db
from hub.app import create_app as create_hub
from hub.models import HubMessage, HubRectification
from node import evaluation, store
from node.app import create_app
from node.cases import act, intake
from node.models import OutboxEvent, Rectification, database
from node.users import add_user
from sync import rectification as rules
from sync.calendar import load_calendar
from sync.envelope import now_ms
from sync.errors import ConflictError, ValidationError
from tests.staff import PASSWORD, Staff, hub_staff
from tests.test_cases import (APPROVER, CLERK, DISTRICT, MATTER, PERSON, REVIEWER,  # noqa: F401
                              everything, keys, node)

OTHER_DISTRICT = "210103"  # 沈河区


def completed_case(k) -> str:
    number = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": PERSON,
                                         "materials": everything(), "outcome": "accept"})["number"]
    for action, actor, data in [("start_review", REVIEWER, {}),
                                ("submit_for_approval", REVIEWER, {}),
                                ("decide", APPROVER, {"outcome": "approved",
                                                      "document_number": "沈电审〔2026〕8号"})]:
        act(k, DISTRICT, number, action, actor, data)
    return number


def rate(k, number: str, level: str, comment: str = "") -> None:
    with database.atomic():
        token = evaluation.open_pad(number, DISTRICT)
    evaluation.submit(k, DISTRICT, evaluation.token_hash(token),
                      {"level": level, "comment": comment})


def events_of(type_: str) -> list[dict]:
    return [orjson.loads(p) for (p,) in OutboxEvent.select(OutboxEvent.payload)
            .where(OutboxEvent.type == type_).order_by(OutboxEvent.seq).tuples()]


# -- the rules, shared by node and hub ------------------------------------------------------

def order(days: int = 5, opened=datetime.date(2026, 3, 2)):  # a Monday, no holiday near
    due = rules.due_day(opened, days, load_calendar())
    return rules.apply(None, {"number": "N", "n": 0, "action": "open", "user": "系统",
                              "at": f"{opened}T10:00:00+08:00",
                              "data": {"level": "dissatisfied", "comment": "慢", "days": days,
                                       "due": due.isoformat()}})


def test_the_light_turns_yellow_at_80_percent_and_red_past_the_period():
    calendar, o = load_calendar(), order()
    assert o.due == datetime.date(2026, 3, 9)  # 5 working days after Monday 2 March
    lights = {day: rules.light(o, calendar, datetime.date(2026, 3, day)) for day in range(2, 11)}
    assert lights == {2: "green", 3: "green", 4: "green", 5: "green", 6: "green",
                      7: "green", 8: "green",  # the weekend uses none of the period
                      9: "yellow",             # the due day: 4 of 5 working days used
                      10: "red"}               # past it: 100%
    replied = rules.apply(rules.apply(o, {"number": "N", "n": 1, "action": "callback",
                                          "user": "a", "at": "2026-03-10T09:00:00+08:00",
                                          "data": {"note": "电话回访"}}),
                          {"number": "N", "n": 2, "action": "reply", "user": "a",
                           "at": "2026-03-10T10:00:00+08:00", "data": {"text": "已整改"}})
    assert rules.light(replied, calendar, datetime.date(2026, 3, 20)) == "done"
    assert rules.replied_late(replied, calendar)


def test_the_rules_refuse_steps_out_of_turn():
    o = order()

    def step(n, action, **data):
        return {"number": "N", "n": n, "action": action, "user": "a",
                "at": "2026-03-03T09:00:00+08:00", "data": data}
    with pytest.raises(ConflictError, match="请先回访"):
        rules.apply(o, step(1, "reply", text="已整改"))
    with pytest.raises(ValidationError, match="回访情况"):
        rules.apply(o, step(1, "callback", note="  "))
    with pytest.raises(ConflictError, match="序号"):
        rules.apply(o, step(2, "callback", note="电话"))
    appealed = rules.apply(o, step(1, "appeal", reason="恶意差评"))
    with pytest.raises(ConflictError, match="只能申诉一次"):
        rules.apply(appealed, step(2, "appeal", reason="再次"))
    with pytest.raises(ValidationError, match="只有差评"):
        rules.apply(None, {**o.steps[0], "data": {**o.steps[0]["data"], "level": "satisfied"}})


# -- node and hub ---------------------------------------------------------------------------

def test_a_good_review_opens_no_order(node):
    k = keys(node)
    number = completed_case(k)
    rate(k, number, "satisfied")
    with database.connection_context():
        assert Rectification.select().count() == 0 and events_of(rules.ACTION) == []


def test_a_bad_review_opens_an_order_that_the_center_answers_and_the_hub_decides_its_appeal(
        hub, node):
    k = keys(node)
    number = completed_case(k)
    rate(k, number, "very_dissatisfied", "窗口人员态度生硬")
    with database.connection_context():
        opened = events_of(rules.ACTION)
        assert [(e["action"], e["data"]["level"], e["data"]["days"]) for e in opened] == [
            ("open", "very_dissatisfied", 5)]
        assert "13800000000" not in orjson.dumps(opened).decode()  # who rated is not in it
        add_user("chief", PASSWORD, ["center_admin"], now_ms=now_ms())
        add_user("desk", PASSWORD, ["clerk"], now_ms=now_ms())
    app = create_app({"data_dir": str(node.data_dir), "TESTING": True})
    chief, desk = Staff(app.test_client()), Staff(app.test_client())
    assert chief.login("chief").status_code == 302 and desk.login("desk").status_code == 302

    page = chief.client.get("/rectifications/").get_data(as_text=True)
    assert number in page and "非常不满意" in page and "窗口人员态度生硬" in page
    assert desk.client.get("/rectifications/").status_code == 403  # staff rated see no orders
    refused = chief.submit(f"/rectifications/{number}/reply", {"text": "已整改"})
    assert refused.status_code == 409 and "请先回访" in refused.get_data(as_text=True)
    empty = chief.submit(f"/rectifications/{number}/callback", {"note": ""})
    assert empty.status_code == 422 and "请填写回访情况" in empty.get_data(as_text=True)
    with database.connection_context():
        assert len(events_of(rules.ACTION)) == 1  # refusals change nothing
    assert chief.submit(f"/rectifications/{number}/callback",
                        {"note": "3月3日电话回访，申请人反映等候时间长"}).status_code == 303
    assert chief.submit(f"/rectifications/{number}/reply",
                        {"text": "已对窗口人员批评教育并增开窗口"}).status_code == 303
    assert chief.submit(f"/rectifications/{number}/reply",
                        {"text": "再答复"}).status_code == 409
    appeal = chief.post(f"/api/rectifications/{number}/appeal", json={"reason": "申请人材料不全"})
    assert appeal.status_code == 201 and appeal.get_json()["appeal_state"] == "pending"
    shown = chief.client.get(f"/api/rectifications/{number}").get_json()
    assert (shown["light"], shown["callbacks"], [s["action"] for s in shown["steps"]]) == (
        "done", 1, ["open", "callback", "reply", "appeal"])
    with database.connection_context():
        sms = [e for e in events_of("sms.requested") if e["kind"] == "rectification_reply"]
    assert [(s["phone"], s["params"]) for s in sms] == [
        ("13800000000", {"number": number, "phone": "12345"})]

    assert node.sync()["errors"] == []
    hub_app = create_hub({"data_dir": str(hub.data_dir), "database_url": hub.db_url,
                          "TESTING": True})
    db = hub_db.bind(hub.db_url)
    try:
        held = HubRectification.get(HubRectification.number == number)
        assert (held.center, held.level, held.appeal_state) == (DISTRICT, "very_dissatisfied",
                                                                "pending")
    finally:
        db.close()
    shenhe = hub_staff(hub_app, "shenhe", ["district_admin"], scope=OTHER_DISTRICT)
    assert shenhe.client.get("/api/rectifications").get_json() == {"orders": []}
    assert shenhe.post(f"/api/rectifications/{number}/decision",
                       json={"decision": "upheld", "note": "x"}).status_code == 404
    heping = hub_staff(hub_app, "heping", ["district_admin"], scope=DISTRICT)
    assert heping.post(f"/api/rectifications/{number}/decision",
                       json={"decision": "upheld"}).status_code == 422
    listed = heping.client.get("/rectifications").get_data(as_text=True)
    assert number in listed and "申诉待审" in listed and "申请人材料不全" in listed
    done = heping.post(f"/api/rectifications/{number}/decision",
                       json={"decision": "upheld", "note": "经核实，申请人材料确不齐全"})
    assert done.status_code == 201 and done.get_json()["appeal_state"] == "upheld"
    assert heping.post(f"/api/rectifications/{number}/decision",
                       json={"decision": "rejected", "note": "再审"}).status_code == 409
    db = hub_db.bind(hub.db_url)
    try:
        assert HubMessage.select().where(HubMessage.type == rules.APPEAL_DECIDED).count() == 1
    finally:
        db.close()

    assert node.sync()["errors"] == []  # the decision comes down the stream
    store.bind(node.data_dir)
    with database.connection_context():
        row = Rectification.get(Rectification.number == number)
    assert (row.appeal_state, row.appeal_note) == ("upheld", "经核实，申请人材料确不齐全")


def test_satisfaction_per_window_counts_the_receiving_clerk_and_leaves_out_upheld_appeals(
        hub, node):
    from node.case_log import Actor
    from sync.case_clock import china_today
    from hub.stats.satisfaction import by_window
    k = keys(node)
    rated = [(CLERK, "very_satisfied", ""), (CLERK, "dissatisfied", "等候太久"),
             (Actor("liu", "clerk"), "very_dissatisfied", "态度差"),
             (Actor("liu", "clerk"), "basically_satisfied", "")]
    numbers = []
    for clerk, level, comment in rated:
        number = intake(k, DISTRICT, clerk, {"matter_code": MATTER, "applicant": PERSON,
                                             "materials": everything(),
                                             "outcome": "accept"})["number"]
        for action, actor, data in [("start_review", REVIEWER, {}),
                                    ("submit_for_approval", REVIEWER, {}),
                                    ("decide", APPROVER, {"outcome": "approved",
                                                          "document_number": "沈电审〔2026〕9号"})]:
            act(k, DISTRICT, number, action, actor, data)
        rate(k, number, level, comment)
        numbers.append(number)
    from node import rectification
    from node.case_log import Actor as NodeActor
    rectification.act(k, DISTRICT, numbers[2], "appeal", NodeActor("chief", "center_admin"),
                      {"reason": "申请人未按预约时间到场"})
    assert node.sync()["errors"] == []
    hub_app = create_hub({"data_dir": str(hub.data_dir), "database_url": hub.db_url,
                          "TESTING": True})
    operator = hub_staff(hub_app)
    assert operator.post(f"/api/rectifications/{numbers[2]}/decision",
                         json={"decision": "upheld", "note": "属实"}).status_code == 201
    today = china_today()
    db = hub_db.bind(hub.db_url)
    try:
        windows = {w["window"]: w for w in by_window(DISTRICT, today, today)}
        assert by_window("210103", today, today) == []  # another center's windows: none
    finally:
        db.close()
    assert {name: (w["evaluated"], w["satisfied"], w["bad_reviews"], w["appeals_upheld"],
                   w["satisfaction_rate"]) for name, w in windows.items()} == {
        "wang": (2, 1, 1, 0, 0.5), "liu": (1, 1, 0, 1, 1.0)}
    assert windows["wang"]["levels"]["dissatisfied"] == 1
    page = operator.client.get(f"/dashboard?center={DISTRICT}&period=day&date={today}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-window="wang"' in html and "50.0%" in html
