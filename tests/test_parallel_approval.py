"""Parallel approval across the city and district levels (市区两级并联审批), through a
real hub process and real node data.

A street collects a matter its district decides; the district takes it over and
opens a joint approval consulting its own fire department and the city's
natural-resources bureau at the city center. The city gets the case, asks for a
supplement (the clock stops) while the fire department consents meanwhile; the
materials come in, the city consents, the district decides, the street delivers.
Every center ends with the same timeline; no center ever writes another's record.
"""
from __future__ import annotations

import copy
import datetime

import orjson
import pytest

from hub.models import Event, HubCase, HubMessage
from node import outbox
from node.inbox import Context
from node.models import OutboxEvent
from node.models import database as node_database
from node.parallel import _opinion, give_opinion
from sync.case_clock import china_today
from sync.errors import AuthError, ConflictError, ProtocolError, ValidationError
from sync.signing import b64
from tests.test_handoffs import (APPROVER, CLERK, DISTRICT, OTHER_DISTRICT, REVIEWER,  # noqa: F401
                                 STREET, at_hub, collect, district, enrolled, street, timeline)

CITY = "210100"
DUE = (china_today() + datetime.timedelta(days=20)).isoformat()


def opinion(center, number, **data):
    with center as keys:
        return give_opinion(keys, center.code, number, "chen", data)


@pytest.fixture
def city(hub, make_node):
    return enrolled(hub, make_node, CITY)


def in_joint_review(street, district):
    """A street's case, taken over by the district, in a joint approval with the city."""
    number = collect(street)["number"]
    street.sync()
    district.sync()
    for action, actor, data in [
            ("take_over", REVIEWER, {}), ("start_review", REVIEWER, {}),
            ("open_joint", REVIEWER, {"departments": {"fire": DUE, "natres": DUE},
                                      "centers": {"natres": CITY}})]:
        case = district.act(number, action, actor, data)
    assert case["state"] == "joint_review"
    district.sync()
    return number


def test_city_and_district_decide_in_parallel_one_side_asking_for_materials(
        hub, street, district, city):
    number = in_joint_review(street, district)
    city.sync()
    copy_at_city = city.view(number)
    assert copy_at_city["state"] == "joint_review" and copy_at_city["holder"] == DISTRICT
    with pytest.raises(ProtocolError):  # a read-only copy: the city never writes the case
        city.act(number, "joint_decide", REVIEWER, {"department": "natres", "decision": "consent"})
    with pytest.raises(ValidationError, match="须记录该中心签发的意见"):  # nor the district for it
        district.act(number, "joint_decide", REVIEWER, {"department": "natres",
                                                        "decision": "consent"})

    # The city asks for a material; the district's fire department consents meanwhile.
    opinion(city, number, department="natres", decision="supplement", missing=["规划设计方案"])
    with pytest.raises(ConflictError, match="已发出"):
        opinion(city, number, department="natres", decision="consent")
    city.sync()
    district.sync()
    paused = district.view(number)
    assert paused["state"] == "suspended_supplement" and paused["missing"] == ["规划设计方案"]
    assert paused["history"][-1]["user"] == "chen（沈阳市政务服务中心）"
    during = district.act(number, "joint_decide", APPROVER, {"department": "fire",
                                                             "decision": "consent"})
    assert during["state"] == "suspended_supplement"  # 并联: the other side went on
    district.act(number, "supplement_in", CLERK)
    district.sync()
    city.sync()
    assert city.view(number)["state"] == "joint_review"

    opinion(city, number, department="natres", decision="consent", reason="符合规划")
    city.sync()
    district.sync()
    assert district.view(number)["state"] == "in_approval"
    for action, actor, data in [("decide", APPROVER, {"outcome": "approved",
                                                      "document_number": "和食经〔2026〕101号"})]:
        district.act(number, action, actor, data)
    district.sync()
    street.sync()
    street.act(number, "deliver", CLERK, {"method": "window"})
    for center in (street, district, city):
        center.sync()
    ends = [timeline(center.view(number)) for center in (street, district, city)]
    assert ends[0] == ends[1] == ends[2]
    assert [a for a, _at in ends[0]] == [
        "receive", "accept", "hand_off", "take_over", "start_review", "open_joint",
        "joint_supplement", "joint_decide", "supplement_in", "joint_decide", "decide", "deliver"]
    with pytest.raises(ConflictError, match="已记录"):
        opinion(city, number, department="natres", decision="consent")

    def hub_side():
        return (HubCase.get(HubCase.number == number).state,
                Event.select().where(Event.state != "applied").count(),
                HubMessage.select().where(HubMessage.type == "joint.request").count(),
                HubMessage.select().where(HubMessage.type == "joint.opinion").count())
    assert at_hub(hub, hub_side) == ("delivered", 0, 1, 2)


def test_an_opinion_is_recorded_once_and_only_from_the_consulted_center(
        hub, street, district, city, make_node):
    number = in_joint_review(street, district)
    city.sync()
    opinion(city, number, department="natres", decision="consent")
    city.sync()
    sent = at_hub(hub, lambda: HubMessage.get(HubMessage.type == "joint.opinion"))
    message = {"id": sent.id, "type": sent.type, "payload": orjson.loads(sent.payload)}
    district.sync()
    with district as keys:
        ctx = Context(keys, DISTRICT)
        with node_database.atomic():  # delivered again (another message id): nothing new
            assert _opinion(message, ctx).endswith("already recorded")
        altered = copy.deepcopy(message)
        altered["payload"]["event"]["payload"]["decision"] = "object"
        with pytest.raises(AuthError, match="does not match its hash"):
            _opinion(altered, ctx)
    assert [a for a, _at in timeline(district.view(number))].count("joint_decide") == 1

    # Another district, not consulted, signs an opinion of its own: the hub refuses to pass it.
    other = enrolled(hub, make_node, OTHER_DISTRICT)
    with other as keys:
        outbox.emit(keys, OTHER_DISTRICT, "joint.opinion", f"opinion:{number}:fire",
                    {"number": number, "department": "fire", "decision": "consent",
                     "reason": "", "user": "x", "at": "2026-01-01T00:00:00+08:00"})
    other.sync()
    forged = at_hub(hub, lambda: Event.get((Event.origin == OTHER_DISTRICT)
                                          & (Event.type == "joint.opinion")))
    assert forged.state == "quarantined" and "is not consulted" in forged.error_detail
    district.sync()
    assert district.view(number)["state"] == "joint_review"  # fire still to decide here


def test_a_consulted_center_must_be_another_district_or_the_city(hub, street, district):
    number = collect(street)["number"]
    street.sync()
    district.sync()
    district.act(number, "take_over", REVIEWER)
    district.act(number, "start_review", REVIEWER)
    for centers, problem in [({"natres": STREET}, "街道中心"), ({"natres": DISTRICT}, "本中心"),
                             ({"natres": "999999"}, "没有编码")]:
        with pytest.raises(ValidationError, match=problem):
            district.act(number, "open_joint", REVIEWER, {"departments": {"natres": DUE},
                                                          "centers": centers})
    assert district.view(number)["state"] == "in_review"


def test_a_consulted_center_that_is_not_enrolled_is_reported_to_the_owner(hub, street, district):
    number = in_joint_review(street, district)  # the city center has no node here
    district.sync()
    with district:
        from node.models import Notice
        notices = [n.title for n in Notice.select()]
    assert notices == [f"办件 {number} 的会签请求无法送达"]


def test_the_city_gives_its_opinion_on_its_pages_and_through_the_api(hub, street, district, city):
    from tests.node.test_openapi import check, response_schema
    from tests.test_supervision import Pages
    number = in_joint_review(street, district)
    city.sync()
    pages = Pages(city, chen="reviewer", wang="clerk", sun="auditor")
    queue = pages.get("chen", "/window/").get_data(as_text=True)
    assert "并联审批待会签" in queue and number in queue and "待表态" in queue
    assert "并联审批待会签" not in pages.get("wang", "/window/").get_data(as_text=True)
    page = pages.get("chen", f"/window/cases/{number}").get_data(as_text=True)
    assert 'id="opinion-natres"' in page and "签发会签意见" in page
    # The copy is not the city's own work: not in its figures, nor among its open cases.
    assert pages.get("chen", "/api/figures").get_json()["today"]["received"] == 0
    assert pages.get("sun", "/api/queue").get_json()["cases"] == []

    with city:
        reviewer = pages.staff["chen"]
        refused = reviewer.submit(f"/window/cases/{number}/opinion",
                                  {"department": "natres", "decision": "object"})
        assert refused.status_code == 422 and "不同意必须说明理由" in refused.get_data(as_text=True)
        refused = reviewer.post(f"/api/cases/{number}/opinions",
                                json={"department": "natres", "decision": "supplement"})
        assert refused.status_code == 422 and refused.get_json()["field"] == "missing"
        assert reviewer.post(f"/api/cases/{number}/opinions", json={
            "department": "fire", "decision": "consent"}).get_json()["field"] == "department"
        given = reviewer.post(f"/api/cases/{number}/opinions",
                              json={"department": "natres", "decision": "consent"})
        assert given.status_code == 200
        check(response_schema("/api/cases/{number}/opinions", "post", 200), given.get_json(),
              "POST opinions")
        assert given.get_json()["consulted_here"] == [{
            "department": "natres", "deadline": DUE, "decision": None, "missing": [],
            "awaiting": True}]
        clerk = pages.staff["wang"]  # logged in by the queue page above
        assert clerk.post(f"/api/cases/{number}/opinions", json={
            "department": "natres", "decision": "consent"}).status_code == 403
    city.sync()
    district.sync()
    recorded = Pages(district, li="reviewer").get("li", f"/api/cases/{number}").get_json()
    natres = next(j for j in recorded["joint"] if j["department"] == "natres")
    assert (natres["decision"], natres["center"]) == ("consent", CITY)


def test_the_hub_shows_the_whole_timeline_and_the_waiting_opinions(hub, street, district, city):
    from hub.app import create_app
    from tests.hub.views.test_openapi import DOC, SCHEMAS
    from tests.staff import hub_staff
    number = in_joint_review(street, district)
    city.sync()
    opinion(city, number, department="natres", decision="supplement", missing=["规划设计方案"])
    city.sync()
    district.sync()
    app = create_app({"data_dir": str(hub.data_dir), "database_url": hub.db_url, "TESTING": True})

    def fits(client, path, doc_path):
        answer = client.get(path)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        SCHEMAS.check(SCHEMAS.resolve(DOC["paths"][doc_path]["get"]["responses"]["200"])
                      ["content"]["application/json"]["schema"], answer.get_json(), path)
        return answer.get_json()

    heping = hub_staff(app, "heping", ["district_admin"], scope=DISTRICT).client
    waiting = fits(heping, "/api/handoffs", "/api/handoffs")["consultations"]
    assert [(c["number"], c["department"], c["center"], c["holder"], c["missing"])
            for c in waiting] == [(number, "natres", CITY, DISTRICT, ["规划设计方案"])]
    assert "并联审批：待其他中心会签（1 项）" in heping.get("/handoffs").get_data(as_text=True)
    case = fits(heping, f"/api/cases/{number}", "/api/cases/{number}")
    assert [(h["action"], h["center"]) for h in case["history"]] == [
        ("receive", STREET), ("accept", STREET), ("hand_off", STREET), ("take_over", DISTRICT),
        ("start_review", DISTRICT), ("open_joint", DISTRICT), ("joint_supplement", DISTRICT)]
    assert case["state"] == "suspended_supplement" and case["holder"] == DISTRICT
    assert {j["department"]: j["center"] for j in case["joint"]} == {"fire": "", "natres": CITY}
    page = heping.get(f"/cases/{number}").get_data(as_text=True)
    assert "要求补正：规划设计方案" in page and "沈阳市政务服务中心" in page
    # Issue 16: each step's post, never a login ID (logins are not synced)
    steps = page.split('id="timeline"', 1)[1].split("</table>", 1)[0]
    assert "<th>经办岗位</th>" in steps and "<td>窗口受理人员</td>" in steps
    assert not any(f"<td>{h['user']}</td>" in steps for h in case["history"])
    shenhe = hub_staff(app, "shenhe", ["district_admin"], scope=OTHER_DISTRICT).client
    assert shenhe.get(f"/api/cases/{number}").status_code == 403
    assert shenhe.get("/api/handoffs").get_json()["consultations"] == []
    operator = hub_staff(app).client
    assert operator.get("/api/cases/210102001-20200101-00001").status_code == 404

    # The city owes its opinion: an alert for the city center once the deadline is near or past.
    from hub.coverage.alerts import evaluate
    from hub.coverage.centers import default_settings
    from sync.envelope import now_ms

    def consult_alerts(at_ms):
        at_hub(hub, lambda: evaluate(at_ms, default_settings()))
        return [(a["center"], a["detail"]) for a in operator.get("/api/handoffs").get_json()
                ["alerts"] if a["kind"] == "consult_due"]
    assert consult_alerts(now_ms()) == []  # 20 days to go
    past_due = now_ms() + 25 * 86_400_000
    assert consult_alerts(past_due) == [(CITY, "并联审批意见1 项已过会签期限")]
    # The city's alert, not the district's (whose handed case is overdue by then: handoff_due).
    assert [a["kind"] for a in heping.get("/api/handoffs").get_json()["alerts"]] == ["handoff_due"]
    assert "并联会签临近或超期" in operator.get("/handoffs").get_data(as_text=True)


def test_an_opinion_its_center_did_not_sign_is_never_relayed_to_the_owner(
        hub, street, district, city):
    """Stream poisoning through the joint-approval path (issue 13): the consulted center's
    opinion signed over other bytes reaches the hub in an authentic push, is quarantined
    there and never enters the owner's stream, which goes on."""
    number = in_joint_review(street, district)
    city.sync()
    with city as keys:
        opinion(city, number, department="natres", decision="consent")
        with node_database.atomic():
            row = OutboxEvent.get(OutboxEvent.type == "joint.opinion")
            row.sig = b64(keys.sign(b"forged " + row.hash.encode()))  # a well-formed lie
            row.save()
    city.sync()
    stored = at_hub(hub, lambda: Event.get((Event.origin == CITY)
                                          & (Event.type == "joint.opinion")))
    assert (stored.state, stored.error_code) == ("quarantined", "APPLY_FAILED")
    assert "SIGNATURE_INVALID" in stored.error_detail or "not relayed" in stored.error_detail
    assert at_hub(hub, lambda: HubMessage.select().where(
        HubMessage.type == "joint.opinion").count()) == 0
    # The owner is unharmed: its stream and its own work go on.
    district.sync()
    case = district.act(number, "joint_decide", APPROVER, {"department": "fire",
                                                          "decision": "consent"})
    assert case["state"] == "joint_review"  # natres, the city's, still to come
    district.sync()
    assert at_hub(hub, lambda: Event.select().where(
        (Event.origin == DISTRICT) & (Event.state != "applied")).count()) == 0
