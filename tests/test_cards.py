"""Electronic supervision: a node and the hub list the same cards (real processes both).

Ten thousand cases are generated along random paths (late acceptances, special
procedures with their written limits, pauses for supplements, withdrawals,
decisions) on days spread over three months, imported at a district node by its
own ``hallsync node import``, synced to a real hub (SQLite and PostgreSQL), and both sides list their cards through
``sync.cards`` as of several days: the lists are equal, and every kind of card
occurs. ``hallsync hub cards`` prints them; an unknown center is refused.
"""
from __future__ import annotations

import collections
import datetime
import json
import random
import re

import orjson
import pytest

from hub import db as hub_db
from hub.cases.cards import hub_cards, listing
from hub.views.stats_api import OPENAPI as HUB_OPENAPI
from hub.stats.figures import report
from hub.stats.periods import Period
from node import case_log, store
from node.cards import center_cards
from node.models import database
from sync.case_clock import CHINA, china_today
from sync.identity_codes import credit_code_check_char, org_code_check_char
from tests.catalog_changes import matter
from tests.hallsync.test_city_node import Browser
from tests.openapi_check import Schemas
from tests.processes import hallsync, last_json
from tests.queries import counted
from tests.staff import hub_account

HUB_DOC = Schemas(json.loads(HUB_OPENAPI.read_text(encoding="utf-8")))
CENTER = "210102"  # 和平区政务服务中心
MATTER = "SY04001"  # 电力设施保护区内施工作业审批: promised, 3 working days
CASES = 10_000
FIRST_DAY = datetime.date(2026, 3, 2)  # every step months before today: history to import
AS_OF = [datetime.date(2026, 3, 31), datetime.date(2026, 5, 19), datetime.date(2026, 6, 29)]
CLERK, REVIEWER, APPROVER = (case_log.Actor("wang", "clerk"), case_log.Actor("li", "reviewer"),
                             case_log.Actor("zhao", "approver"))


def _paths(rng: random.Random):
    """One case's random path: its intake outcome, then (actor, action, data) steps."""
    outcome = rng.choices(["accept", "request_supplement", "not_accept"], [7, 2, 1])[0]
    steps = []
    if outcome == "request_supplement":
        if rng.random() < 0.3:
            return outcome, steps  # still waiting for the materials
        steps.append((CLERK, "supplement_in", {}))
        if rng.random() < 0.3:
            return outcome, steps  # received, not yet accepted
        steps.append((CLERK, "accept", {}))
    elif outcome == "not_accept":
        return outcome, steps
    return outcome, steps + _after_acceptance(rng)


def _after_acceptance(rng: random.Random):
    """Up to four random moves the state machine takes, each pause closed before the next."""
    done, state, paused = [], "accepted", None
    for _ in range(rng.randint(0, 4)):
        if paused:
            done.append(paused)
            paused = None
        if state == "accepted":
            done.append((REVIEWER, "start_review", {}))
            state = "review"
            continue
        move = rng.choice(["special", "supplement", "forward", "withdraw"])
        if move == "special":
            paused = (REVIEWER, "end_special", {"result": "核查完毕"})
            done.append((REVIEWER, "start_special", {"kind": "site_survey", "reason": "需现场核查",
                                                    "limit_days": rng.randint(1, 8)}))
        elif move == "supplement":
            paused = (CLERK, "supplement_in", {})
            done.append((REVIEWER, "suspend_supplement", {"missing": ["施工方案及安全保护措施"]}))
        elif move == "withdraw":
            return done + [(CLERK, "withdraw", {"reason": "申请人撤回"})]
        elif state == "review":
            done.append((REVIEWER, "submit_for_approval", {}))
            state = "approval"
        else:
            return done + [(APPROVER, "decide", {"outcome": "approved",
                                                 "document_number": "沈电审〔2026〕18号"})]
    return done


def _applicant(n: int) -> dict:
    """One of many enterprises (a valid credit code each): cases by one applicant are few."""
    org = f"MA{n:06d}"
    first17 = "91210100" + org + org_code_check_char(org)
    return {"kind": "enterprise", "name": f"沈阳某建设有限公司{n}号",
            "id_code": first17 + credit_code_check_char(first17), "phone": "02423456789"}


def _case_lines(count: int, seed: int) -> list[dict]:
    """``count`` cases in the import format, each received on a random day, acted on days apart."""
    rng = random.Random(seed)
    materials = [m["name"] for m in matter(MATTER)["materials"]]
    received = sorted(FIRST_DAY + datetime.timedelta(days=rng.randint(0, 100))
                      for _ in range(count))
    lines, numbered = [], collections.Counter()
    for day in received:
        numbered[day] += 1
        at = datetime.datetime.combine(day, datetime.time(9), CHINA)
        outcome, steps = _paths(rng)
        reason = {"reason": "不属于本机关职权范围"} if outcome == "not_accept" else {}
        case = {"number": f"{CENTER}-{day:%Y%m%d}-{numbered[day]:05d}", "matter_code": MATTER,
                "applicant": _applicant(rng.randrange(count // 5 + 1)),
                "materials": materials[:-1] if outcome == "request_supplement" else materials,
                "received_at": at.isoformat(), "received_by": CLERK.user, "steps": []}
        if outcome == "request_supplement":
            steps = [(CLERK, "request_supplement", {"missing": [materials[-1]]})] + steps
        elif outcome == "not_accept":
            steps = [(CLERK, "not_accept", reason)]
        else:
            steps = [(CLERK, "accept", {})] + steps
        for n, (actor, action, data) in enumerate(steps):
            if n:  # intake's decision is taken at once; later steps days apart
                at += datetime.timedelta(days=rng.choice([0, 1, 2, 3, 5, 8, 13]), minutes=10)
            case["steps"].append({"action": action, "role": actor.role, "user": actor.user,
                                  "at": at.isoformat(), "data": data})
        lines.append(case)
    return lines


def _generate(node_dir, count: int, seed: int = 15) -> None:
    """``count`` cases made this center's through the node's own import (real command)."""
    path = node_dir.data_dir / f"cases-{count}.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(c) for c in _case_lines(count, seed)))
    done = last_json(hallsync("node", "import", path, "--data-dir", node_dir.data_dir, "--json"))
    assert done["cases_imported"] == count


@pytest.fixture
def node(hub, make_node):
    node_dir = make_node(CENTER)
    node_dir.enroll(hub)
    assert node_dir.sync()["errors"] == []  # the catalog
    return node_dir


def test_node_and_hub_list_the_same_cards(hub, node):
    _generate(node, CASES)
    assert node.sync()["errors"] == []
    at_node = {}
    store.bind(node.data_dir)
    with database.connection_context():
        for day in AS_OF:
            with counted(database) as queries:
                at_node[day] = center_cards(day)
            assert len(queries) <= 6  # the calendar in force (its body read once), the
            # state, the rows, their actions, the orders: not one per case
    hub_database = hub_db.bind(hub.db_url)
    with hub_database.connection_context():
        for day in AS_OF:
            assert hub_cards(day, [CENTER]).get(CENTER, []) == at_node[day]
        if hub.db_url.startswith("sqlite"):  # the counter traces SQLite connections
            with counted(hub_database) as queries:
                hub_cards(AS_OF[-1], [CENTER])
            assert len(queries) == 4  # the calendar in force, the copies, their actions,
            # their orders: not one per case
    hub_database.close()
    kinds = {(c.clock, c.level) for found in at_node.values() for c in found}
    for expected in [("promised", "warning"), ("promised", "yellow"), ("promised", "red"),
                     ("special", "yellow"), ("intake", "red"),
                     ("late_acceptance", "irregular")]:
        assert expected in kinds


def test_the_command_lists_cards_and_refuses_an_unknown_center(hub, node):
    _generate(node, 40)
    assert node.sync()["errors"] == []
    shown = last_json(hallsync("hub", "cards", "--center", "210100", "--json",
                               "--data-dir", str(hub.data_dir), "--db", hub.db_url))
    hub_database = hub_db.bind(hub.db_url)
    with hub_database.connection_context():
        expected = listing("210100", china_today())
    hub_database.close()
    assert shown == expected and shown["name"] and shown["totals"]["red"] > 0
    assert [c["code"] for c in shown["centers"]] == [CENTER]
    at_node = last_json(hallsync("node", "cards", "--json", "--data-dir", node.data_dir))
    assert at_node["as_of"] == shown["as_of"] and at_node["center"] == CENTER
    assert (at_node["counts"], at_node["cards"]) == (shown["centers"][0]["counts"],
                                                     shown["centers"][0]["cards"])
    assert "红牌" in hallsync("node", "cards", "--data-dir", node.data_dir).stdout
    text = hallsync("hub", "cards", "--data-dir", str(hub.data_dir), "--db", hub.db_url)
    assert "红牌" in text.stdout and CENTER in text.stdout
    bad = hallsync("hub", "cards", "--center", "999999", "--data-dir", str(hub.data_dir),
                   "--db", hub.db_url, check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("error: CENTER_UNKNOWN:")

    # The same listing on the hub's page and API, within the login's scope.
    hub_account(hub, "wangmin", "operator")
    hub_account(hub, "shenhe", "district_admin", scope="210103")  # 沈河区: not 和平区
    operator, other_district = Browser(hub.url), Browser(hub.url)
    assert operator.login("", "wangmin").status_code == 302
    assert other_district.login("", "shenhe").status_code == 302
    answer = operator.get("/api/cards?center=210100&all=1")
    assert answer.status_code == 200 and answer.json() == expected
    hub_database = hub_db.bind(hub.db_url)
    with hub_database.connection_context():
        open_only = listing("210100", china_today(), open_only=True)
    hub_database.close()
    assert operator.get("/api/cards?center=210100").json() == open_only
    assert 0 < open_only["totals"]["red"] and open_only["totals"]["red"] == expected["totals"]["red"]
    HUB_DOC.check(HUB_DOC.doc["paths"]["/api/cards"]["get"]["responses"]["200"]["content"]
                  ["application/json"]["schema"], answer.json())
    red = operator.get("/api/cards?center=210100&level=red&all=1").json()
    assert {c["level"] for found in red["centers"] for c in found["cards"]} == {"red"}
    assert red["totals"]["red"] == expected["totals"]["red"] and red["totals"]["yellow"] == 0
    assert operator.get("/api/cards?level=purple").json()["code"] == "VALIDATION_FAILED"
    assert other_district.get("/api/cards?center=210102").status_code == 403
    assert other_district.get("/api/cards").json()["centers"] == []  # none of its own
    page = operator.get("/cards?center=210100&level=red").text
    numbers = [c["number"] for c in red["centers"][0]["cards"]]
    assert all(number in page for number in numbers) and "红牌" in page


def test_the_dashboard_shows_the_open_cases_cards(hub, node):
    _generate(node, 40)
    assert node.sync()["errors"] == []
    hub_database = hub_db.bind(hub.db_url)
    with hub_database.connection_context():
        today = china_today()
        month = Period.current("month", today)
        district, city = report(CENTER, month, today=today), report("210100", month, today=today)
        everything = hub_cards(today, [CENTER])[CENTER]
    hub_database.close()
    # Open cases only: the district's red cards are all its cases' red cards (red is open).
    assert district["now"]["cards"]["red"] == sum(c.level == "red" for c in everything) > 0
    assert district["own_now"]["cards"] == district["now"]["cards"]  # no street has a case
    heping = next(c for c in city["children"] if c["code"] == CENTER)
    assert heping["now"]["cards"] == district["now"]["cards"] == city["now"]["cards"]
    hub_account(hub, "wangmin", "operator")
    browser = Browser(hub.url)
    assert browser.login("", "wangmin").status_code == 302
    html = browser.get("/dashboard?center=210100").text
    for tile, level in (("tile-yellow", "yellow"), ("tile-red", "red")):
        value = re.search(rf'id="{tile}">.*?<div class="value">([\d,]+)<', html, re.S).group(1)
        assert int(value.replace(",", "")) == city["now"]["cards"][level]
    row = re.search(r'<tr><td><a [^>]*>和平区政务服务中心</a>(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="num">([\d,.%—]+)</td>', row)
    assert cells[-2:] == [str(district["now"]["cards"]["yellow"]),
                          str(district["now"]["cards"]["red"])]
