"""District supervision (督导) through a real hub and real node processes' data.

A district subscribes with `hallsync node supervise on`; the hub relays its
streets' case events as their origins signed them, those from before the
subscription too; the district keeps a read-only copy, checked end to end,
whose states and timelines are the street's own. Another district's street,
a street's subscription and an altered event are refused.
"""
from __future__ import annotations

import copy

import orjson
import pytest

from hub.models import HubCase, HubMessage, SecurityEvent, Supervision
from node import outbox, store
from node.app import create_app
from node.cases import intake
from node.inbox import Context
from node.models import Case, InboxMessage, OutboxEvent, SupervisedCase
from node.models import database as node_database
from node.queue import queue
from node.supervised import _supervised
from node.users import add_user
from sync import envelope as env
from sync.case_clock import china_today
from sync.envelope import now_ms
from sync.errors import AuthError
from sync.events import sig_input
from sync.signing import KeyPair, b64
from sync.topology import load_topology
from tests.catalog_changes import matter
from tests.hub.views.test_openapi import DOC as HUB_DOC
from tests.hub.views.test_openapi import check as check_hub
from tests.hub.views.test_openapi import resolve as resolve_hub
from tests.node.test_openapi import check, response_schema
from tests.processes import browser, hallsync, last_json
from tests.protocol import post
from tests.staff import PASSWORD, Staff, hub_account
from tests.test_handoffs import (APPROVER, CLERK, DISTRICT, OTHER_DISTRICT, PERSON, REVIEWER,
                                 STREET, Center, at_hub, collect, timeline)

LEGAL_AID = "SY08001"  # 法律援助申请: decided by the street itself, promised 2 working days
OTHER_STREET = "210103001"  # a street of 沈河区, not of 和平区
STREETS = load_topology().children(DISTRICT)


@pytest.fixture
def street(hub, make_node):
    center = Center(make_node(STREET))
    center.dir.enroll(hub)
    center.sync()
    return center


@pytest.fixture
def district(hub, make_node):
    center = Center(make_node(DISTRICT))
    center.dir.enroll(hub)
    center.sync()
    return center


def supervise(center: Center, switch: str, ok: bool = True):
    """``hallsync node supervise on|off`` at the center: its JSON, or (``ok=False``) the run."""
    result = hallsync("node", "supervise", switch, "--data-dir", center.dir.data_dir, "--json",
                      check=ok)
    return last_json(result) if ok else result


def legal_aid(street: Center) -> str:
    with street as keys:
        return intake(keys, STREET, CLERK, {
            "matter_code": LEGAL_AID, "applicant": PERSON, "outcome": "accept",
            "materials": [m["name"] for m in matter(LEGAL_AID)["materials"]]})["number"]


def copy_of(center: Center, number: str) -> SupervisedCase:
    with center:
        return SupervisedCase.get_or_none(SupervisedCase.number == number)


class Pages:
    """A node's pages in a Flask test client; each request reads that node's own file."""

    def __init__(self, center: Center, **users):
        self.center = center
        with center:
            self.app = create_app({"data_dir": str(center.dir.data_dir), "TESTING": True})
            with node_database.connection_context():
                for username, role in users.items():
                    add_user(username, PASSWORD, [role], now_ms=now_ms())
        self.staff = {}

    def get(self, username: str, path: str):
        with self.center:  # tests act on several nodes: bind this one again
            if username not in self.staff:
                self.staff[username] = Staff(self.app.test_client())
                assert self.staff[username].login(username).status_code == 302
            return self.staff[username].client.get(path)


def fits(response, path: str):
    check(response_schema(path, "get", response.status_code), response.get_json(),
          f"GET {path} {response.status_code}")
    return response.get_json()


def test_a_district_sees_its_streets_cases_as_the_streets_do(hub, street, district):
    before = legal_aid(street)  # before the subscription: it must arrive too
    street.act(before, "start_review", REVIEWER)
    street.sync()
    assert supervise(district, "on") == {"center": DISTRICT, "on": True, "changed": True,
                                         "streets": len(STREETS),
                                         "next": "the next sync tells the hub"}
    assert supervise(district, "on")["changed"] is False  # already so: no second event
    district.sync()
    kept = copy_of(district, before)
    assert (kept.street, kept.state, kept.applicant_name) == (STREET, "in_review", "张伟")
    assert "id_code" not in kept.received  # the applicant's ID and phone stay at the street

    # From now on every step of the street's cases arrives, and of a case it hands to the
    # district, the district's own steps as well: one timeline, whoever acts.
    for action, actor, data in [("submit_for_approval", REVIEWER, {}),
                                ("decide", APPROVER, {"outcome": "approved",
                                                      "document_number": "和法援〔2026〕3号"})]:
        street.act(before, action, actor, data)
    handed = collect(street)["number"]
    street.sync()
    district.sync()
    district.act(handed, "take_over", REVIEWER)
    district.sync()  # pushes the take_over; the hub relays it back, to the district's copy
    street.sync()
    for number in (before, handed):
        kept, own = copy_of(district, number), street.view(number)
        assert kept.state == own["state"], number
        assert [(a["action"], a["at"]) for a in orjson.loads(kept.log)] == timeline(own)[1:]
        hub_copy = at_hub(hub, lambda n=number: HubCase.get(HubCase.number == n))
        assert (kept.state, kept.promised_date) == (hub_copy.state, hub_copy.due_date)
    assert copy_of(district, handed).holder == DISTRICT
    with district:  # never the district's own work
        assert Case.get_or_none(Case.number == before) is None
        assert before not in [i["number"] for i in queue(None, china_today())]
        assert OutboxEvent.select().where(OutboxEvent.record == f"case:{before}").count() == 0
    logs = [copy_of(district, n).log for n in (before, handed)]
    for center in (street, district):  # syncing again changes nothing
        center.sync()
    assert [copy_of(district, n).log for n in (before, handed)] == logs

    pages = Pages(district, chief="center_admin", audit="auditor", desk="clerk")
    overview = fits(pages.get("audit", "/api/supervision"), "/api/supervision")
    row = next(s for s in overview["streets"] if s["code"] == STREET)
    assert (row["cases"], row["open"], row["handed_off"]) == (2, 2, 1)
    assert overview["subscription"]["on"] is True and len(overview["streets"]) == len(STREETS)
    queue_ = fits(pages.get("chief", f"/api/supervision/{STREET}"), "/api/supervision/{street}")
    assert sorted(c["number"] for c in queue_["cases"]) == sorted([before, handed])
    shown = fits(pages.get("chief", f"/api/supervision/cases/{before}"),
                 "/api/supervision/cases/{number}")
    assert [(h["action"], h["at"]) for h in shown["history"]] == timeline(street.view(before))
    for path in ("/supervision/", f"/supervision/{STREET}", f"/supervision/cases/{handed}"):
        page = pages.get("audit", path)
        assert page.status_code == 200 and "和平区太原街街道便民服务中心" in page.get_data(True)
    assert pages.get("desk", "/api/supervision").status_code == 403  # oversight, not casework


def test_another_districts_street_is_refused_and_a_street_cannot_subscribe(hub, street,
                                                                          district):
    pages = Pages(district, chief="center_admin")
    street_doc, case_doc = "/api/supervision/{street}", "/api/supervision/cases/{number}"
    for path, doc, status in [(f"/api/supervision/{OTHER_STREET}", street_doc, 403),
                              (f"/api/supervision/{OTHER_DISTRICT}", street_doc, 403),
                              (f"/api/supervision/cases/{OTHER_STREET}-20260105-00001", case_doc,
                               403),
                              ("/api/supervision/999999999", street_doc, 404)]:
        answer = pages.get("chief", path)
        assert answer.status_code == status, path
        fits(answer, doc)
        if status == 403:
            assert answer.get_json()["reason"] == "supervision"
    page = pages.get("chief", f"/supervision/{OTHER_STREET}")
    assert page.status_code == 403 and "不是本区的街道" in page.get_data(True)

    refused = supervise(street, "on", ok=False)
    assert refused.returncode == 2 and "FORBIDDEN" in refused.stderr
    street_pages = Pages(street, boss="center_admin")
    answer = street_pages.get("boss", "/api/supervision")
    assert answer.status_code == 403 and answer.get_json()["code"] == "FORBIDDEN"
    # A street node that skipped its own check: the hub refuses and records it.
    with street as keys:
        outbox.emit(keys, STREET, "supervision.subscribe", "", {"on": True})
    street.sync()

    def at_the_hub():
        logged = SecurityEvent.get((SecurityEvent.center == STREET)
                                   & (SecurityEvent.path == "supervision.subscribe"))
        return logged.code, "区级" in logged.detail, Supervision.select().count()
    assert at_hub(hub, at_the_hub) == ("FORBIDDEN", True, 0)


def test_an_altered_relayed_event_is_refused(hub, street, district):
    supervise(district, "on")
    district.sync()
    number = legal_aid(street)
    street.sync()
    district.sync()
    sent = at_hub(hub, lambda: HubMessage.select().where(HubMessage.type == "case.supervised")
                  .order_by(HubMessage.id).first())  # the receipt
    payload = orjson.loads(sent.payload)
    message = {"id": sent.id, "type": sent.type, "payload": payload}
    with district as keys:
        ctx = Context(keys, DISTRICT)
        before = SupervisedCase.get(SupervisedCase.number == number).log
        applied = InboxMessage.select().count()
        with node_database.atomic():  # delivered twice: nothing changes
            assert _supervised(message, ctx) == "supervised 1 case(s): 0 new event(s)"
        forged = copy.deepcopy(payload)
        forged["cases"][0]["events"][0]["payload"]["applicant"]["name"] = "李四"
        with pytest.raises(AuthError, match="does not match its hash"):
            _supervised({**message, "payload": forged}, ctx)
        resigned = copy.deepcopy(payload)  # the origin's signature replaced by another key's
        event = resigned["cases"][0]["events"][0]
        event["sig"] = b64(keys.sign(sig_input(event["hash"])))
        with pytest.raises(AuthError, match="signature does not verify"):
            _supervised({**message, "payload": resigned}, ctx)
        vouched = copy.deepcopy(payload)  # the hub vouching for the wrong key
        vouched["keys"] = {k: keys.public.b64 for k in vouched["keys"]}
        with pytest.raises(AuthError, match="signature does not verify"):
            _supervised({**message, "payload": vouched}, ctx)
        with pytest.raises(AuthError, match="not a street of this district"):
            _supervised(message, Context(keys, OTHER_DISTRICT))
        with pytest.raises(AuthError, match="不是区级中心"):
            _supervised(message, Context(keys, STREET))
        assert SupervisedCase.get(SupervisedCase.number == number).log == before
        assert InboxMessage.select().count() == applied


def test_unsubscribing_stops_the_relay_and_subscribing_again_catches_up(hub, street, district):
    supervise(district, "on")
    district.sync()
    number = legal_aid(street)
    street.sync()
    district.sync()
    assert supervise(district, "off")["changed"] is True
    district.sync()
    relayed = at_hub(hub, lambda: HubMessage.select().where(
        HubMessage.type == "case.supervised").count())
    street.act(number, "start_review", REVIEWER)
    street.sync()
    district.sync()
    assert at_hub(hub, lambda: HubMessage.select().where(
        HubMessage.type == "case.supervised").count()) == relayed
    assert copy_of(district, number).state == "accepted"  # kept, no longer followed
    assert at_hub(hub, lambda: Supervision.get().active) is False

    supervise(district, "on")
    district.sync()
    assert copy_of(district, number).state == "in_review"  # what it missed, sent again


class HubPages:
    """The running hub's pages over HTTP, as one of its staff (made with ``hub user add``)."""

    def __init__(self, hub, username: str, role: str, scope: str | None = None):
        hub_account(hub, username, role, scope=scope)
        self.url, self.session = hub.url, browser()
        token = self.session.get(self.url + "/api/csrf", timeout=30).json()["csrf_token"]
        answer = self.session.post(self.url + "/login", timeout=30, allow_redirects=False,
                                   data={"username": username, "password": PASSWORD,
                                         "csrf_token": token})
        assert answer.status_code == 302, answer.text

    def page(self, path: str) -> str:
        answer = self.session.get(self.url + path, timeout=30)
        assert answer.status_code == 200, path
        return answer.text

    def supervising(self) -> dict:
        """``/api/coverage``'s districts that supervise, checked against the hub's OpenAPI."""
        view = self.session.get(self.url + "/api/coverage", timeout=30).json()
        check_hub(resolve_hub(HUB_DOC["paths"]["/api/coverage"]["get"]["responses"]["200"])
                  ["content"]["application/json"]["schema"], view, "GET /api/coverage")
        return {c["code"]: c["supervision"] for c in view["centers"] if c["supervision"]}


def test_the_hubs_coverage_shows_which_districts_supervise(hub, street, district):
    operator = HubPages(hub, "wangmin", "operator")
    heping = HubPages(hub, "heping", "district_admin", scope=DISTRICT)
    shenhe = HubPages(hub, "shenhe", "district_admin", scope=OTHER_DISTRICT)
    assert operator.supervising() == {}
    assert "没有区县在督导其街道" in operator.page("/coverage")

    asked = now_ms()
    supervise(district, "on")
    district.sync()
    shown = operator.supervising()
    assert list(shown) == [DISTRICT] and shown[DISTRICT]["streets"] == len(STREETS)
    assert asked <= shown[DISTRICT]["since_ms"] <= now_ms()
    page = operator.page("/coverage?show=all")
    assert "街道督导（1 个区县）" in page and "督导中" in page
    assert heping.supervising() == shown and "督导中" in heping.page("/coverage")
    assert shenhe.supervising() == {} and "督导中" not in shenhe.page("/coverage?show=all")

    supervise(district, "off")
    district.sync()
    assert operator.supervising() == {} == heping.supervising()
    page = operator.page("/coverage?show=all")
    assert "没有区县在督导其街道" in page and "督导中" not in page


def test_an_event_its_origin_did_not_sign_is_never_relayed(hub, street, district):
    """The push is authentic (its envelope), but one event's own signature is another
    key's: the hub checks it before relaying, quarantines it, and the district's stream
    carries on with what follows."""
    supervise(district, "on")
    district.sync()
    legal_aid(street)
    with street as keys:
        head_seq = store.state().acked_seq
        event = next(e for e in outbox.read(head_seq, STREET)  # the receipt, not yet pushed
                     if e["type"] == "case.received")
    bad = {**event, "sig": b64(KeyPair.generate().sign(sig_input(event["hash"])))}
    reply = post(hub.url, "push", {"events": outbox_events_before(street, head_seq, event)
                                   + [bad]}, keys=keys, sender=STREET)
    problems = env.unpack(reply.content, 1 << 20)["problems"]
    assert [(p["seq"], p["state"]) for p in problems] == [(event["seq"], "quarantined")]
    assert "SIGNATURE_INVALID" in problems[0]["detail"] or "not relayed" in problems[0]["detail"]
    hub.cli("notice", "通知", "督导照常", "--to", DISTRICT)
    assert district.sync()["errors"] == []
    with district:
        assert SupervisedCase.select().count() == 0
        assert [m.type for m in InboxMessage.select().order_by(InboxMessage.id)][-1] == "notice"
    assert at_hub(hub, lambda: HubCase.select().count()) == 0


def outbox_events_before(center: Center, acked: int, last: dict) -> list[dict]:
    """The center's events after ``acked`` up to (not including) ``last``."""
    with center:
        return [e for e in outbox.read(acked, center.code) if e["seq"] < last["seq"]]
