"""重点项目审批服务 at the window: loading a year's list, linking cases at intake, progress.

Uses the window's real node (``tests.node.test_window``) and the shipped example
list, ``config/key_projects.example.toml``.
"""
from __future__ import annotations

import copy
import datetime
import io
import re
import tomllib

import orjson
import pytest

import config
from node.models import Case, KeyProject, KeyProjectCase, OutboxEvent, database
from sync.calendar import load_calendar
from tests.node.test_window import (  # noqa: F401  (app, seed, staff: fixtures)
    CENTER, INTAKE_CHOOSE, KEYS, OTHER, PERSON, act, app, counts, everything, new_case, seed,
    staff, today)

EXAMPLE = config.path("key_projects.example.toml")
TITLE = "2026年和平区重点项目清单（示例）"


def example_json() -> dict:
    """The example file as the API takes it (dates as ISO text)."""
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for project in data["projects"]:
        project["start_date"] = project["start_date"].isoformat()
    return data


def upload(user, text: str, year: int = 2026):
    return user.form(f"/window/projects?year={year}",
                     {"file": (io.BytesIO(text.encode("utf-8")), "projects.toml")})


def loaded() -> int:
    with database.connection_context():
        return KeyProject.select().count()


@pytest.fixture
def admin(staff):
    return staff("center-admin")


# -- loading ------------------------------------------------------------------------------

def test_a_center_admin_loads_the_list_and_all_staff_read_it(app, staff, admin):
    text = EXAMPLE.read_text(encoding="utf-8")
    for role in ("clerk", "reviewer", "approver", "auditor"):
        user = staff(role)
        assert upload(user, text).status_code == 403
        refused = user.json("/api/projects", example_json())
        assert refused.status_code == 403 and refused.get_json()["code"] == "FORBIDDEN"
        assert 'id="load-projects"' not in user.get("/window/projects").get_data(as_text=True)
    assert loaded() == 0
    done = upload(admin, text)
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/window/projects?year=2026")
    page = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert f"已载入{TITLE}：2 个项目" in page and 'id="load-projects"' in page
    assert re.findall(r'data-code="([^"]+)"', page) == ["ZD2026-001", "ZD2026-002"]
    assert 'data-progress="0/7"' in page and "和平区某商业综合体项目（示例）" in page
    clerk = staff("clerk")
    listed = clerk.get("/api/projects?year=2026").get_json()
    assert (listed["title"], listed["count"], listed["years"]) == (TITLE, 2, [2026])
    assert listed["projects"][0]["owner"]["credit_code"] == "91210102MA0QKP0165"
    shown = staff("auditor").get("/api/projects/2026/ZD2026-002").get_json()
    assert [s["matter"] for s in shown["steps"]] == [
        "SY11006", "SY12006", "SY17006", "SY11011", "SY04001", "SY13001"]
    assert shown["steps"][4]["matter_name"] == "电力设施保护区内施工作业审批"
    page = clerk.get("/window/projects/2026/ZD2026-002").get_data(as_text=True)
    assert "郑某（工业和信息化局电力科）" in page and "电力设施保护区内施工作业审批" in page
    assert staff(None).get("/api/projects").status_code == 401
    assert clerk.get("/api/projects/2026/ZD2099-001").get_json()["code"] == "NOT_FOUND"
    for year in (0, 2**63, 10**30):  # past 64 bits SQLite overflowed: a 500 (found by fuzzing)
        assert clerk.get(f"/api/projects/{year}/ZD2026-002").get_json()["code"] == "NOT_FOUND"
        assert clerk.get(f"/window/projects/{year}/ZD2026-002").status_code == 404
    assert clerk.get("/api/projects?year=20x6").status_code == 422


@pytest.mark.parametrize("change, field, text", [
    (lambda t: t.replace('matter = "SY11006"', 'matter = "SY99999"', 1),
     "projects[0].steps[0].matter", "不在现行事项目录中"),
    (lambda t: t.replace("91210102MA0HP0033L", "91210102MA0HP0033M"),
     "projects[1].owner.credit_code", "校验位"),
    (lambda t: t.replace("limit_days = 30", "limit_days = 20"), "projects[1].limit_days",
     "超过总时限"),
    (lambda t: t.replace("year = 2026", "year = "), "file", "TOML 格式错误"),
])
def test_a_bad_list_names_the_field_and_loads_nothing(app, admin, change, field, text):
    response = upload(admin, change(EXAMPLE.read_text(encoding="utf-8")))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    banner = re.search(r'<div class="banner error" role="alert" data-field="([^"]*)">(.*?)</div>',
                       page, re.S)
    assert banner and banner.group(1) == field and text in banner.group(2), page[-3000:]
    assert loaded() == 0


def test_the_api_names_the_field_too(app, admin):
    data = example_json()
    data["projects"][0]["steps"][1]["department"] = "natres"
    problem = admin.json("/api/projects", data).get_json()
    assert set(KEYS) <= set(problem) and problem["code"] == "VALIDATION_FAILED"
    assert problem["field"] == "projects[0].steps[1].department"
    assert admin.json("/api/projects", [1]).get_json()["field"] == "body"
    assert loaded() == 0


# -- linking at intake ----------------------------------------------------------------------

def test_linking_at_intake_puts_the_case_in_the_green_channel_and_records_it(app, staff, admin):
    assert admin.json("/api/projects", example_json()).status_code == 200
    clerk = staff("clerk")
    choose = {**INTAKE_CHOOSE, "matter_code": "SY11006"}
    step2 = clerk.form("/window/intake", choose).get_data(as_text=True)
    assert re.findall(r'<option value="(2026/[^"]+)"', step2) == [
        "2026/ZD2026-001/1", "2026/ZD2026-002/1"]
    done = clerk.form("/window/intake", {**choose, "step": "submit", "outcome": "accept",
                                         "materials": everything("SY11006"),
                                         "key_project": "2026/ZD2026-001/1"})
    assert done.status_code == 303, done.get_data(as_text=True)[-2000:]
    number = done.headers["Location"].rsplit("/", 1)[-1]
    shown = clerk.get(f"/api/cases/{number}").get_json()
    assert shown["green_channel"] is True
    assert shown["key_project"] == {"year": 2026, "code": "ZD2026-001",
                                    "name": "和平区某商业综合体项目（示例）", "step": 1,
                                    "matter": "SY11006", "department": "natres",
                                    "responsible": "李某（自然资源局规划科）",
                                    "investment_wan": 86000}
    with database.connection_context():
        received = orjson.loads(OutboxEvent.get(OutboxEvent.type == "case.received").payload)
        link = KeyProjectCase.get(KeyProjectCase.number == number)
    assert received["key_project"] == shown["key_project"] and received["green_channel"]
    assert (link.year, link.code, link.step) == (2026, "ZD2026-001", 1)
    page = clerk.get(f"/window/cases/{number}").get_data(as_text=True)
    assert 'href="/window/projects/2026/ZD2026-001">ZD2026-001' in page and "第 1 步" in page


@pytest.mark.parametrize("key_project, field, text", [
    ({"year": 2026, "code": "ZD2026-002", "step": 1}, "key_project.step", "的事项是 SY11006"),
    ({"year": 2026, "code": "ZD2026-002", "step": 9}, "key_project.step", "没有第 9 步"),
    ({"year": 2025, "code": "ZD2026-002", "step": 5}, "key_project.code", "没有 2025 年的重点项目"),
    ("ZD2026-002", "key_project", "请从列表中选择"),
])
def test_a_wrong_link_is_refused_and_writes_nothing(app, staff, admin, key_project, field, text):
    admin.json("/api/projects", example_json())
    clerk, before = staff("clerk"), counts()
    response = clerk.json("/api/cases", {"matter_code": "SY04001", "applicant": PERSON,
                                         "materials": everything(), "outcome": "accept",
                                         "key_project": key_project})
    problem = response.get_json()
    assert response.status_code == 422 and problem["field"] == field and text in problem["detail"]
    assert counts() == before


# -- progress ---------------------------------------------------------------------------------

def planned_list() -> tuple[dict, datetime.date]:
    """ZD2026-002's plan this year, started so that step 1 is due before today, step 2 after."""
    calendar, data = load_calendar(), example_json()
    project = copy.deepcopy(data["projects"][1])
    for back in range(1, 40):
        start = today() - datetime.timedelta(days=back)
        if (calendar.add_workdays(start, 4).day < today()
                <= calendar.add_workdays(start, 9).day):
            break
    project.update(start_date=start.isoformat(), limit_days=200)
    return {"year": today().year, "projects": [project]}, start


def test_progress_follows_the_linked_cases_of_this_center_only(app, staff, admin):
    data, start = planned_list()
    year, code = data["year"], "ZD2026-002"
    assert admin.json("/api/projects", data).status_code == 200
    reader = staff("auditor")

    def shown():
        return reader.get(f"/api/projects/{year}/{code}").get_json()

    before = shown()
    assert (before["done"], before["total"], before["status"]) == (0, 6, "yellow")  # step 1 late
    assert before["deadline"] == load_calendar().add_workdays(start, 200).day.isoformat()
    first = new_case(app, code="SY11006", materials=everything("SY11006"),
                     key_project={"year": year, "code": code, "step": 1})
    second = new_case(app, code="SY12006", materials=everything("SY12006"),
                      key_project={"year": year, "code": code, "step": 2})
    assert [s["state"] for s in shown()["steps"][:3]] == ["in_progress", "in_progress",
                                                          "not_started"]
    for action, role, extra in (("start_review", "reviewer", {}),
                                ("submit_for_approval", "reviewer", {}),
                                ("decide", "approver", {"outcome": "approved",
                                                        "document_number": "沈规地字1号"})):
        act(app, first, action, role, extra)
    after = shown()
    assert (after["done"], after["status"], after["status_label"]) == (1, "green", "按计划推进")
    assert [c["number"] for c in after["steps"][0]["cases"]] == [first]
    assert after["steps"][0]["cases"][0]["state"] == "completed"
    with database.connection_context():
        promised = Case.get(Case.number == second).promised_date
        # Another center's case linked to the same step (a row that cannot be made here).
        theirs = OTHER + second[len(CENTER):]
        row = Case.get(Case.number == second)
        row.number, row.applicant_name = theirs, "别的中心的申请人"
        row.save(force_insert=True)
        KeyProjectCase.create(number=theirs, year=year, code=code, step=2)
    page = reader.get(f"/window/projects/{year}/{code}").get_data(as_text=True)
    assert f'data-number="{second}"' in page and f"承诺 {promised} 办结" in page
    assert theirs not in page and [c["number"] for c in shown()["steps"][1]["cases"]] == [second]
    listed = reader.get(f"/window/projects?year={year}").get_data(as_text=True)
    assert 'data-progress="1/6"' in listed and 'data-status="green"' in listed


def test_a_new_list_cannot_drop_a_step_cases_are_linked_to(app, staff, admin):
    admin.json("/api/projects", example_json())
    new_case(app, code="SY04001", key_project={"year": 2026, "code": "ZD2026-002", "step": 5})
    dropped = example_json()
    dropped["projects"] = dropped["projects"][:1]
    response = admin.json("/api/projects", dropped)
    assert response.status_code == 409 and "ZD2026-002 第 5 步" in response.get_json()["detail"]
    assert loaded() == 2
    retitled = {**example_json(), "title": "2026年和平区重点项目清单（示例，第二版）"}
    assert admin.json("/api/projects", retitled).get_json()["title"].endswith("第二版）")
