"""Key-project lists: the example file, errors that name the field, links and progress."""
from __future__ import annotations

import copy
import dataclasses
import datetime
import tomllib

import pytest

import config
from sync.calendar import load_calendar
from sync.catalog_history import load_departments, load_matters
from sync.catalog_schema import matter_to_dict
from sync.errors import ValidationError
from sync.key_projects import check_link, from_dict, link, parse_projects, progress, to_dict

EXAMPLE = config.path("key_projects.example.toml")
CAL = load_calendar()
MATTERS = {m.basic_code: matter_to_dict(m) for m in load_matters()}
DEPARTMENTS = set(load_departments())


def example() -> dict:
    with open(EXAMPLE, "rb") as fh:
        return tomllib.load(fh)


def parsed(data=None):
    return parse_projects(example() if data is None else data, matters=MATTERS,
                          departments=DEPARTMENTS)


def test_the_example_is_labelled_and_valid_against_the_real_catalog():
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.startswith("# 示例文件") and "EXAMPLE ONLY" in text
    projects = parsed()
    assert projects.year == 2026 and "示例" in projects.title
    assert [p.code for p in projects.projects] == ["ZD2026-001", "ZD2026-002"]
    for project in projects.projects:
        assert "示例" in project.name and "示例" in project.owner.name
        assert sum(s.days for s in project.steps) <= project.limit_days
        assert from_dict(project.year, to_dict(project)) == project
        for step in project.steps:
            matter = MATTERS[step.matter]
            assert matter["green_channel"] and "district" in matter["levels"]


def _set(path, value):
    def change(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        if value is KeyError:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return change


@pytest.mark.parametrize("change, field, text", [
    (_set(["year"], 1999), "year", "2000 到 2100"),
    (_set(["projects"], []), "projects", "非空列表"),
    (_set(["projects", 0, "code"], "zd-1"), "projects[0].code", "项目代码"),
    (_set(["projects", 1, "code"], "ZD2026-001"), "projects[1].code", "重复"),
    (_set(["projects", 0, "name"], KeyError), "projects[0].name", "必填"),
    (_set(["projects", 0, "budget"], 1), "projects[0].budget", "未知字段"),
    (_set(["projects", 1, "owner", "credit_code"], "91210102MA0HP0033M"),
     "projects[1].owner.credit_code", "校验位"),
    (_set(["projects", 0, "investment_wan"], 8.6), "projects[0].investment_wan", "整数"),
    (_set(["projects", 0, "start_date"], "2026-3-2"), "projects[0].start_date", "YYYY-MM-DD"),
    (_set(["projects", 0, "start_date"], datetime.date(2027, 1, 4)), "projects[0].start_date",
     "晚于清单年度"),
    (_set(["projects", 0, "limit_days"], 20), "projects[0].limit_days", "超过总时限"),
    (_set(["projects", 0, "steps"], []), "projects[0].steps", "非空列表"),
    (_set(["projects", 0, "steps", 0, "matter"], "SY99999"), "projects[0].steps[0].matter",
     "不在现行事项目录中"),
    (_set(["projects", 0, "steps", 2, "matter"], "SY11006"), "projects[0].steps[2].matter",
     "重复"),
    (_set(["projects", 0, "steps", 1, "department"], "natres"),
     "projects[0].steps[1].department", "由 ecoenv 办理"),
    (_set(["projects", 0, "steps", 1, "department"], "mars"),
     "projects[0].steps[1].department", "未知的部门"),
    (_set(["projects", 1, "steps", 0, "days"], 0), "projects[1].steps[0].days", "1 到 365"),
    (_set(["projects", 1, "steps", 0, "responsible"], ""), "projects[1].steps[0].responsible",
     "非空"),
])
def test_a_mistake_names_its_field(change, field, text):
    data = copy.deepcopy(example())
    change(data)
    with pytest.raises(ValidationError) as info:
        parsed(data)
    assert info.value.field == field and text in info.value.detail, info.value.detail


def test_a_json_body_reads_like_the_file():
    data = example()
    as_json = {"year": data["year"], "projects": [
        {**p, "start_date": p["start_date"].isoformat()} for p in data["projects"]]}
    assert parsed(as_json).projects == parsed().projects


def test_a_link_names_the_step_and_is_checked():
    project = parsed().projects[1]
    recorded = link(project, 5)
    assert recorded == {"year": 2026, "code": "ZD2026-002", "name": project.name, "step": 5,
                        "matter": "SY04001", "department": "industry",
                        "responsible": project.steps[4].responsible,
                        "investment_wan": project.investment_wan}  # for the hub's figures
    assert check_link(recorded) is recorded
    for bad, field in (({"year": "2026", "code": "ZD2026-002", "step": 5}, "key_project.year"),
                       ({**recorded, "investment_wan": 0}, "key_project.investment_wan"),
                       ({**recorded, "investment_wan": "32000"}, "key_project.investment_wan"),
                       ({"year": 2026, "code": "ZD2026-002"}, "key_project.step"),
                       ({"year": 2026, "code": "zd", "step": 1}, "key_project.code")):
        with pytest.raises(ValidationError) as info:
            check_link(bad)
        assert info.value.field == field


# -- progress ------------------------------------------------------------------------------

APPROVED = {"state": "delivered", "outcome": "approved"}
OPEN = {"state": "in_review", "outcome": None}
REFUSED = {"state": "completed", "outcome": "refused"}


def project_from(start: datetime.date):
    return dataclasses.replace(parsed().projects[1], start_date=start)


def test_progress_counts_approved_steps_and_plans_each_step_in_working_days():
    start = datetime.date(2026, 4, 1)
    project = project_from(start)
    shown = progress(project, {1: [APPROVED], 2: [REFUSED, OPEN], 3: [REFUSED]},
                     datetime.date(2026, 4, 2), CAL)
    assert (shown["done"], shown["total"]) == (1, 6)
    assert [s["state"] for s in shown["steps"]] == ["done", "in_progress", "not_started",
                                                    "not_started", "not_started", "not_started"]
    planned, total = [], 0
    for step in project.steps:
        total += step.days
        planned.append(CAL.add_workdays(start, total).day.isoformat())
    assert [s["planned_due"] for s in shown["steps"]] == planned
    assert shown["deadline"] == CAL.add_workdays(start, project.limit_days).day.isoformat()
    assert shown["status"] == "green" and shown["remaining"] == CAL.workdays_between(
        datetime.date(2026, 4, 2), CAL.add_workdays(start, 30).day)


def test_the_light_is_the_queues():
    start = datetime.date(2026, 4, 1)
    project = project_from(start)
    deadline = CAL.add_workdays(start, project.limit_days).day
    first_due = CAL.add_workdays(start, project.steps[0].days).day
    behind = progress(project, {}, first_due + datetime.timedelta(days=1), CAL)
    assert behind["status"] == "yellow" and behind["steps"][0]["behind"]
    on_plan = progress(project, {1: [APPROVED]}, first_due + datetime.timedelta(days=1), CAL)
    assert on_plan["status"] == "green"
    all_but_last = {n: [APPROVED] for n in range(1, 6)}
    near = progress(project, {**all_but_last, 6: [OPEN]}, deadline, CAL, yellow_within=2)
    assert near["status"] == "yellow" and near["remaining"] == 0
    late = progress(project, all_but_last, deadline + datetime.timedelta(days=1), CAL)
    assert late["status"] == "red" and late["status_label"] == "已超过总时限"
    done = progress(project, {n: [APPROVED] for n in range(1, 7)},
                    deadline + datetime.timedelta(days=30), CAL)
    assert (done["status"], done["remaining"], done["done"]) == ("done", None, 6)
