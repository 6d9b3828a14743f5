"""投诉: a citizen complains about one of their cases or a center's window, at a node or at the
hub's online hall (forwarded to the center that owns the case); the center admin answers
within 5 working days, the citizen is texted and reads the answer; the hub counts received,
answered, answered late and open past the due day per center."""
from __future__ import annotations

import csv
import datetime
import json

import orjson
import pytest

from hub import db as hub_db
from hub.app import create_app as create_hub
from hub.models import HubComplaint, SmsMessage
from hub.views.stats_api import OPENAPI as HUB_OPENAPI
from node import complaints
from node.api import OPENAPI as NODE_OPENAPI
from node.app import create_app
from node.cases import intake
from node.models import Complaint, OutboxEvent, database
from node.users import add_user
from sync import complaints as rules
from sync.calendar import load_calendar
from sync.case_clock import china_today
from sync.envelope import now_ms
from sync.errors import ValidationError
from tests.openapi_check import Schemas
from tests.staff import PASSWORD, Staff, hub_staff
from tests.test_cases import (CLERK, DISTRICT, ENTERPRISE, MATTER, PERSON,  # noqa: F401
                              everything, keys, node)
from tests.test_consultation import hub_citizen
from tests.web.test_citizens import ID, PHONE

NODE_DOC = Schemas(json.loads(NODE_OPENAPI.read_text(encoding="utf-8")))
HUB_DOC = Schemas(json.loads(HUB_OPENAPI.read_text(encoding="utf-8")))
PAST = "2026-01-05"  # a due day long gone: the complaint is overdue


def outbox(type_: str) -> list[dict]:
    with database.connection_context():
        return [orjson.loads(p) for (p,) in OutboxEvent.select(OutboxEvent.payload)
                .where(OutboxEvent.type == type_).order_by(OutboxEvent.seq).tuples()]


def fits(doc: Schemas, path: str, status: int, response) -> None:
    answer = doc.resolve(doc.doc["paths"][path]["post"]["responses"][str(status)])
    doc.check(answer["content"]["application/json"]["schema"], response.get_json())


def node_citizen(app) -> Staff:
    citizen = Staff(app.test_client())
    assert citizen.post("/api/citizen/code", json={"phone": PERSON["phone"]}).status_code == 202
    (code,) = [m["params"]["code"] for m in outbox("sms.requested")
               if m["kind"] == "verification_code"]
    assert citizen.post("/api/citizen/session", json={
        "phone": PERSON["phone"], "code": code, "id_code": PERSON["id_code"]}).status_code == 201
    return citizen


def test_a_complaint_is_checked_and_a_refusal_writes_nothing(node):
    k = keys(node)
    other = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": PERSON,
                                        "materials": everything(), "outcome": "accept"})
    with pytest.raises(ValidationError, match="请选择投诉类别"):
        complaints.file(k, DISTRICT, "rude", "态度差", id_code=PERSON["id_code"])
    with pytest.raises(ValidationError, match="请填写投诉内容"):
        complaints.file(k, DISTRICT, "attitude", "  ", id_code=PERSON["id_code"])
    with pytest.raises(ValidationError, match="请填写投诉内容"):
        complaints.file(k, DISTRICT, "attitude", "长" * 501, id_code=PERSON["id_code"])
    with pytest.raises(ValidationError, match="未找到您本人") as refused:  # another's case
        complaints.file(k, DISTRICT, "time_limit", "超期未办", id_code="210102199001011234",
                        case_number=other["number"])
    assert refused.value.field == "case_number"
    with pytest.raises(ValidationError, match="未找到您本人"):
        complaints.file(k, DISTRICT, "time_limit", "超期未办", id_code=PERSON["id_code"],
                        case_number="210102-20200101-00001")
    with database.connection_context():
        assert Complaint.select().count() == 0
    assert outbox(rules.FILED) == []


def test_the_due_day_is_five_working_days_on():
    calendar = load_calendar()
    friday = datetime.date(2026, 11, 27)
    assert rules.due_day(friday, calendar) == calendar.add_workdays(friday, 5).day
    assert rules.due_day(friday, calendar) == datetime.date(2026, 12, 4)  # no holiday between
    assert rules.answered_late("2026-12-05T09:00:00+08:00", "2026-12-04")
    assert not rules.answered_late("2026-12-04T17:00:00+08:00", "2026-12-04")


def test_at_a_node_the_center_admin_answers_and_the_citizen_is_texted(node):
    k = keys(node)
    case = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": PERSON,
                                       "materials": everything(), "outcome": "accept"})
    app = create_app({"data_dir": str(node.data_dir), "TESTING": True})
    citizen = node_citizen(app)
    assert Staff(app.test_client()).post("/api/complaints", json={
        "category": "attitude", "text": "x"}).status_code == 401
    home = citizen.client.get("/citizen/").get_data(as_text=True)
    assert f'href="/complain?case={case["number"]}"' in home  # each case leads to the form
    form = citizen.client.get(f"/complain?case={case['number']}").get_data(as_text=True)
    assert "投诉类别" in form and f'value="{case["number"]}"' in form and "5 个工作日" in form
    empty = citizen.submit("/complain", {"category": "attitude", "text": ""})
    assert empty.status_code == 422 and "请填写投诉内容" in empty.get_data(as_text=True)
    bad = citizen.post("/api/complaints", json={"category": "nope", "text": "排队太久"})
    assert bad.status_code == 422 and bad.get_json()["code"] == "VALIDATION_FAILED"
    fits(NODE_DOC, "/api/complaints", 422, bad)
    with database.connection_context():
        assert Complaint.select().count() == 0
    text = "窗口人员态度生硬，不解释需补正的原因。"
    assert citizen.submit("/complain", {"category": "attitude", "text": text,
                                        "case_number": case["number"]}).status_code == 303
    filed = citizen.post("/api/complaints", json={"category": "other", "text": "叫号屏不显示"})
    assert filed.status_code == 201
    fits(NODE_DOC, "/api/complaints", 201, filed)
    body = filed.get_json()
    assert (body["center"], body["state"], body["case_number"]) == (DISTRICT, "open", "")
    assert body["due"] == rules.due_day(china_today(), load_calendar()).isoformat()
    assert "待答复" in citizen.client.get("/complain/mine").get_data(as_text=True)
    events = outbox(rules.FILED)
    assert len(events) == 2 and all(PERSON["phone"] not in orjson.dumps(e).decode()
                                    for e in events)  # no event says who complained

    with database.connection_context():
        add_user("desk", PASSWORD, ["clerk"], now_ms=now_ms())
        add_user("boss", PASSWORD, ["center_admin"], now_ms=now_ms())
        Complaint.update(due=PAST).where(Complaint.id == body["id"]).execute()
    desk, boss = Staff(app.test_client()), Staff(app.test_client())
    assert desk.login("desk").status_code == 302 and boss.login("boss").status_code == 302
    assert desk.client.get("/complaints/").status_code == 403  # the center admin's work
    page = boss.client.get("/complaints/").get_data(as_text=True)
    assert text in page and "已超期" in page and 'id="count-overdue">1<' in page
    (mine,) = [c for c in complaints.listing(china_today()) if c["case_number"]]
    assert desk.submit(f"/complaints/{mine['id']}/answer", {"answer": "已批评"}).status_code == 403
    refused = boss.submit(f"/complaints/{mine['id']}/answer", {"answer": " "})
    assert refused.status_code == 422 and "请填写答复内容" in refused.get_data(as_text=True)
    answer = "已约谈该窗口人员，并在窗口张贴补正事项说明。"
    assert boss.submit(f"/complaints/{mine['id']}/answer", {"answer": answer}).status_code == 303
    again = boss.submit(f"/complaints/{mine['id']}/answer", {"answer": "再答"})
    assert again.status_code == 409 and "该投诉已答复" in again.get_data(as_text=True)
    (sms,) = [m for m in outbox("sms.requested") if m["kind"] == "complaint_answered"]
    assert sms["phone"] == PERSON["phone"] and sms["params"]["category"] == "服务态度"
    assert sms["case"] == case["number"]
    assert [e["id"] for e in outbox(rules.ANSWERED)] == [mine["id"]]
    assert answer in citizen.client.get("/complain/mine").get_data(as_text=True)
    assert node.sync()["errors"] == []  # the hub takes the events and the SMS


def test_a_complaint_at_the_hub_goes_to_the_cases_center_is_answered_and_counted(hub, node):
    k = keys(node)
    applicant = {**PERSON, "phone": PHONE, "id_code": ID}
    case = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": applicant,
                                       "materials": everything(), "outcome": "accept"})
    someone_elses = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                                "materials": everything(), "outcome": "accept"})
    assert node.sync()["errors"] == []  # the hub has the cases and their owner
    hub_app = create_hub({"data_dir": str(hub.data_dir), "database_url": hub.db_url,
                          "TESTING": True})
    citizen = hub_citizen(hub_app)
    form = citizen.client.get("/complain").get_data(as_text=True)
    assert "和平区政务服务中心" in form and "办件编号" in form
    refused = citizen.post("/api/complaints", json={
        "category": "time_limit", "text": "超期", "case_number": someone_elses["number"]})
    assert refused.status_code == 422 and refused.get_json()["field"] == "case_number"
    no_center = citizen.submit("/complain", {"category": "attitude", "text": "态度差"})
    assert no_center.status_code == 422 and "请选择投诉的政务服务中心" in no_center.get_data(
        as_text=True)
    text = "办件已超过承诺期限仍未办结，也无人说明原因。"
    filed = citizen.post("/api/complaints", json={"category": "time_limit", "text": text,
                                                  "case_number": case["number"],
                                                  "center": "210103"})
    assert filed.status_code == 201 and filed.get_json()["center"] == DISTRICT  # the case's
    fits(HUB_DOC, "/api/complaints", 201, filed)
    assert citizen.submit("/complain", {"category": "fee", "text": "复印材料收费",
                                        "center": DISTRICT}).status_code == 303
    assert "已转中心处理" in citizen.client.get("/complain/mine").get_data(as_text=True)

    assert node.sync()["errors"] == []  # pull: the two complaints; push: the center's events
    with database.connection_context():
        forwarded = {c.category: c for c in Complaint.select()}
        add_user("boss", PASSWORD, ["center_admin"], now_ms=now_ms())
        # The time-limit complaint waited past its 5 working days: answered late.
        Complaint.update(due=PAST).where(Complaint.category == "time_limit").execute()
    assert set(forwarded) == {"time_limit", "fee"}
    late = forwarded["time_limit"]
    assert (late.channel, late.case_number, late.text, late.phone) == (
        "hub", case["number"], text, PHONE)
    app = create_app({"data_dir": str(node.data_dir), "TESTING": True})
    boss = Staff(app.test_client())
    assert boss.login("boss").status_code == 302
    page = boss.client.get("/complaints/").get_data(as_text=True)
    assert text in page and "网上大厅" in page and "已超期" in page
    answer = "经核查，该办件因需现场勘验延期，已督促承办部门三日内办结。"
    assert boss.submit(f"/complaints/{late.id}/answer", {"answer": answer}).status_code == 303
    assert node.sync()["errors"] == []
    assert answer in citizen.client.get("/complain/mine").get_data(as_text=True)
    database_hub = hub_db.bind(hub.db_url)
    try:
        rows = {r.category: r for r in HubComplaint.select()}
        assert rows["time_limit"].answer == answer and rows["fee"].answered_at is None
        assert rows["fee"].due == rules.due_day(china_today(), load_calendar()).isoformat()
        # Both due days as long gone: the answer came late, the other is open past its day.
        HubComplaint.update(due=PAST).execute()
        texted = [orjson.loads(m.params) for m in SmsMessage.select().where(
            (SmsMessage.kind == "complaint_answered") & (SmsMessage.phone == PHONE))]
    finally:
        database_hub.close()
    assert texted and texted[0]["category"] == "办理时限"  # the center's SMS, sent by the hub
    operator = hub_staff(hub_app)
    listed = operator.client.get("/complaints").get_data(as_text=True)
    assert text in listed and "逾期答复" in listed and "已超期" in listed
    today = china_today().isoformat()
    stats = operator.client.get(f"/api/stats?center={DISTRICT}&start={today}&end={today}")
    assert stats.status_code == 200
    HUB_DOC.check({"$ref": "#/components/schemas/Stats"}, stats.get_json())
    counted = stats.get_json()
    assert counted["complaints"] == counted["own_complaints"] == {
        "received": 2, "answered": 1, "answered_late": 1, "open_overdue": 1}
    city = operator.client.get(f"/api/stats?start={today}&end={today}").get_json()
    assert city["complaints"]["received"] == 2
    (district,) = [c for c in city["children"] if c["code"] == DISTRICT]
    assert district["complaints"]["answered_late"] == 1
    report = operator.client.get(f"/reports/month?center={DISTRICT}&date={today[:7]}")
    assert report.status_code == 200
    assert 'id="complaints-answered_late"' in report.get_data(as_text=True)
    rows = list(csv.reader(operator.client.get(
        f"/api/reports/month.csv?center={DISTRICT}&date={today[:7]}").get_data(as_text=True)
        .splitlines()))
    total = dict(zip(rows[0], rows[1]))
    assert (total["投诉件数"], total["逾期答复投诉"], total["超期未答复投诉"]) == ("2", "1", "1")
