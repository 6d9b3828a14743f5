"""Working-day calendar versions reach every node in order, signed, and move deadlines:
a real hub (SQLite and PostgreSQL) and real node syncs."""
from __future__ import annotations

import datetime
import tomllib

import orjson
import pytest

from hub import db as hub_db
from hub.catalog.authority import consistency
from hub.models import CalendarVersion as HubCalendarVersion
from hub.models import HubCase
from node import case_log, store
from node.app import create_app
from node.calendar_versions import apply_version
from node.cases import intake
from node.models import CalendarVersion, Case, InboxMessage, database
from node.users import add_user
from node.work_calendar import calendar_in_force
from sync.calendar import load_calendar, parse_calendar
from sync.calendar_versions import sign_version
from sync.case_clock import CHINA
from sync.errors import AuthError, SequenceError
from sync.signing import KeyPair
from tests.calendar_files import NEXT_YEAR, first_weekdays, with_next_year, write
from tests.catalog_changes import matter
from tests.hallsync.test_city_node import Browser
from tests.processes import last_json
from tests.staff import PASSWORD, Staff, hub_account

DISTRICT, STREETS = "210102", ("210102001", "210102002")
NEW_YEARS_DAY, SECOND_DAY = first_weekdays(NEXT_YEAR, 2)
MATTER = "SY04001"  # 电力设施保护区内施工作业审批: a district's, promised in 3 working days
ENTERPRISE = {"kind": "enterprise", "name": "沈阳某建设有限公司",
              "id_code": "91210100MA0Q123430", "phone": "02423456789"}
CLERK = case_log.Actor("wang", "clerk")


@pytest.fixture
def nodes(hub, make_node):
    """A district and two of its streets, enrolled and synced: each runs calendar version 1."""
    made = [make_node(code) for code in (DISTRICT, *STREETS)]
    for node in made:
        node.enroll(hub)
        assert node.sync()["errors"] == []
        assert node.status()["calendar_version"] == 1
    return made


def apply(hub, tmp_path, name: str, text: str) -> dict:
    return last_json(hub.cli("calendar", "apply", write(tmp_path, name, text), "--json"))


def applied_versions(node) -> tuple[list[int], list[str], str]:
    """The versions a node stored, the outcomes of its calendar messages in stream order,
    and the digest of the calendar it counts with."""
    store.bind(node.data_dir)
    with database.connection_context():
        stored = [v for (v,) in CalendarVersion.select(CalendarVersion.version)
                  .order_by(CalendarVersion.version).tuples()]
        outcomes = [m.outcome for m in InboxMessage.select().where(
            InboxMessage.type == "calendar.version").order_by(InboxMessage.id)]
        digest = calendar_in_force().fingerprint
    return stored, outcomes, digest


def hub_consistency(hub) -> dict:
    database_ = hub_db.bind(hub.db_url)
    try:
        return consistency()
    finally:
        database_.close()


def test_versions_reach_every_node_in_order(hub, nodes, tmp_path):
    first, early, late = nodes
    v2 = apply(hub, tmp_path, "v2.toml", with_next_year([NEW_YEARS_DAY]))
    assert first.sync()["errors"] == []  # one node takes v2 before v3 exists …
    v3 = apply(hub, tmp_path, "v3.toml", with_next_year([NEW_YEARS_DAY, SECOND_DAY]))
    assert (v2["version"], v3["version"]) == (2, 3)
    seen = {c["code"]: c for c in hub_consistency(hub)["centers"]}
    assert seen[first.center]["calendar_version"] == 2 and seen[first.center]["calendar_behind"] == 1
    assert seen[early.center]["calendar_version"] == 1 and seen[early.center]["calendar_behind"] == 2
    for node in nodes:  # … the others take both in one pull
        assert node.sync()["errors"] == []
        stored, outcomes, digest = applied_versions(node)
        assert stored == [1, 2, 3] and digest == v3["digest"]
        assert [o.split(":")[0] for o in outcomes] == ["calendar v1", "calendar v2", "calendar v3"]
        assert node.status()["calendar_version"] == 3
    view = hub_consistency(hub)
    assert view["calendar_version"] == 3
    assert {c["code"]: (c["calendar_version"], c["calendar_behind"]) for c in view["centers"]
            if c["code"] in (DISTRICT, *STREETS)} == {c: (3, 0) for c in (DISTRICT, *STREETS)}


def test_the_consistency_view_shows_each_centers_calendar(hub, nodes, tmp_path):
    apply(hub, tmp_path, "v2.toml", with_next_year([NEW_YEARS_DAY]))
    assert nodes[0].sync()["errors"] == []
    hub_account(hub, "wangmin", "operator")
    browser = Browser(hub.url)
    assert browser.login("", "wangmin").status_code == 302
    body = browser.get("/api/catalog/consistency").json()
    rows = {c["code"]: c for c in body["centers"]}
    assert body["calendar_version"] == 2
    assert (rows[DISTRICT]["calendar_version"], rows[DISTRICT]["calendar_behind"]) == (2, 0)
    assert (rows[STREETS[0]]["calendar_version"], rows[STREETS[0]]["calendar_behind"]) == (1, 1)
    assert body["levels"]["street"]["calendar_behind"] == 2
    page = browser.get("/catalog/consistency").text
    assert "工作日历为 <b id=\"calendar-version\">第 2 版</b>" in page
    behind = page.split(f'<tr data-center="{STREETS[0]}">')[1].split("</tr>")[0]
    assert "第 1 版" in behind and 'calendar-behind">1 个版本' in behind
    assert f'<tr data-center="{DISTRICT}">' not in page  # current in both: not listed


def test_out_of_order_and_forged_versions_are_refused(hub, nodes, tmp_path):
    v2 = apply(hub, tmp_path, "v2.toml", with_next_year([NEW_YEARS_DAY]))
    v3 = apply(hub, tmp_path, "v3.toml", with_next_year([NEW_YEARS_DAY, SECOND_DAY]))
    node = nodes[1]
    store.bind(node.data_dir)
    with database.connection_context():
        with pytest.raises(SequenceError) as info:  # v3 before v2
            apply_version({"payload": stored(hub, 3)}, None)
        assert info.value.extra["expected_seq"] == 2
        forged = sign_version({**stored(hub, 2), "first_year": 2005}, KeyPair.generate())
        with pytest.raises(AuthError):
            apply_version({"payload": forged}, None)
        altered = {**stored(hub, 2), "digest": v3["digest"]}  # the hub's signature no longer holds
        with pytest.raises(AuthError):
            apply_version({"payload": altered}, None)
        assert calendar_in_force().fingerprint == load_calendar().fingerprint
        assert apply_version({"payload": stored(hub, 2)}, None).startswith("calendar v2")
        assert apply_version({"payload": stored(hub, 2)}, None) == "calendar v2 already applied"
    assert node.sync()["errors"] == []  # the stream re-delivers v2 (a no-op), then v3
    assert applied_versions(node)[0] == [1, 2, 3]
    assert v2["digest"] != v3["digest"]


def stored(hub, version: int) -> dict:
    """The signed version as the hub stored it."""
    database_ = hub_db.bind(hub.db_url)
    try:
        return orjson.loads(HubCalendarVersion.get(HubCalendarVersion.version == version).body)
    finally:
        database_.close()


def test_a_new_year_moves_a_deadline_that_was_provisional(hub, nodes, tmp_path, monkeypatch):
    """A case accepted on the last working day of the shipped table is due in next year's
    first days: provisional on the receipt and at the hub, until a version adds the year
    with a holiday in those days; then it is due a day later, and no longer provisional."""
    district, next_year_file = nodes[0], with_next_year([NEW_YEARS_DAY])
    shipped, days = load_calendar(), matter(MATTER)["promised_limit_days"]
    accepted = datetime.date(shipped.last_year, 12, 31)
    while not shipped.is_workday(accepted):
        accepted -= datetime.timedelta(days=1)
    before = shipped.add_workdays(accepted, days)
    after = parse_calendar(tomllib.loads(next_year_file)).add_workdays(accepted, days)
    assert before.provisional and before.day.year == NEXT_YEAR
    assert not after.provisional and after.day > before.day  # the holiday pushes it on
    number = _accept(district, accepted, monkeypatch)
    assert district.sync()["errors"] == []
    window = _window(district)
    assert _promised(district, number) == (before.day.isoformat(), True)
    receipt = window.get(f"/window/cases/{number}/receipt").get_data(as_text=True)
    assert f"<b>{before.day.isoformat()}</b><b id=\"promised-provisional\">（暂定）</b>" in receipt
    assert "暂按周一至周五推算" in receipt
    hub_account(hub, "wangmin", "operator")
    browser = Browser(hub.url)
    assert browser.login("", "wangmin").status_code == 302
    case = browser.get(f"/api/cases/{number}").json()
    assert (case["due_date"], case["due_provisional"]) == (before.day.isoformat(), True)
    assert 'id="due-provisional">（暂定）' in browser.get(f"/cases/{number}").text

    apply(hub, tmp_path, "v2.toml", next_year_file)
    case = browser.get(f"/api/cases/{number}").json()  # the hub counted it again at once
    assert (case["due_date"], case["due_provisional"]) == (after.day.isoformat(), False)
    assert "暂定" not in browser.get(f"/cases/{number}").text
    assert district.sync()["errors"] == []  # the node, once the version reached it
    assert _promised(district, number) == (after.day.isoformat(), False)
    receipt = window.get(f"/window/cases/{number}/receipt").get_data(as_text=True)
    assert f"<b>{after.day.isoformat()}</b>" in receipt and "暂定" not in receipt


def _accept(node, day: datetime.date, monkeypatch) -> str:
    """A case of ``MATTER`` accepted at the node's window at 9:00 on ``day``."""
    monkeypatch.setattr(case_log, "now",
                        lambda: datetime.datetime.combine(day, datetime.time(9), CHINA))
    store.bind(node.data_dir)
    with database.connection_context():
        form = {"matter_code": MATTER, "applicant": ENTERPRISE, "outcome": "accept",
                "materials": [m["name"] for m in matter(MATTER)["materials"]]}
        return intake(store.load_keys(node.data_dir), node.center, CLERK, form)["number"]


def _promised(node, number: str) -> tuple[str, bool]:
    store.bind(node.data_dir)
    with database.connection_context():
        row = Case.get(Case.number == number)
        return row.promised_date, row.promised_provisional


def _window(node) -> Staff:
    """The node's pages in this process, a clerk logged in."""
    app = create_app({"data_dir": str(node.data_dir), "TESTING": True})
    with database.connection_context():
        add_user("wang", PASSWORD, ["clerk"], now_ms=1)
    clerk = Staff(app.test_client())
    assert clerk.login("wang").status_code == 302
    return clerk.client
