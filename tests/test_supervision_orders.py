"""督办 orders: issued at a real hub (SQLite and PostgreSQL) on a case's yellow card, within
the login's scope, bad input refused with nothing changed; the order reaches the collecting
node through its pull stream, and both sides then list the same cards, red after the
ordered day."""
from __future__ import annotations

import datetime
import re

import pytest

from hub import db as hub_db
from hub.cases.cards import hub_cards
from hub.ledger.ownership import transfer
from hub.models import HubMessage, HubSupervisionOrder
from node import case_log, store
from node.app import create_app
from node.cards import center_cards
from node.cases import intake
from node.models import InboxMessage, SupervisionOrder, database
from sync.calendar import load_calendar
from sync.case_clock import CHINA, china_today
from sync.cards import ORDERED
from sync.case_records import record_of
from tests.catalog_changes import matter
from tests.hallsync.test_city_node import Browser
from tests.node.test_online_application import clerk_of
from tests.hub.views.test_openapi import DOC, check, resolve
from tests.processes import hallsync, last_json
from tests.staff import hub_account
from tests.test_cards import CENTER, CLERK, MATTER  # 和平区; promised, 3 working days

CALENDAR = load_calendar()
ENTERPRISE = {"kind": "enterprise", "name": "沈阳某建设有限公司",
              "id_code": "91210100MA0Q123430", "phone": "02423456789"}


def working_days_before(day: datetime.date, n: int) -> datetime.date:
    while n:
        day -= datetime.timedelta(days=1)
        n -= CALENDAR.is_workday(day)
    return day


def next_working_day(day: datetime.date) -> datetime.date:
    return CALENDAR.add_workdays(day, 1).day


@pytest.fixture
def late_case(hub, make_node, monkeypatch):
    """A node of 和平区 holding a case accepted 6 working days ago: due 3 working days later,
    so its promised clock's yellow card is out today, its default 督办 period still running."""
    node = make_node(CENTER)
    node.enroll(hub)
    assert node.sync()["errors"] == []  # the catalog
    accepted = working_days_before(china_today(), 6)
    monkeypatch.setattr(case_log, "now", lambda: datetime.datetime.combine(
        accepted, datetime.time(9), CHINA))
    store.bind(node.data_dir)
    with database.connection_context():
        number = intake(store.load_keys(node.data_dir), CENTER, CLERK, {
            "matter_code": MATTER, "applicant": ENTERPRISE, "outcome": "accept",
            "materials": [m["name"] for m in matter(MATTER)["materials"]]})["number"]
        [card] = center_cards(china_today())
    assert (card.clock, card.level, card.order) == ("promised", "yellow", None)
    assert node.sync()["errors"] == []
    return node, number


def logged_in(hub, username: str, role: str, scope: str | None = None) -> Browser:
    hub_account(hub, username, role, scope=scope)
    browser = Browser(hub.url)
    assert browser.login("", username).status_code == 302
    return browser


def order(browser: Browser, number: str, body: dict):
    return browser.session.post(f"{browser.base}/api/cases/{number}/orders", json=body,
                                headers={"X-CSRFToken": browser.token("")})


def stored(hub) -> tuple[int, int]:
    """(orders, order messages) at the hub: what a refusal must leave unchanged."""
    bound = hub_db.bind(hub.db_url)
    with bound.connection_context():
        return (HubSupervisionOrder.select().count(),
                HubMessage.select().where(HubMessage.type == ORDERED).count())


def test_an_order_reaches_the_node_and_both_list_the_same_cards(hub, late_case):
    node, number = late_case
    today = china_today()
    due = next_working_day(today)
    operator = logged_in(hub, "wangmin", "operator")
    page = operator.get(f"/cases/{number}").text
    assert 'action="/cases/' + number + '/orders"' in page and "发出督办" in page
    answer = operator.submit(f"/cases/{number}/orders", {
        "clock": "promised", "department": "", "due": due.isoformat(), "note": "请于明日办结"})
    assert answer.status_code == 303
    page = operator.get(f"/cases/{number}").text
    assert "已督办" in page and "沈阳市政务服务中心督办" in page and "请于明日办结" in page
    assert stored(hub) == (1, 1)
    again = order(operator, number, {"clock": "promised", "due": due.isoformat(), "note": "再催"})
    assert again.status_code == 409 and again.json()["code"] == "CONFLICT"
    assert stored(hub) == (1, 1)

    assert node.sync()["errors"] == []  # the order arrives in the pull stream
    store.bind(node.data_dir)
    after = due + datetime.timedelta(days=1)
    with database.connection_context():
        [kept] = SupervisionOrder.select()
        assert (kept.number, kept.clock, kept.due, kept.by) == (number, "promised",
                                                                  due.isoformat(), "210100")
        outcome = InboxMessage.select().where(InboxMessage.type == ORDERED).get().outcome
        at_node = {day: center_cards(day) for day in (today, due, after)}
    assert outcome == "applied"
    bound = hub_db.bind(hub.db_url)
    with bound.connection_context():
        at_hub = {day: hub_cards(day, [CENTER]).get(CENTER, []) for day in at_node}
    assert at_hub == at_node
    assert [(c.level, c.order_due, c.order.note) for c in at_node[due]] == [
        ("yellow", due, "请于明日办结")]
    assert [c.level for c in at_node[after]] == ["red"]  # the ordered day passed

    listed = last_json(hallsync("node", "cards", "--json", "--data-dir", node.data_dir))
    shown = last_json(hub.cli("cards", "--center", CENTER, "--json"))
    assert listed["cards"] == shown["centers"][0]["cards"]
    assert listed["cards"][0]["order"]["due"] == due.isoformat()
    assert "督办：请于明日办结" in hallsync("node", "cards", "--data-dir", node.data_dir).stdout


def test_a_district_orders_its_own_cases_only(hub, late_case):
    _node, number = late_case
    due = next_working_day(china_today()).isoformat()
    other = logged_in(hub, "shenhe", "district_admin", scope="210103")  # 沈河区
    refused = order(other, number, {"clock": "promised", "due": due, "note": "催办"})
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    page = other.submit(f"/cases/{number}/orders", {"clock": "promised", "due": due,
                                                    "note": "催办"})
    assert page.status_code == 403 and "区县管理员只能查看和督办本区县及所属街道" in page.text
    auditor = logged_in(hub, "shenji", "auditor")
    assert order(auditor, number, {"clock": "promised", "due": due,
                                   "note": "催办"}).status_code == 403
    assert "发出督办" not in auditor.get(f"/cases/{number}").text  # auditors read only
    assert stored(hub) == (0, 0)
    heping = logged_in(hub, "heping", "district_admin", scope=CENTER)
    done = order(heping, number, {"clock": "promised", "due": due, "note": "催办"})
    assert done.status_code == 201, done.text
    assert done.json()["order"] == {"due": due, "note": "催办", "by": CENTER,
                                    "issued_at": done.json()["order"]["issued_at"]}
    documented = DOC["paths"]["/api/cases/{number}/orders"]["post"]["responses"]
    check(documented["201"]["content"]["application/json"]["schema"], done.json())
    check(resolve(documented["403"])["content"]["application/json"]["schema"], refused.json())
    case = heping.get(f"/api/cases/{number}").json()
    check(resolve(DOC["paths"]["/api/cases/{number}"]["get"]["responses"]["200"])
          ["content"]["application/json"]["schema"], case)
    assert case["can_order"] and case["cards"][0]["order"]["note"] == "催办"
    assert stored(hub) == (1, 1)


def test_bad_orders_are_refused_by_field_and_change_nothing(hub, late_case):
    _node, number = late_case
    today = china_today()
    saturday = today + datetime.timedelta(days=(5 - today.weekday()) % 7 or 7)
    while CALENDAR.is_workday(saturday):  # a 调休 Saturday is a working day
        saturday += datetime.timedelta(days=7)
    good = {"clock": "promised", "due": next_working_day(today).isoformat(), "note": "催办"}
    operator = logged_in(hub, "wangmin", "operator")
    for change, field in [({"clock": "tomorrow"}, "clock"), ({"due": "2026-13-01"}, "due"),
                          ({"due": today.isoformat()}, "due"),
                          ({"due": saturday.isoformat()}, "due"),
                          ({"due": CALENDAR.add_workdays(today, 21).day.isoformat()}, "due"),
                          ({"note": "  "}, "note"), ({"note": "长" * 501}, "note")]:
        answer = order(operator, number, {**good, **change})
        assert answer.status_code == 422 and answer.json()["field"] == field, (change, answer.text)
    page = operator.submit(f"/cases/{number}/orders", {**good, "due": saturday.isoformat()})
    assert page.status_code == 422 and "督办期限应为今天之后" in page.text
    assert re.search(r'id="refused">未能督办：', page.text)
    for body, status in [({**good, "clock": "intake"}, 409),  # no yellow card on that clock
                         ("not an object", 422)]:
        assert order(operator, number, body).status_code == status
    unknown = order(operator, "210102-20260101-99999", good)
    assert unknown.status_code == 404
    assert order(operator, "nonsense", good).json()["field"] == "number"
    assert stored(hub) == (0, 0)


def test_an_order_on_a_case_handed_on_reaches_its_holder_and_both_pages_show_it(
        hub, late_case):
    node, number = late_case
    holder = "210102001"  # as if the case had been handed on there
    bound = hub_db.bind(hub.db_url)
    with bound.connection_context():
        transfer(record_of(number), holder, 1)
    due = next_working_day(china_today())
    operator = logged_in(hub, "wangmin", "operator")
    assert order(operator, number, {"clock": "promised", "due": due.isoformat(),
                                    "note": "请于明日办结"}).status_code == 201
    bound = hub_db.bind(hub.db_url)
    with bound.connection_context():
        sent = sorted(m.recipient for m in HubMessage.select().where(HubMessage.type == ORDERED))
    assert sent == [CENTER, holder]

    assert node.sync()["errors"] == []
    clerk = clerk_of(create_app({"data_dir": str(node.data_dir), "TESTING": True}))
    page = clerk.client.get(f"/window/cases/{number}").get_data(as_text=True)
    assert "督办：沈阳市政务服务中心" in page and f"要求 <b>{due.isoformat()}</b> 前办结" in page
    assert "请于明日办结" in page
