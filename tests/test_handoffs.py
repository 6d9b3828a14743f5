"""Handoffs (异地代收代办) through a real hub and real node processes' data.

A street center collects a matter its district decides, the hub routes the
case, the district takes it over and decides, the street delivers; each side
sees the whole timeline, every hop exactly once, whoever syncs when. Each node
acts in process on its own SQLite file and syncs with `hallsync node sync`.
"""
from __future__ import annotations

import copy

import orjson
import pytest

from hub import db as hub_db
from hub.models import CaseHandoff, Event, HubCase, HubMessage, Ownership
from node import outbox, store
from node.case_log import Actor
from node.cases import act, intake, view
from node.inbox import Context
from node.models import InboxMessage
from node.models import database as node_database
from sync.case_clock import china_today
from sync.errors import AuthError, ProtocolError
from tests.catalog_changes import matter
from tests.processes import last_json

STREET, DISTRICT, OTHER_DISTRICT = "210102001", "210102", "210103"
FOOD = "SY24901"  # 食品经营许可: decided by the district, 通办 within it
TALENT = "SY06001"  # 人才引进落户审批: decided by the city only
PERSON = {"kind": "person", "name": "张伟", "id_code": "210102198503150013",
          "phone": "13800000000"}
CLERK, REVIEWER, APPROVER = (Actor("wang", "clerk"), Actor("li", "reviewer"),
                             Actor("zhao", "approver"))


class Center:
    """A node's data directory and its in-process window (binds the store before acting)."""

    def __init__(self, node_dir):
        self.dir = node_dir
        self.code = node_dir.center

    def __enter__(self):
        store.bind(self.dir.data_dir)
        return store.load_keys(self.dir.data_dir)

    def __exit__(self, *exc):
        return False

    def sync(self):
        result = self.dir.sync()
        assert result["errors"] == [], result
        return result

    def view(self, number):
        with self:
            return view(number)

    def act(self, number, action, actor, data=None):
        with self as keys:
            return act(keys, self.code, number, action, actor, data or {})


def enrolled(hub, make_node, code: str) -> Center:
    """A node of center ``code``, enrolled and holding the catalog."""
    node = make_node(code)
    node.enroll(hub)
    center = Center(node)
    center.sync()
    return center


@pytest.fixture
def street(hub, make_node):
    return enrolled(hub, make_node, STREET)


@pytest.fixture
def district(hub, make_node):
    return enrolled(hub, make_node, DISTRICT)


def collect(street: Center, code: str = FOOD, **extra) -> dict:
    with street as keys:
        return intake(keys, STREET, CLERK, {
            "matter_code": code, "applicant": PERSON,
            "materials": [m["name"] for m in matter(code)["materials"]], "outcome": "accept",
            "consent": True, **extra})


def at_hub(hub, fn):
    database = hub_db.bind(hub.db_url)
    try:
        return fn()
    finally:
        database.close()


def timeline(case: dict) -> list[tuple[str, str]]:
    return [(step["action"], step["at"]) for step in case["history"]]


def test_street_to_district_and_back(hub, street, district):
    case = collect(street, waybill="EA123456789CN")
    number = case["number"]
    assert case["state"] == "handed_off" and case["holder"] == DISTRICT
    assert [h["action"] for h in case["history"]] == ["receive", "accept", "hand_off"]
    assert case["handoffs"]["steps"][0]["waybill"] == "EA123456789CN"
    with pytest.raises(ProtocolError):  # the street no longer acts on it
        street.act(number, "withdraw", CLERK, {"reason": "申请人要求"})

    district.sync()  # nothing for the district yet: the hub has not heard of the case
    with pytest.raises(Exception):
        district.view(number)
    street.sync()
    assert at_hub(hub, lambda: (Ownership.get_by_id(f"case:{number}").owner,
                                CaseHandoff.get().state)) == (DISTRICT, "sent")
    district.sync()
    handed = district.view(number)
    assert handed["state"] == "handed_off" and handed["collected_by"] == STREET
    assert timeline(handed) == timeline(case)  # the street's steps, as the street signed them

    for action, actor, data in [("take_over", REVIEWER, {}), ("start_review", REVIEWER, {}),
                                ("submit_for_approval", REVIEWER, {}),
                                ("decide", APPROVER, {"outcome": "approved",
                                                      "document_number": "和食经〔2026〕88号"})]:
        decided = district.act(number, action, actor, data)
    assert decided["state"] == "completed" and decided["holder"] == STREET
    with pytest.raises(ProtocolError):  # the result is the street's to deliver
        district.act(number, "deliver", CLERK, {"method": "window"})
    district.sync()
    street.sync()
    back = street.view(number)
    assert back["state"] == "completed" and back["holder"] == STREET
    assert back["document_number"] == "和食经〔2026〕88号"
    delivered = street.act(number, "deliver", CLERK, {"method": "window"})
    street.sync()
    district.sync()
    seen_by_district = district.view(number)
    assert seen_by_district["state"] == "delivered"
    assert timeline(seen_by_district) == timeline(delivered)  # one timeline, both ends

    def hub_side():
        copy_ = HubCase.get(HubCase.number == number)
        return (copy_.state, copy_.center, CaseHandoff.get().state,
                Event.select().where(Event.state != "applied").count(),
                HubMessage.select().where(HubMessage.type.in_(
                    ["handoff.offer", "case.relayed"])).count())
    # One offer; relayed: 4 district actions to the street, the delivery to the district.
    assert at_hub(hub, hub_side) == ("delivered", STREET, "decided", 0, 1 + 4 + 1)

    for center in (street, district):  # syncing again changes nothing
        center.sync()
    assert timeline(street.view(number)) == timeline(district.view(number))
    # The figures count the case once, at the street, and each side's handoff.
    from hub.stats.figures import report
    from hub.stats.periods import Period
    today = china_today()
    street_figures, district_figures = at_hub(hub, lambda: [
        report(code, Period.current("month", today), today=today)["own"]
        for code in (STREET, DISTRICT)])
    assert (street_figures["received"], street_figures["completed"],
            street_figures["handed_off"]) == (1, 1, 1)
    assert (district_figures["received"], district_figures["taken_over"]) == (0, 1)
    assert last_json(hub.cli("rebuild-stats", "--json"))["agreed"] is True


def test_a_misrouted_handoff_is_returned_and_sent_again(hub, street, district):
    number = collect(street)["number"]
    street.sync()
    district.sync()
    returned = district.act(number, "return_handoff", REVIEWER, {"reason": "申请人住所不在本区，错转"})
    assert returned["state"] == "accepted" and returned["holder"] == STREET
    with pytest.raises(ProtocolError):
        district.act(number, "start_review", REVIEWER)
    district.sync()
    street.sync()
    back = street.view(number)
    assert back["state"] == "accepted" and back["holder"] == STREET
    assert back["handoffs"]["steps"][0]["return_reason"] == "申请人住所不在本区，错转"
    # The street checks with the applicant and hands it on again: the same district.
    again = street.act(number, "hand_off", CLERK, {"target": DISTRICT, "consent": True})
    assert again["state"] == "handed_off"
    street.sync()
    district.sync()
    assert district.view(number)["state"] == "handed_off"
    assert at_hub(hub, lambda: [h.state for h in CaseHandoff.select().order_by(CaseHandoff.k)]) \
        == ["returned", "sent"]


def test_a_handoff_to_a_center_that_cannot_take_it_comes_back(hub, street):
    # 人才引进落户 is decided at the city level, and this hub has no city center node
    # enrolled: the hub cannot deliver it, and says so.
    case = collect(street, TALENT)
    assert case["state"] == "handed_off" and case["handoffs"]["steps"][0]["target"] == "210100"
    street.sync()   # the hub returns it ...
    street.sync()   # ... and the street records the return, with the hub's reason
    back = street.view(case["number"])
    assert back["state"] == "accepted" and back["holder"] == STREET
    assert "无法移交" in back["handoffs"]["steps"][0]["return_reason"]
    assert at_hub(hub, lambda: CaseHandoff.get().state) == "undeliverable"


def test_a_handoff_to_a_revoked_node_comes_back(hub, street, district):
    hub.cli("revoke", DISTRICT)
    number = collect(street)["number"]
    street.sync()
    street.sync()
    back = street.view(number)
    assert back["state"] == "accepted" and "吊销" in back["handoffs"]["steps"][0]["return_reason"]


def test_relayed_events_are_checked_end_to_end(hub, street, district):
    number = collect(street)["number"]
    street.sync()
    district.sync()
    offer = at_hub(hub, lambda: HubMessage.get(HubMessage.type == "handoff.offer"))
    payload = orjson.loads(offer.payload)
    message = {"id": offer.id, "type": offer.type, "payload": payload}
    from node.handoffs import _offer
    with district as keys:
        ctx = Context(keys, DISTRICT)
        with node_database.atomic():
            assert _offer(message, ctx).endswith(": 0 new")  # a duplicate: nothing new
        forged = copy.deepcopy(payload)
        forged["events"][0]["payload"]["applicant"]["name"] = "李四"  # altered on the way
        with pytest.raises(AuthError, match="does not match its hash"):
            _offer({**message, "payload": forged}, ctx)
        resigned = copy.deepcopy(payload)
        resigned["keys"] = {k: keys.public.b64 for k in resigned["keys"]}  # another key
        with pytest.raises(AuthError, match="signature does not verify"):
            _offer({**message, "payload": resigned}, ctx)
        assert InboxMessage.select().where(InboxMessage.type == "handoff.offer").count() == 1


def test_the_hub_refuses_the_collecting_centers_writes_while_handed_off(hub, street, district):
    number = collect(street)["number"]
    street.sync()
    # A street node that skipped its own check: its action reaches the hub anyway.
    with street as keys:
        outbox.emit(keys, STREET, "case.action", f"case:{number}",
                    {"number": number, "n": 3, "action": "take_over", "role": "clerk",
                     "user": "wang", "at": view(number)["history"][-1]["at"], "data": {}})
    street.sync()
    refused = at_hub(hub, lambda: Event.get((Event.origin == STREET) & (Event.type == "case.action")
                                            & (Event.state != "applied")))
    assert refused.error_code == "NOT_OWNER"


def test_the_hub_shows_open_handoffs_and_alerts_per_handling_center(hub, street, district):
    number = collect(street)["number"]
    street.sync()
    from hub.app import create_app
    from hub.coverage.alerts import evaluate
    from hub.coverage.centers import default_settings
    from sync.envelope import now_ms
    from tests.staff import hub_staff
    app = create_app({"data_dir": str(hub.data_dir), "database_url": hub.db_url,
                      "TESTING": True})
    five_hours_later = now_ms() + 5 * 3600_000
    at_hub(hub, lambda: evaluate(five_hours_later, default_settings()))
    heping = hub_staff(app, "heping", ["district_admin"], scope=DISTRICT).client
    view = heping.get("/api/handoffs").get_json()
    assert [h["number"] for h in view["handoffs"]] == [number]
    assert view["by_target"] == [{"target": DISTRICT, "name": "和平区政务服务中心",
                                  "sent": 1, "taken": 0}]
    assert [(a["center"], a["kind"]) for a in view["alerts"]] == [(DISTRICT, "handoff_unacked")]
    assert "1 件移交超过 4 小时未接收" in heping.get("/handoffs").get_data(as_text=True)
    shenhe = hub_staff(app, "shenhe", ["district_admin"], scope=OTHER_DISTRICT).client
    assert shenhe.get("/api/handoffs").get_json() == {"handoffs": [], "by_target": [],
                                                      "alerts": [], "consultations": []}
    district.sync()
    district.act(number, "take_over", REVIEWER)
    district.sync()
    at_hub(hub, lambda: evaluate(five_hours_later + 60_000, default_settings()))
    assert heping.get("/api/handoffs").get_json()["alerts"] == []  # cleared once taken over


def test_street_to_the_city_departments_and_back(hub, street, make_node):
    # The city's departments work on the city center's own node (center 210100, served
    # by the hub at /city: tests/hallsync/test_city_node.py): the same windows, roles and
    # state machine as any center.
    city = enrolled(hub, make_node, "210100")
    number = collect(street, TALENT)["number"]
    street.sync()
    city.sync()
    assert city.view(number)["state"] == "handed_off"
    for action, actor, data in [("take_over", CLERK, {}), ("start_review", REVIEWER, {}),
                                ("submit_for_approval", REVIEWER, {}),
                                ("decide", APPROVER, {"outcome": "refused",
                                                      "document_number": "沈人才〔2026〕3号",
                                                      "reason": "不符合引进条件"})]:
        city.act(number, action, actor, data)
    city.sync()
    street.sync()
    back = street.view(number)
    assert back["state"] == "completed" and back["outcome"] == "refused"
    street.act(number, "deliver", CLERK, {"method": "mail", "waybill": "EA123456789CN"})
    street.sync()
    city.sync()
    assert city.view(number)["state"] == "delivered"


def test_each_party_offline_in_turn(hub, street, district):
    """The street, the hub and the district each drop out once; the case still goes
    there and back exactly once."""
    number = collect(street)["number"]
    # The district is offline: the street's handoff waits at the hub.
    street.sync()
    # The hub goes down while the district takes the case over and decides.
    district.sync()
    hub.stop()
    for action, actor, data in [("take_over", REVIEWER, {}), ("start_review", REVIEWER, {}),
                                ("submit_for_approval", REVIEWER, {}),
                                ("decide", APPROVER, {"outcome": "approved",
                                                      "document_number": "和食经〔2026〕99号"})]:
        district.act(number, action, actor, data)
    offline = district.dir.sync(check=False)
    assert "HUB_UNAVAILABLE" in offline.stdout + offline.stderr
    hub.start()
    district.sync()
    # The street was offline all this while; it catches up in one sync.
    street.sync()
    assert street.view(number)["state"] == "completed"
    street.act(number, "deliver", CLERK, {"method": "window"})
    street.sync()
    district.sync()
    assert timeline(street.view(number)) == timeline(district.view(number))
    assert at_hub(hub, lambda: (HubCase.get(HubCase.number == number).state,
                                HubMessage.select().where(HubMessage.type == "case.relayed")
                                .count())) == ("delivered", 5)
