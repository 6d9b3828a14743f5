"""Departments inside a center (issue 15.7), through a real node: ``hallsync hub run``,
``hallsync node enroll``, ``hallsync node user add --department`` and ``hallsync node run``,
driven over HTTP on loopback like a department system would.

A reviewer of 市工业和信息化局 (``industry``: SY04001) sees and acts on its cases only;
one of 市市场监督管理局 (``market``: SY24001) on its; a reviewer with no department works
center-wide, as every login did before; the clerk stays center-wide.
"""
from __future__ import annotations

import re
import sqlite3

import orjson
import pytest
import requests

from tests.catalog_changes import matter
from tests.node.test_openapi import check, response_schema
from tests.processes import HubServer, NodeDir, hallsync, last_json, node_run

CENTER = "210102"
PASSWORD = "窗口-correct-horse"
INDUSTRY, MARKET = "SY04001", "SY24001"
APPLICANT = {"kind": "enterprise", "name": "沈阳某建设有限公司",
             "id_code": "91210100MA0Q123430", "phone": "02423456789"}
# username: (roles, departments)
STAFF = {"wang": (["clerk"], []), "li": (["reviewer"], ["industry"]),
         "zhou": (["reviewer", "approver"], ["market"]), "chen": (["reviewer"], []),
         "mixed": (["clerk", "reviewer"], ["industry"])}


def user_cli(data_dir, *args, check: bool = True, input: str | None = None):
    return hallsync("node", "user", *args, "--data-dir", data_dir, "--json", check=check,
                    input=input)


def add_user(data_dir, username: str, roles: list[str], departments: list[str], check=True):
    options = [f"--role={r}" for r in roles] + [f"--department={d}" for d in departments]
    return user_cli(data_dir, "add", username, *options, "--name", username,
                    "--password-stdin", input=PASSWORD + "\n", check=check)


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    """The district center's node with five logins, running; yields (url, data_dir)."""
    root = tmp_path_factory.mktemp("departments")
    hub = HubServer(root / "hub-data", f"sqlite:///{root / 'hub-data' / 'hub.db'}")
    hub.data_dir.mkdir(parents=True)
    hub.start()
    try:
        node = NodeDir(root / "node", CENTER)
        node.enroll(hub)
        assert node.sync()["errors"] == []
    finally:
        hub.stop()  # the node works on without it: nothing here syncs again
    for username, (roles, departments) in STAFF.items():
        assert last_json(add_user(node.data_dir, username, roles, departments))[
            "departments"] == departments
    with node_run(node.data_dir, root / "node-run.log") as url:
        yield url, node.data_dir


class Login:
    """A department system's session for one login: cookies and the CSRF header."""

    def __init__(self, url: str, username: str):
        self.url, self.session = url, requests.Session()
        token = self.session.get(url + "/api/csrf", timeout=30).json()["csrf_token"]
        answer = self.session.post(url + "/login", data={
            "username": username, "password": PASSWORD, "csrf_token": token},
            allow_redirects=False, timeout=30)
        assert answer.status_code == 302, answer.text
        self.session.headers["X-CSRFToken"] = self.session.get(
            url + "/api/csrf", timeout=30).json()["csrf_token"]

    def get(self, path: str, **kw):
        return self.session.get(self.url + path, timeout=30, **kw)

    def post(self, path: str, **kw):
        return self.session.post(self.url + path, timeout=30, **kw)


def accepted_case(url: str, code: str) -> str:
    """A case of ``code`` the clerk received and accepted; it waits for a reviewer."""
    body = {"matter_code": code, "applicant": APPLICANT, "outcome": "accept",
            "materials": [m["name"] for m in matter(code)["materials"]]}
    answer = Login(url, "wang").post("/api/cases", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["number"]


def queued(login: Login, role: str = "reviewer") -> tuple[list[str], set[str]]:
    answer = login.get("/api/queue", params={"role": role})
    assert answer.status_code == 200, answer.text
    check(response_schema("/api/queue", "get", 200), answer.json(), "GET /api/queue")
    return answer.json()["departments"], {c["number"] for c in answer.json()["cases"]}


def test_a_scoped_reviewer_sees_and_acts_on_her_departments_cases_only(center):
    url, _data_dir = center
    industry, market = accepted_case(url, INDUSTRY), accepted_case(url, MARKET)
    li, zhou, chen = Login(url, "li"), Login(url, "zhou"), Login(url, "chen")

    departments, numbers = queued(li)
    assert departments == ["industry"] and industry in numbers and market not in numbers
    departments, numbers = queued(zhou, "approver")
    assert departments == ["market"]
    assert market in queued(zhou)[1] and industry not in queued(zhou)[1]
    departments, numbers = queued(chen)
    assert departments == [] and {industry, market} <= numbers  # no department: center-wide
    assert {c["number"] for c in li.get("/api/cases").json()["cases"]} >= {industry}
    assert market not in {c["number"] for c in li.get("/api/cases").json()["cases"]}

    # Another department's case: refused, read or written, and nothing changes.
    before = chen.get(f"/api/cases/{market}").json()
    for answer in (li.get(f"/api/cases/{market}"),
                   li.post(f"/api/cases/{market}/actions", json={"action": "start_review"})):
        assert answer.status_code == 403
        problem = answer.json()
        assert (problem["code"], problem["reason"]) == ("FORBIDDEN", "department")
        assert problem["departments"] == ["industry"]
        check(response_schema("/api/cases/{number}", "get", 403), problem, "403")
    after = chen.get(f"/api/cases/{market}").json()
    assert (after["state"], len(after["history"])) == (before["state"], len(before["history"]))
    page = li.get(f"/window/cases/{market}")
    assert page.status_code == 403 and "属于其他部门" in page.text
    missing = market[:-5] + "99999"  # a case that is not here is not found, for her too
    assert li.get(f"/api/cases/{missing}").json()["code"] == "NOT_FOUND"

    # Her own department's case: she acts as before.
    answer = li.post(f"/api/cases/{industry}/actions", json={"action": "start_review"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "in_review"
    answer = chen.post(f"/api/cases/{market}/actions", json={"action": "start_review"})
    assert answer.status_code == 200, answer.text


def test_the_clerk_and_a_mixed_login_stay_center_wide_for_intake(center):
    url, _data_dir = center
    market = accepted_case(url, MARKET)
    wang, mixed = Login(url, "wang"), Login(url, "mixed")
    assert queued(wang, "clerk")[0] == []
    # A clerk who also reviews for one department sees every case (a citizen walks to any
    # window), but reviews only her department's.
    assert mixed.get(f"/api/cases/{market}").status_code == 200
    assert "start_review" not in {a["action"] for a in
                                  mixed.get(f"/api/cases/{market}").json()["available"]}
    assert market not in queued(mixed)[1]
    refused = mixed.post(f"/api/cases/{market}/actions", json={"action": "start_review"})
    assert (refused.status_code, refused.json()["reason"]) == (403, "department")
    assert mixed.get(f"/api/cases/{market}").json()["state"] == "accepted"


def test_the_cli_sets_and_clears_a_logins_departments(center):
    _url, data_dir = center
    changed = last_json(user_cli(data_dir, "departments", "chen", "--department", "market",
                                 "--department", "industry"))
    assert changed["departments"] == ["industry", "market"]
    listed = {u["username"]: u["departments"]
              for u in last_json(user_cli(data_dir, "list"))["users"]}
    assert listed["chen"] == ["industry", "market"] and listed["wang"] == []
    cleared = last_json(user_cli(data_dir, "departments", "chen", "--center-wide"))
    assert cleared["departments"] == []


@pytest.mark.parametrize("args, message", [
    (["departments", "li", "--department", "nosuch"], "未知的部门 'nosuch'"),
    (["departments", "li"], "二者选一"),
    (["departments", "li", "--department", "market", "--center-wide"], "二者选一"),
    (["departments", "wang", "--department", "market"], "只有审核人员和审批负责人"),
    (["departments", "nobody", "--center-wide"], "没有用户 nobody"),
])
def test_the_cli_refuses_bad_departments_and_changes_nothing(center, args, message):
    _url, data_dir = center
    refused = user_cli(data_dir, *args, check=False)
    assert refused.returncode == 2 and message in refused.stderr, refused.stderr
    listed = {u["username"]: u["departments"]
              for u in last_json(user_cli(data_dir, "list"))["users"]}
    assert listed["li"] == ["industry"] and listed["wang"] == []


def test_user_add_refuses_an_unknown_department_or_a_clerks(center):
    _url, data_dir = center
    unknown = add_user(data_dir, "sun", ["reviewer"], ["nosuch"], check=False)
    assert unknown.returncode == 2 and "未知的部门 'nosuch'" in unknown.stderr
    clerk = add_user(data_dir, "sun", ["clerk"], ["market"], check=False)
    assert clerk.returncode == 2 and "只有审核人员和审批负责人" in clerk.stderr
    names = {u["username"] for u in last_json(user_cli(data_dir, "list"))["users"]}
    assert "sun" not in names  # refused before the login was made


def test_logins_of_a_node_made_before_departments_stay_center_wide(tmp_path):
    """An older node directory gains ``user.departments`` when it opens; its logins are ""."""
    from node import departments, store
    from node.app import create_app
    from node.models import User, database
    from sync.schema import existing_columns
    store.bind(tmp_path / "node")
    with database.connection_context():  # back to before departments
        database.execute_sql('ALTER TABLE "user" DROP COLUMN departments')
        database.execute_sql(
            'INSERT INTO "user" (username, display_name, password_hash, roles, center, disabled,'
            " created_ms) VALUES ('li', '李审核', 'x', 'reviewer', '210102', 0, 1)")
    database.close()

    create_app({"data_dir": str(tmp_path / "node"), "TESTING": True})

    with database.connection_context():
        assert "departments" in existing_columns(database)["user"]
        li = User.get(User.username == "li")
        assert departments.of(li) == [] and departments.seeing(li) is None


def citizen(url: str, data_dir, phone: str) -> requests.Session:
    """A citizen logged in at the node with the code read from its SMS event."""
    id_code = "210102198503150013"
    session = requests.Session()
    session.headers["X-CSRFToken"] = session.get(url + "/api/csrf", timeout=30).json()[
        "csrf_token"]
    assert session.post(url + "/api/citizen/code", json={"phone": phone},
                        timeout=30).status_code == 202
    with sqlite3.connect(f"file:{data_dir / 'node.db'}?mode=ro", uri=True) as db:
        (payload,) = db.execute("SELECT payload FROM outbox_event WHERE type = 'sms.requested'"
                                " ORDER BY seq DESC LIMIT 1").fetchone()
    code = orjson.loads(payload)["params"]["code"]
    assert session.post(url + "/api/citizen/session", json={
        "phone": phone, "code": code, "id_code": id_code}, timeout=30).status_code == 201
    return session


def citizen_asks(url: str, data_dir, questions: dict[str, str]) -> None:
    """在线咨询 at the node: a question on each matter."""
    asker = citizen(url, data_dir, "13912345678")
    for matter_code, question in questions.items():
        answer = asker.post(url + "/consult", data={"matter_code": matter_code,
                                                    "question": question},
                            allow_redirects=False, timeout=30)
        assert answer.status_code == 303, answer.text


def test_a_scoped_reviewer_answers_her_departments_questions_only(center):
    url, data_dir = center
    citizen_asks(url, data_dir, {INDUSTRY: "施工作业审批要提前几天申请？",
                                 MARKET: "企业设立登记能否网上办理？"})
    li, chen = Login(url, "li"), Login(url, "chen")
    asked = re.findall(r'data-id="([^"]+)"', chen.get("/consultations/").text)
    theirs = re.findall(r'data-id="([^"]+)"', li.get("/consultations/").text)
    assert len(asked) == 2 and len(theirs) == 1  # no department: every question
    (market,) = set(asked) - set(theirs)
    refused = li.post(f"/consultations/{market}/answer", data={"answer": "可以。"})
    assert refused.status_code == 403 and "属于其他部门" in refused.text
    assert "可以。" not in chen.get("/consultations/").text
    mine = li.post(f"/consultations/{theirs[0]}/answer", data={"answer": "提前三个工作日。"},
                   allow_redirects=False)
    assert mine.status_code == 303


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_scoped_reviewer_sees_her_departments_online_applications_only(center):
    url, data_dir = center
    applicant = citizen(url, data_dir, "13912345679")  # a code a minute per phone
    for code in (INDUSTRY, MARKET):
        files = {f"file:{m['name']}": (f"{n}.pdf", PDF, "application/pdf")
                 for n, m in enumerate(matter(code)["materials"])}
        answer = applicant.post(f"{url}/citizen/apply/{code}", files=files, data={
            "name": "张伟", "consent": "yes"}, allow_redirects=False, timeout=30)
        assert "/citizen/applications/" in answer.headers.get("Location", ""), answer.text
    li, chen = Login(url, "li"), Login(url, "chen")
    waiting = re.findall(r'data-id="([^"]+)"', chen.get("/window/prereview/").text)
    hers = re.findall(r'data-id="([^"]+)"', li.get("/window/prereview/").text)
    assert len(waiting) == 2 and len(hers) == 1
    (other,) = set(waiting) - set(hers)
    assert "电力设施" in li.get(f"/window/prereview/{hers[0]}").text
    refused = li.get(f"/window/prereview/{other}")
    assert refused.status_code == 403 and "属于其他部门" in refused.text
