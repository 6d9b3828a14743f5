"""The demo's working day at 和平区 and two of its streets, played by their staff.

Every case step goes through a running node's JSON API, logged in as the demo
login of the role that takes it (the clerk takes the case in, the reviewer
reviews, the approver decides), and every move between centers is the nodes'
own scheduled sync: the day waits for it, as the staff would. The hub's side
(notice, settings, catalog change, figures) is its operators' commands.
"""
from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click
import orjson
import requests

from hallsync.demo_processes import Processes
from sync.case_clock import CHINA, china_today
from sync.case_labels import COMPLETED, HANDED_OFF, IN_APPROVAL, SUSPENDED_SUPPLEMENT
from sync.catalog_history import load_matters

STREET, OTHER_STREET, DISTRICT, CITY = "210102001", "210102002", "210102", "210100"
NODES = (DISTRICT, STREET, OTHER_STREET)  # the node processes, the district first
FOOD_LICENCE, CONSTRUCTION, INSURANCE = "SY24901", "SY04001", "SY26001"
PERSON = {"kind": "person", "name": "演示申请人", "id_code": "210102198503150013",
          "phone": "13800000000"}
COMPANY = {"kind": "enterprise", "name": "演示用建设有限公司", "id_code": "91210100MA0Q123430",
           "phone": "02423456789"}


def materials(code: str) -> list[str]:
    """Every material of the matter: the demo's applicants come well prepared."""
    return [m.name for m in next(m for m in load_matters() if m.basic_code == code).materials]


class Desk:
    """One demo login at one site: a logged-in session that sends the CSRF token."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base, self.http = base_url, requests.Session()
        token = self.http.get(f"{base_url}/api/csrf", timeout=10).json()["csrf_token"]
        answer = self.http.post(f"{base_url}/login", allow_redirects=False, timeout=10, data={
            "username": username, "password": password, "csrf_token": token})
        if answer.status_code != 302:
            raise click.ClickException(f"{username} could not log in at {base_url}/login "
                                       f"({answer.status_code})")
        self.token = self.http.get(f"{base_url}/api/csrf", timeout=10).json()["csrf_token"]

    def get(self, path: str) -> dict | None:
        """The JSON at PATH, or None while this site does not have it (yet)."""
        answer = self.http.get(self.base + path, timeout=10)
        return answer.json() if answer.status_code == 200 else None

    def post(self, path: str, body: dict) -> dict:
        answer = self.http.post(self.base + path, json=body, timeout=30,
                                headers={"X-CSRFToken": self.token})
        if answer.status_code >= 400:
            raise click.ClickException(f"POST {self.base}{path}: {answer.status_code} "
                                       f"{answer.text[:500]}")
        return answer.json()


@dataclass
class Sites:
    """Where the day is played: the hub's directory and URL, each node's URL, the logins."""

    procs: Processes
    hub_dir: Path
    hub_url: str
    urls: dict[str, str]                      # center → its node's URL (the city: hub/city)
    password: str
    stop_hub: Callable[[], None]
    start_hub: Callable[[], None]
    sms_gateway_url: str = ""
    desks: dict = field(default_factory=dict)

    def desk(self, center: str, role: str) -> Desk:
        """The demo login of ROLE at CENTER (its username is the role)."""
        if (center, role) not in self.desks:
            self.desks[center, role] = Desk(self.urls[center], role, self.password)
        return self.desks[center, role]


def wait_for(what: str, check: Callable, timeout: float = 90):
    """Poll CHECK until it returns something true: the nodes sync on their own schedule."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise click.ClickException(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.25)
    return found


class Day:
    """The day's steps, in order; ``made`` counts the cases taken in at the windows."""

    def __init__(self, sites: Sites):
        self.sites, self.made = sites, []

    def act(self, center: str, number: str, role: str, action: str, data: dict | None = None):
        return self.sites.desk(center, role).post(f"/api/cases/{number}/actions",
                                                  {"action": action, "data": data or {}})

    def rate(self, center: str, number: str, data: dict) -> dict:
        """好差评 by the applicant: the clerk opens the window's evaluation pad, the applicant
        chooses (``node.evaluation``); the case as it stands after."""
        desk = self.sites.desk(center, "clerk")
        token = desk.post(f"/api/cases/{number}/evaluation-pad", {})["token"]
        desk.post(f"/api/evaluations/{token}", data)
        return desk.get(f"/api/cases/{number}")

    def take_in(self, center: str, matter: str, applicant: dict, **form) -> dict:
        case = self.sites.desk(center, "clerk").post("/api/cases", {
            "matter_code": matter, "applicant": applicant, "materials": materials(matter),
            "outcome": "accept", **form})
        self.made.append(case["number"])
        return case

    def case_at(self, center: str, number: str, state: str | None = None) -> dict:
        """The case as CENTER sees it, once it is there (in STATE, if given)."""
        def seen():
            case = self.sites.desk(center, "clerk").get(f"/api/cases/{number}")
            return case if case and (state is None or case["state"] == state) else None
        return wait_for(f"case {number} at {center}" + (f" ({state})" if state else ""), seen)

    def status(self, center: str) -> dict:
        status = self.sites.desk(center, "clerk").get("/api/status")
        if status is None:
            raise click.ClickException(f"{self.sites.urls[center]}/api/status did not answer")
        return status

    # the day ------------------------------------------------------------------------------
    def play(self) -> None:
        self.morning_at_the_hub()
        self.window_case_with_supplement()
        self.handoff()
        self.parallel_approval()
        self.offline_afternoon()
        self.settle()

    def morning_at_the_hub(self) -> None:
        procs, hub_dir = self.sites.procs, self.sites.hub_dir
        procs.run("hub", "notice", "系统升级通知", "本周六 9:00-12:00 暂停同步", "--data-dir", hub_dir)
        procs.run("hub", "set", STREET, "heartbeat_interval_s=30", "--data-dir", hub_dir)
        change = hub_dir.parent / "catalog-change.json"
        change.write_bytes(orjson.dumps({
            "op": "cancel", "codes": ["SY01006"], "author": "市政务服务中心（演示）",
            "reason": "演示：取消一项审批事项", "effective_date": "2026-12-01"}))
        applied = procs.run_json("hub", "catalog", "apply", change, "--data-dir", hub_dir)
        click.echo(f"3. Morning at the hub: a notice for every center, a settings change for "
                   f"{STREET}, and catalog version {applied['version']} (cancel "
                   f"{', '.join(applied['removed'])}: {applied['count_before']} → "
                   f"{applied['count_after']} matters). The nodes pull it on their schedule:")
        for center in (*NODES, CITY):
            status = wait_for(f"catalog v{applied['version']} at {center}",
                              lambda c=center: (s := self.status(c))["catalog_version"]
                              == applied["version"] and s)
            click.echo(f"     {center} runs catalog v{status['catalog_version']} with "
                       f"{status['catalog_matters']} matters in force")

    def window_case_with_supplement(self) -> None:
        number = self.take_in(DISTRICT, CONSTRUCTION, COMPANY)["number"]
        self.act(DISTRICT, number, "reviewer", "start_review")
        self.act(DISTRICT, number, "reviewer", "suspend_supplement",
                 {"missing": materials(CONSTRUCTION)[:1], "reason": "演示：缺少签章页，一次性告知补正"})
        self.act(DISTRICT, number, "clerk", "supplement_in")
        self.act(DISTRICT, number, "reviewer", "submit_for_approval")
        case = self.act(DISTRICT, number, "approver", "decide",
                        {"outcome": "approved", "document_number": "演示〔2026〕1号"})
        self.act(DISTRICT, number, "clerk", "deliver", {"method": "window"})
        rated = self.rate(DISTRICT, number, {"level": "very_satisfied"})
        click.echo(f"4. At {DISTRICT}'s window: case {number} ({case['matter']['name']}), "
                   f"accepted, a material asked for in review (the clock stops) and brought in, "
                   f"approved ({case['document_number']}), delivered; the applicant rates it "
                   f"{rated['evaluation']['label']}")

    def handoff(self) -> None:
        handed = self.take_in(STREET, FOOD_LICENCE, PERSON, consent=True)
        number = handed["number"]
        click.echo(f"5. 异地代收代办: {STREET}'s window collects case {number} "
                   f"({handed['matter']['name']}, decided by the district): "
                   f"{handed['state_label']}")
        self.case_at(DISTRICT, number, HANDED_OFF)
        for role, action, data in (("reviewer", "take_over", {}), ("reviewer", "start_review", {}),
                                   ("reviewer", "submit_for_approval", {})):
            self.act(DISTRICT, number, role, action, data)
        decided = self.act(DISTRICT, number, "approver", "decide", {
            "outcome": "approved", "document_number": "演示食经〔2026〕1号"})
        click.echo(f"     {DISTRICT} takes it over and decides: {decided['state_label']}, "
                   f"{decided['document_number']}; the result flows back")
        self.case_at(STREET, number, COMPLETED)
        self.act(STREET, number, "clerk", "deliver", {"method": "window"})
        rated = self.rate(STREET, number, {"level": "satisfied"})
        click.echo(f"     {STREET} delivers it: {rated['state_label']} ({len(rated['history'])} "
                   f"steps, signed by both centers), rated {rated['evaluation']['label']}")

    def parallel_approval(self) -> None:
        """市区两级并联审批: the district consults a city bureau, which asks for a material."""
        number = self.take_in(OTHER_STREET, FOOD_LICENCE, PERSON, consent=True)["number"]
        self.case_at(DISTRICT, number, HANDED_OFF)
        due = (china_today() + datetime.timedelta(days=30)).isoformat()
        self.act(DISTRICT, number, "reviewer", "take_over")
        self.act(DISTRICT, number, "reviewer", "start_review")
        self.act(DISTRICT, number, "reviewer", "open_joint", {
            "departments": {"fire": due, "natres": due}, "centers": {"natres": CITY}})
        click.echo(f"6. 市区两级并联审批: {OTHER_STREET} collects case {number}; {DISTRICT} takes "
                   f"it over and opens a joint approval: its own fire brigade, and the city's "
                   f"natural-resources bureau at /city/")
        self.case_at(CITY, number)
        opinion = "/api/cases/{}/opinions".format(number)
        self.sites.desk(CITY, "reviewer").post(opinion, {
            "department": "natres", "decision": "supplement", "missing": ["建设项目规划设计方案"]})
        paused = self.case_at(DISTRICT, number, SUSPENDED_SUPPLEMENT)
        click.echo(f"     the city asks for a material: at {DISTRICT} the case is "
                   f"{paused['state_label']}, missing {'、'.join(paused['missing'])}; the fire "
                   "brigade consents meanwhile, then the material comes in")
        self.act(DISTRICT, number, "approver", "joint_decide",
                 {"department": "fire", "decision": "consent"})
        steps = len(self.act(DISTRICT, number, "clerk", "supplement_in")["history"])
        wait_for(f"the supplement at {CITY}",
                 lambda: len(self.case_at(CITY, number)["history"]) >= steps)
        self.sites.desk(CITY, "approver").post(opinion, {"department": "natres",
                                                         "decision": "consent"})
        self.case_at(DISTRICT, number, IN_APPROVAL)
        decided = self.act(DISTRICT, number, "approver", "decide", {
            "outcome": "approved", "document_number": "演示食经〔2026〕2号"})
        self.case_at(OTHER_STREET, number, COMPLETED)
        self.act(OTHER_STREET, number, "clerk", "deliver", {"method": "window"})
        rated = self.rate(OTHER_STREET, number,
                          {"level": "basically_satisfied", "comment": "等待补正材料时间较长"})
        steps = [s["action"] for s in rated["history"]]
        same = all(wait_for(f"case {number}'s last step at {center}", lambda c=center: [
            s["action"] for s in self.case_at(c, number)["history"]] == steps, timeout=60)
            for center in (DISTRICT, CITY))
        click.echo(f"     both sides decided, {DISTRICT} approved ({decided['document_number']}), "
                   f"{OTHER_STREET} delivered and the applicant rated it "
                   f"{rated['evaluation']['label']}; {len(steps)} steps, the same at all three "
                   f"centers: {same}")

    def offline_afternoon(self) -> None:
        click.echo("7. The network goes down; the street center keeps working:")
        self.sites.stop_hub()
        for n, name in enumerate(("演示居民甲", "演示居民乙"), 1):
            self.take_in(STREET, INSURANCE, {**PERSON, "name": name},
                         outcome="complete_immediate", document_number=f"演示医保〔2026〕{n}号")
        backlog = wait_for("the backlog at the street", lambda: self.status(STREET)["backlog"])
        click.echo(f"     two 即办件 done at {STREET}'s window; {backlog} event(s) wait at its node")
        self.sites.start_hub()
        wait_for(f"{STREET}'s backlog to drain", lambda: self.status(STREET)["backlog"] == 0)
        click.echo("8. The hub is back; the street's node sends its backlog on its own")

    def settle(self) -> None:
        """Wait until the hub holds every center's events: the figures are then the day's."""
        for center in (*NODES, CITY):
            wait_for(f"{center} to send everything",
                     lambda c=center: (s := self.status(c))["backlog"] == 0 and s["acked_seq"])


def figures(sites: Sites, made: int) -> None:
    """The hub's status, audit and the city's figures for today, beside what the day made."""
    procs, hub_dir = sites.procs, sites.hub_dir
    status = procs.run_json("hub", "status", "--data-dir", hub_dir)
    audit = procs.run_json("audit", "verify", "--data-dir", hub_dir)
    today = datetime.datetime.now(CHINA).date().isoformat()
    report = procs.run_json("hub", "stats", "--period", "day", "--date", today,
                            "--data-dir", hub_dir)
    f = report["figures"]
    click.echo(f"9. The hub holds {status['events_held']} event(s) from "
               f"{status['centers_enrolled']} centers; audit of every chain and signature: "
               f"{'intact' if audit['intact'] else 'BROKEN at ' + audit['first_bad']}")
    click.echo(f"   {report['name']}, {today}, consolidated at the hub: 收件 {f['received']}，"
               f"受理 {f['accepted']}，办结 {f['completed']}（即办 {f['completed_immediately']}），"
               f"移交办理 {f['handed_off']}，好差评 {f['evaluated']}")
    for child in report["children"]:
        if child["figures"]["received"]:
            click.echo(f"   {child['code']} {child['name']}：收件 {child['figures']['received']}，"
                       f"办结 {child['figures']['completed']}")
    agree = "they agree" if f["received"] == made else "they DIFFER"
    click.echo(f"   cases made at the windows today: {made}; received as counted at the hub: "
               f"{f['received']} ({agree})")


def sms_summary(sites: Sites) -> None:
    """What the fake gateway delivered of the day's SMS (acceptances, 补正, 办结, 好差评
    links), once the hub has sent every one the nodes pushed; each id exactly once."""
    def settled():
        state = requests.get(sites.sms_gateway_url + "/_fake/state", timeout=10).json()
        held = sites.procs.run_json("hub", "sms", "status", "--data-dir", sites.hub_dir)
        waiting = held["queued"] + held["sending"]
        return (state, held) if state["delivered"] and not waiting else None
    state, held = wait_for("the day's SMS sent", settled, timeout=120)
    click.echo(f"10. SMS through the fake gateway: {state['delivered']} delivered, "
               f"{len(state['duplicates'])} sent twice, despite {state['timeouts_injected']} "
               f"late answers, {state['errors_injected']} 5xx, {state['reports_lost']} lost and "
               f"{state['reports_duplicated']} doubled delivery reports; at the hub "
               + "，".join(f"{k} {v}" for k, v in held.items() if v))
