"""The window's pages and JSON API: roles and center on every route, intake, queue, figures, receipt.

The node is real: it enrolls with an in-process hub and pulls catalog version 1
once per module; each test works on a copy of that data directory.
"""
from __future__ import annotations

import datetime
import re
import shutil
import threading

import orjson
import pytest
from werkzeug.serving import make_server

from hub.app import create_app as create_hub
from hub.ledger.enrollment import make_token
from hub.models import database as hub_database
from node import case_log, cases, store
from node.app import create_app, load_settings
from node.enroll import enroll
from node.models import Case, CaseAction, OutboxEvent, database
from node.syncer import Node
from node.users import ROLES, add_user
from node.window import FORM_FIELDS
from sync import envelope as env
from sync.calendar import load_calendar
from sync.case_numbers import query_code
from sync.case_clock import CHINA
from sync.case_machine import ACTIONS, RECEIVE
from sync.deadlines import warning_level
from tests.catalog_changes import matter

CENTER = "210102"        # 和平区政务服务中心: SY04001 is exercised at district level
OTHER = "210103"         # 沈河区: its case numbers are not ours
PASSWORD = "窗口-correct-horse"
MATTER = "SY04001"       # 电力设施保护区内施工作业审批: promised 3 working days, green channel
IMMEDIATE = "SY24006"    # 企业变更登记: 即办件
ENTERPRISE = {"kind": "enterprise", "name": "沈阳某建设有限公司",
              "id_code": "91210100MA0Q123430", "phone": "02423456789"}
PERSON = {"kind": "person", "name": "张伟", "id_code": "210102198503150013",
          "phone": "13800000000"}
USERS = {"clerk": ["clerk"], "reviewer": ["reviewer"], "approver": ["approver"],
         "center-admin": ["center_admin"], "auditor": ["auditor"]}
KEYS = ("code", "status", "title", "detail")


def everything(code: str = MATTER) -> list[str]:
    return [m["name"] for m in matter(code)["materials"]]


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """An enrolled node of 210102 with the catalog and one user per role (made once: scrypt is slow)."""
    root = tmp_path_factory.mktemp("window")
    hub = create_hub({"data_dir": str(root / "hub")})
    server = make_server("127.0.0.1", 0, hub, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with hub_database.connection_context():
            token = make_token(CENTER, hub_keys=hub.extensions["hallsync"].keys, ttl_s=60,
                               now_ms=env.now_ms())
        data_dir = root / "node"
        settings = load_settings({"data_dir": str(data_dir)})
        enroll(data_dir, f"http://127.0.0.1:{server.server_port}", token, settings)
        node = Node(data_dir, settings)
        try:
            assert node.pull().problems == []
        finally:
            node.close()
    finally:
        server.shutdown()
    store.bind(data_dir)
    with database.connection_context():
        for username, roles in USERS.items():
            add_user(username, PASSWORD, roles, display_name=f"{ROLES[roles[0]]}甲",
                     now_ms=env.now_ms())
        add_user("lead", PASSWORD, ["reviewer", "approver"], now_ms=env.now_ms())
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    return data_dir


@pytest.fixture
def app(seed, tmp_path):
    data_dir = tmp_path / "node"
    shutil.copytree(seed, data_dir)
    return create_app({"data_dir": str(data_dir), "TESTING": True})


class Staff:
    """A logged-in member of staff: pages with a form token, the API with the header."""

    def __init__(self, app, username: str | None):
        self.client = app.test_client()
        if username:
            response = self.client.post("/login", data={"username": username,
                                                         "password": PASSWORD,
                                                         "csrf_token": self.token()})
            assert response.status_code == 302, response.get_data(as_text=True)

    def token(self) -> str:
        return self.client.get("/api/csrf").get_json()["csrf_token"]

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def form(self, path: str, data: dict):
        return self.client.post(path, data={**data, "csrf_token": self.token()})

    def json(self, path: str, body):
        return self.client.post(path, json=body, headers={"X-CSRFToken": self.token()})


@pytest.fixture
def staff(app):
    return lambda username: Staff(app, username)


@pytest.fixture
def at(monkeypatch):
    """Set the time cases are received and acted on (``at(None)``: the real clock again)."""
    moment = {"at": None}
    monkeypatch.setattr(case_log, "now", lambda: moment["at"] or datetime.datetime.now(
        CHINA).replace(microsecond=0))
    return lambda when: moment.update(at=when)


def new_case(app, outcome: str = "accept", code: str = MATTER, applicant=ENTERPRISE,
             materials=None, **extra) -> str:
    """A case made through ``node.cases`` as the clerk would; returns its number."""
    form = {"matter_code": code, "applicant": applicant, "outcome": outcome,
            "materials": everything(code) if materials is None else materials, **extra}
    data_dir = app.config["HALLSYNC"]["data_dir"]
    with database.connection_context():
        return cases.intake(store.load_keys(data_dir), CENTER, case_log.Actor("clerk", "clerk"),
                            form)["number"]


def act(app, number: str, action: str, role: str, data: dict | None = None) -> dict:
    data_dir = app.config["HALLSYNC"]["data_dir"]
    with database.connection_context():
        return cases.act(store.load_keys(data_dir), CENTER, number, action,
                         case_log.Actor(role, role), data or {})


def counts() -> tuple[int, int, int]:
    with database.connection_context():
        return (Case.select().count(), CaseAction.select().count(),
                OutboxEvent.select().count())


def today() -> datetime.date:
    return datetime.datetime.now(CHINA).date()


# -- roles and centers on every route ------------------------------------------------------

EVERYONE = set(ROLES)
INTAKE_CHOOSE = {"step": "choose", "matter_code": MATTER, "applicant_kind": "enterprise",
                 "applicant_name": ENTERPRISE["name"], "applicant_id_code": ENTERPRISE["id_code"],
                 "applicant_phone": ENTERPRISE["phone"]}
API_INTAKE = {"matter_code": MATTER, "applicant": ENTERPRISE, "materials": everything(),
              "outcome": "accept"}
# (method, path with {n} for the case, body) → {role: status}; a role not named gets 403.
ROUTES = {
    ("GET", "/window/", None): dict.fromkeys(EVERYONE, 200),
    ("GET", "/window/?role=reviewer", None): {"reviewer": 200},
    ("GET", "/window/intake", None): {"clerk": 200},
    ("POST", "/window/intake", "choose"): {"clerk": 200},
    ("GET", "/window/cases/{n}", None): dict.fromkeys(EVERYONE, 200),
    ("POST", "/window/cases/{n}/act", "start_review"): {"reviewer": 303, "center_admin": 303},
    ("POST", "/window/cases/{n}/act", "withdraw"): {"clerk": 303, "center_admin": 303},
    ("GET", "/window/cases/{n}/receipt", None): dict.fromkeys(EVERYONE, 200),
    # An accepted case has no decision yet, so no letter: every role gets the 409 page.
    ("GET", "/window/cases/{n}/letter", None): dict.fromkeys(EVERYONE, 409),
    ("GET", "/window/cases/{n}/service-proof", None): dict.fromkeys(EVERYONE, 409),
    ("GET", "/window/search?q=沈阳", None): dict.fromkeys(EVERYONE, 200),
    ("GET", "/window/figures", None): dict.fromkeys(EVERYONE, 200),
    ("GET", "/api/cases", None): dict.fromkeys(EVERYONE, 200),
    ("POST", "/api/cases", "intake"): {"clerk": 201},
    ("GET", "/api/cases/{n}", None): dict.fromkeys(EVERYONE, 200),
    ("POST", "/api/cases/{n}/actions", "start_review"): {"reviewer": 200, "center_admin": 200},
    ("POST", "/api/cases/{n}/actions", "decide"): {},  # in 已受理 nobody may: approver gets 409
    ("GET", "/api/queue", None): dict.fromkeys(EVERYONE, 200),
    ("GET", "/api/queue?role=approver", None): {"approver": 200},
    ("GET", "/api/figures", None): dict.fromkeys(EVERYONE, 200),
    ("GET", "/api/status", None): dict.fromkeys(EVERYONE, 200),
    ("GET", "/api/catalog?q=SY04001", None): dict.fromkeys(EVERYONE, 200),
    ("GET", "/api/csrf", None): dict.fromkeys(EVERYONE, 200),
    ("GET", "/api/openapi.json", None): dict.fromkeys(EVERYONE, 200),
}
ROUTES[("POST", "/api/cases/{n}/actions", "decide")]["approver"] = 409
ANONYMOUS_OK = {"/api/catalog?q=SY04001", "/api/csrf", "/api/openapi.json"}


def send(user: Staff, method: str, path: str, body: str | None):
    if method == "GET":
        return user.get(path)
    if path == "/window/intake":
        return user.form(path, INTAKE_CHOOSE)
    if path.endswith("/act"):
        return user.form(path, {"action": body, "reason": "申请人撤回申请"})
    if path == "/api/cases":
        return user.json(path, API_INTAKE)
    data = {"outcome": "approved", "document_number": "沈电审〔2026〕1号"} if body == "decide" else {}
    return user.json(path, {"action": body, "data": data})


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("method, path, body", list(ROUTES), ids=lambda v: str(v))
def test_route_and_role(app, staff, method, path, body, role):
    number = new_case(app)
    user = staff(role.replace("_", "-"))
    response = send(user, method, path.format(n=number), body)
    expected = ROUTES[(method, path, body)].get(role, 403)
    assert response.status_code == expected, response.get_data(as_text=True)[:800]
    if expected == 403:
        if path.startswith("/api/"):
            assert response.get_json()["code"] == "FORBIDDEN"
        else:
            assert "无权访问" in response.get_data(as_text=True)


@pytest.mark.parametrize("method, path, body", list(ROUTES), ids=lambda v: str(v))
def test_without_a_login(app, staff, method, path, body):
    number = new_case(app)
    response = send(staff(None), method, path.format(n=number), body)
    if path in ANONYMOUS_OK:
        assert response.status_code == 200
    elif path.startswith("/api/"):
        assert response.status_code == 401 and response.get_json()["code"] == "NOT_AUTHENTICATED"
    elif method == "GET":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code in (302, 400)  # no session: no CSRF token either


def test_another_centers_case_is_refused_and_never_shown(app, staff):
    number = new_case(app)
    # Even a row that carries another center's number (it cannot be made here) stays hidden.
    theirs = OTHER + number[len(CENTER):]
    with database.connection_context():
        row = Case.get(Case.number == number)
        row.number = theirs
        row.applicant_name = "别的中心的申请人"
        row.save(force_insert=True)
    clerk, before = staff("clerk"), counts()
    for response in (clerk.get(f"/window/cases/{theirs}"),
                     clerk.get(f"/window/cases/{theirs}/receipt"),
                     clerk.form(f"/window/cases/{theirs}/act", {"action": "withdraw",
                                                                "reason": "撤回"}),
                     clerk.get(f"/api/cases/{theirs}"),
                     clerk.json(f"/api/cases/{theirs}/actions",
                                {"action": "withdraw", "data": {"reason": "撤回"}})):
        assert response.status_code == 403
        assert "别的中心的申请人" not in response.get_data(as_text=True)
    assert counts() == before
    page = clerk.get(f"/window/cases/{theirs}").get_data(as_text=True)
    assert "该记录属于其他中心" in page
    body = clerk.get(f"/api/cases/{OTHER}-20261127-00001").get_json()
    assert set(KEYS) <= set(body) and body["code"] == "FORBIDDEN" and body["reason"] == "center"


def test_an_auditor_reads_everything_and_writes_nothing(app, staff):
    number = new_case(app)
    auditor, before = staff("auditor"), counts()
    assert auditor.get(f"/window/cases/{number}").status_code == 200
    for response in (auditor.form("/window/intake", {**INTAKE_CHOOSE, "step": "submit",
                                                     "materials": everything(),
                                                     "outcome": "accept"}),
                     auditor.form(f"/window/cases/{number}/act", {"action": "start_review"}),
                     auditor.json("/api/cases", API_INTAKE),
                     auditor.json(f"/api/cases/{number}/actions", {"action": "start_review"})):
        assert response.status_code == 403
    assert counts() == before
    page = auditor.get(f"/window/cases/{number}").get_data(as_text=True)
    assert "只能查阅办件" in page and 'id="act-' not in page


def test_a_clerk_may_not_take_a_reviewers_step(app, staff):
    number = new_case(app)
    clerk, before = staff("clerk"), counts()
    assert clerk.form(f"/window/cases/{number}/act",
                      {"action": "start_review", "role": "reviewer"}).status_code == 403
    response = clerk.json(f"/api/cases/{number}/actions", {"action": "start_review"})
    assert response.status_code == 403 and response.get_json()["reason"] == "role"
    assert counts() == before


def test_every_action_has_a_form():
    # 好差评 is the applicant's own screen (node.evaluation), never a staff form.
    assert set(FORM_FIELDS) == set(ACTIONS) - {RECEIVE, "evaluate"}


# -- intake ----------------------------------------------------------------------------------

APPROVAL = (("start_review", "reviewer", {}),
            ("submit_for_approval", "reviewer", {"reason": "材料齐全，符合条件"}),
            ("decide", "approver", {"outcome": "approved", "reason": "符合条件",
                                    "document_number": "沈电保字1号"}))
LICENCE = "营业执照"  # the matter's one reusable material (e_licence in the catalog)


def approved_case(app, applicant=ENTERPRISE, materials=None) -> str:
    """A case of MATTER taken in and approved: its reusable materials go on file."""
    number = new_case(app, applicant=applicant, materials=materials)
    for action, role, data in APPROVAL:
        act(app, number, action, role, data)
    return number


def test_intake_in_two_steps_shows_what_is_on_file_and_creates_the_case(app, staff):
    first = approved_case(app)
    clerk = staff("clerk")
    page = clerk.get("/window/intake?q=电力设施").get_data(as_text=True)
    assert f'<option value="{MATTER}" selected>' in page and "承诺 3 个工作日" in page
    step2 = clerk.form("/window/intake", INTAKE_CHOOSE).get_data(as_text=True)
    assert "第 2 步" in step2 and LICENCE in step2
    assert f"本中心已于办件 <span class=\"code\">{first}</span> 收取" in step2
    assert step2.count('name="materials"') == len(everything()) - 1
    others = [name for name in everything() if name != LICENCE]
    done = clerk.form("/window/intake", {**INTAKE_CHOOSE, "step": "submit",
                                         "materials": others, "outcome": "accept",
                                         "green_channel": "1"})
    assert done.status_code == 303
    number = done.headers["Location"].rsplit("/", 1)[-1]
    page = clerk.get(done.headers["Location"]).get_data(as_text=True)
    assert f"已登记办件 {number}：已受理" in page and "绿色通道" in page
    shown = clerk.get(f"/api/cases/{number}").get_json()
    assert shown["state"] == "accepted" and shown["green_channel"] is True
    assert {m["name"]: m["reused_from"] for m in shown["materials"]} == {
        name: first if name == LICENCE else "" for name in everything()}


def test_a_person_without_a_resident_id_is_taken_in_with_the_document_they_hold(app, staff):
    """A passport holder at the window (issue 15: documents beyond the resident ID): the type is
    chosen on the form, recorded in the signed receipt, masked and named on the case's page."""
    clerk = staff("clerk")
    form = {**INTAKE_CHOOSE, "applicant_kind": "person", "applicant_name": "John Smith",
            "applicant_id_code": "p 1234 5678", "applicant_phone": "13800000000"}
    wrong = clerk.form("/window/intake", {**form, "applicant_id_type": "resident_id"})
    assert "身份证号码" in wrong.get_data(as_text=True)  # a passport number is no resident ID
    step2 = clerk.form("/window/intake", {**form, "applicant_id_type": "passport"})
    assert "第 2 步" in step2.get_data(as_text=True) and "（护照）" in step2.get_data(as_text=True)
    done = clerk.form("/window/intake", {**form, "applicant_id_type": "passport", "step": "submit",
                                         "materials": everything(), "outcome": "accept"})
    assert done.status_code == 303
    number = done.headers["Location"].rsplit("/", 1)[-1]
    page = clerk.get(done.headers["Location"]).get_data(as_text=True)
    assert 'id="id-code">P1*****78<' in page and '<span id="id-type">护照</span>' in page
    with database.connection_context():
        received = orjson.loads(Case.get(Case.number == number).received)
    assert received["applicant"] == {"kind": "person", "name": "John Smith",
                                     "id_code": "P12345678", "phone": "13800000000",
                                     "id_type": "passport"}
    api = clerk.json("/api/cases", {**API_INTAKE, "applicant": {
        **PERSON, "id_type": "foreign_permanent", "id_code": "911015199001011239"}})
    assert (api.status_code, api.get_json()["field"]) == (422, "applicant.id_code")


@pytest.mark.parametrize("change, field, text", [
    ({"applicant_id_code": "91210100MA0Q123431"}, "applicant.id_code", "统一社会信用代码"),
    ({"applicant_phone": "12"}, "applicant.phone", "联系电话应为 7–12 位数字"),
    ({"applicant_name": ""}, "applicant.name", "申请人名称必填"),
    ({"matter_code": "SY99999"}, "matter_code", "请选择本中心受理的事项"),
    ({"materials": everything()[:2]}, "materials", "必备材料不齐，应一次性告知补正"),
    ({"outcome": "not_accept", "reason": ""}, "reason", "必填"),
])
def test_intake_errors_are_shown_next_to_the_field_and_write_nothing(app, staff, change,
                                                                     field, text):
    clerk, before = staff("clerk"), counts()
    form = {**INTAKE_CHOOSE, "step": "submit", "materials": everything(), "outcome": "accept",
            **change}
    response = clerk.form("/window/intake", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    match = re.search(rf'<span class="field-error" role="alert" data-field="{re.escape(field)}">'
                      r'([^<]*)</span>', page)
    assert match and text in match.group(1), page
    assert counts() == before


def test_the_api_names_the_field_of_bad_input(app, staff):
    clerk, before = staff("clerk"), counts()
    for body, field in (({**API_INTAKE, "applicant": {**ENTERPRISE, "id_code": "1"}},
                         "applicant.id_code"),
                        ({**API_INTAKE, "outcome": "maybe"}, "outcome"),
                        ([1, 2], "body")):
        response = clerk.json("/api/cases", body)
        problem = response.get_json()
        assert response.status_code == 422 and set(KEYS) <= set(problem)
        assert problem["code"] == "VALIDATION_FAILED" and problem["field"] == field
    refused = clerk.client.post("/api/cases", json=API_INTAKE)  # no CSRF token
    assert refused.status_code == 400 and refused.get_json()["field"] == "csrf_token"
    assert counts() == before


# -- a case's page, actions, receipt ----------------------------------------------------------

def test_a_case_from_intake_to_delivery_through_the_pages(app, staff):
    clerk, reviewer, approver = staff("clerk"), staff("reviewer"), staff("approver")
    done = clerk.form("/window/intake", {**INTAKE_CHOOSE, "step": "submit",
                                         "materials": everything(), "outcome": "accept"})
    url = done.headers["Location"]
    number = url.rsplit("/", 1)[-1]
    assert 'id="act-start_review"' not in clerk.get(url).get_data(as_text=True)
    page = reviewer.get(url).get_data(as_text=True)
    assert 'id="act-start_review"' in page and "以审核人员身份办理" in page
    for user, form in ((reviewer, {"action": "start_review"}),
                       (reviewer, {"action": "submit_for_approval", "reason": "材料齐全，符合条件"}),
                       (approver, {"action": "decide", "outcome": "approved",
                                   "document_number": "沈电审〔2026〕18号"})):
        assert user.form(f"{url}/act", form).status_code == 303
    refused = clerk.form(f"{url}/act", {"action": "deliver", "method": "mail"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert '<span class="field-error" role="alert" data-field="waybill">邮寄送达必须填写运单号' in page
    assert clerk.form(f"{url}/act", {"action": "deliver", "method": "mail",
                                     "waybill": "SF1234567890"}).status_code == 303
    page = clerk.get(url).get_data(as_text=True)
    assert "已送达" in page and "运单号：SF1234567890" in page
    assert "材料齐全，符合条件" in page and "审批负责人甲" in page and "文书编号：沈电审〔2026〕18号" in page
    history = clerk.get(f"/api/cases/{number}").get_json()["history"]
    assert [(h["action"], h["user"]) for h in history] == [
        ("receive", "clerk"), ("accept", "clerk"), ("start_review", "reviewer"),
        ("submit_for_approval", "reviewer"), ("decide", "approver"), ("deliver", "clerk")]


def test_a_refused_transition_is_409_and_changes_nothing(app, staff):
    number = new_case(app)
    approver, before = staff("approver"), counts()
    response = approver.json(f"/api/cases/{number}/actions", {
        "action": "decide", "data": {"outcome": "approved", "document_number": "X1"}})
    assert response.status_code == 409 and response.get_json()["code"] == "CONFLICT"
    page = approver.form(f"/window/cases/{number}/act", {
        "action": "decide", "outcome": "approved", "document_number": "X1"})
    assert page.status_code == 409 and "不能执行「审批决定（办结）」" in page.get_data(as_text=True)
    assert counts() == before


def test_the_receipt_shows_the_query_code_materials_and_promised_date(app, staff):
    number = new_case(app)
    page = staff("clerk").get(f"/window/cases/{number}/receipt").get_data(as_text=True)
    with database.connection_context():
        promised = Case.get(Case.number == number).promised_date
    code = query_code(number, cases.query_secret(app.config["HALLSYNC"]["data_dir"]))
    assert f'<span class="qc" id="query-code">{code}</span>' in page
    for text in ("受理回执", "和平区政务服务中心", number, ENTERPRISE["name"], promised,
                 matter(MATTER)["name"], *everything()):
        assert text in page, text
    supplement = new_case(app, "request_supplement", applicant=PERSON, materials=everything()[:1])
    page = staff("clerk").get(f"/window/cases/{supplement}/receipt").get_data(as_text=True)
    assert "补正材料通知书" in page and "一次性告知" in page and everything()[1] in page


def test_a_malformed_or_unknown_number_is_a_chinese_404(app, staff):
    clerk = staff("clerk")
    for path in ("/window/cases/nonsense", f"/window/cases/{CENTER}-20260101-00999"):
        response = clerk.get(path)
        assert response.status_code == 404 and "未找到办件" in response.get_data(as_text=True)
    assert clerk.get(f"/api/cases/{CENTER}-20260101-00999").get_json()["code"] == "NOT_FOUND"


def test_pages_escape_what_applicants_typed(app, staff):
    new_case(app, applicant={**ENTERPRISE, "name": "<script>alert(1)</script>公司"})
    auditor = staff("auditor")
    for path in ("/window/search?q=公司", "/window/?role=auditor"):
        assert "<script>alert(1)" not in auditor.get(path).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;公司" in auditor.get(
        "/window/search?q=公司").get_data(as_text=True)


# -- queue, search, figures --------------------------------------------------------------------

def accepted_so_that(warning: str, days: int = 3) -> datetime.datetime:
    """An acceptance time in the past that leaves a ``days``-day promise at ``warning`` today."""
    calendar = load_calendar()
    for back in range(1, 40):
        day = today() - datetime.timedelta(days=back)
        if warning_level(today(), calendar.add_workdays(day, days), calendar) == warning:
            return datetime.datetime.combine(day, datetime.time(10), CHINA)
    raise AssertionError(f"no day makes {warning}")


def test_the_queue_puts_the_green_channel_first_then_red_yellow_green(app, staff, at):
    at(None)
    green = new_case(app)
    fast = new_case(app, green_channel=True)
    at(accepted_so_that("red"))
    red = new_case(app)
    at(accepted_so_that("yellow"))
    yellow = new_case(app)
    at(None)
    new_case(app, "not_accept", reason="不属于本中心受理范围")  # closed: in nobody's queue
    body = staff("reviewer").get("/api/queue").get_json()
    assert body["role"] == "reviewer" and body["read_only"] is False
    assert [(c["number"], c["warning"]) for c in body["cases"]] == [
        (fast, "green"), (red, "red"), (yellow, "yellow"), (green, "green")]
    assert body["cases"][1]["remaining"] < 0 and 0 <= body["cases"][2]["remaining"] <= 2
    assert all(c["actions"] == [{"action": "start_review", "label": "开始审查"}]
               for c in body["cases"])
    page = staff("reviewer").get("/window/").get_data(as_text=True)
    assert re.findall(r'data-number="([^"]+)"', page) == [fast, red, yellow, green]
    assert "已超期" in page and "临近期限" in page and "绿色通道" in page
    assert staff("clerk").get("/api/queue").get_json()["count"] == 0  # nothing waits on the window
    assert staff("auditor").get("/api/queue").get_json()["count"] == 4  # read-only: all open


def test_a_user_with_two_roles_picks_the_queue(app, staff):
    number = new_case(app)
    act(app, number, "start_review", "reviewer")
    act(app, number, "submit_for_approval", "reviewer")
    lead = staff("lead")
    assert lead.get("/api/queue").get_json()["role"] == "reviewer"
    assert lead.get("/api/queue?role=approver").get_json()["cases"][0]["number"] == number
    page = lead.get("/window/?role=approver").get_data(as_text=True)
    assert "审批负责人" in page and number in page
    assert lead.get("/window/?role=clerk").status_code == 403
    assert lead.get("/api/queue?role=janitor").status_code == 422


def test_search_by_number_applicant_id_and_matter(app, staff):
    company = new_case(app)
    person = new_case(app, "complete_immediate", code="SY06006", applicant=PERSON,
                      document_number="出生医学证明1号")
    clerk = staff("clerk")

    def found(query: str) -> list[str]:
        return [c["number"] for c in clerk.get(f"/api/cases?{query}").get_json()["cases"]]

    assert found(f"q={company}") == [company]
    assert found("q=张伟") == [person] and found("q=210102198503150013") == [person]
    assert found("q=电力设施") == [company] and found("q=sy06006") == [person]
    assert found("state=completed") == [person] and found("q=%25") == []
    assert clerk.get("/api/cases?state=lost").status_code == 422
    page = clerk.get("/window/search?q=张伟").get_data(as_text=True)
    assert '<b id="count">1</b>' in page and person in page and company not in page


def test_figures_are_counted_from_the_cases(app, staff, at):
    past = accepted_so_that("green", days=30)  # accepted earlier, decided today
    at(past)
    old = new_case(app)
    at(None)
    decided = new_case(app)
    new_case(app)                                                   # accepted, open
    new_case(app, "not_accept", reason="不属于受理范围")
    new_case(app, "request_supplement", applicant=PERSON, materials=everything()[:1])
    new_case(app, "complete_immediate", code=IMMEDIATE,
             materials=everything(IMMEDIATE), document_number="沈市监变字1号")
    for number in (old, decided):
        act(app, number, "start_review", "reviewer")
        act(app, number, "submit_for_approval", "reviewer")
        act(app, number, "decide", "approver", {"outcome": "approved",
                                                 "document_number": f"沈电审{number[-3:]}"})
    figures = staff("center-admin").get("/api/figures").get_json()
    worked = load_calendar().workdays_between(past.date(), today())
    assert figures["today"] == {
        "from": today().isoformat(), "to": today().isoformat(), "received": 5, "accepted": 3,
        "not_accepted": 1, "completed": 3, "completed_immediately": 1,
        # 办结率: of today's 3 acceptances 2 are done; the old case completed today is not one
        # of them (completed ÷ accepted read 100 % here, and could pass it: issue 16)
        "completion_rate": round(2 / 3, 4), "immediate_rate": round(1 / 3, 4),
        "average_handling_days": round(worked / 3, 2)}
    same_month = past.date() >= today().replace(day=1)
    assert figures["month"]["received"] == 5 + same_month
    assert figures["month"]["accepted"] == 3 + same_month
    assert figures["month"]["completed"] == 3
    assert (figures["open"], figures["overdue"]) == (1, 0)
    page = staff("auditor").get("/window/figures").get_data(as_text=True)
    assert '<tr data-key="completed"><th>办结量</th><td class="num">3</td>' in page
    assert "33.3%" in page  # 即办率 today


def test_overdue_counts_open_cases_past_their_promise(app, staff, at):
    at(accepted_so_that("red"))
    new_case(app)
    at(accepted_so_that("yellow"))
    new_case(app)
    at(None)
    figures = staff("auditor").get("/api/figures").get_json()
    assert (figures["open"], figures["overdue"], figures["due_soon"]) == (2, 1, 1)
    page = staff("auditor").get("/window/figures").get_data(as_text=True)
    assert '<p class="big" id="overdue">1</p>' in page
