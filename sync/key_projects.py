"""Key-project approval service (重点项目审批服务): a year's list of key projects, pure.

For each year's key projects the sequence of matters, the department and
responsible person of each, and the overall time limit are set in advance
(``config/key_projects.example.toml`` shows the file). ``parse_projects(data)``
checks a whole list and raises ``ValidationError`` whose ``field`` names the
first bad value, e.g. ``projects[1].steps[0].matter``. A case received for a
project's step carries the ``link`` in its ``case.received`` event and goes
through the green channel (绿色通道). ``progress`` tells how far a project has
come from the states of the cases linked to its steps, counting working days
with the same calendar as every case deadline.
"""
from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Collection, Mapping, Sequence

from sync import case_inputs as inputs
from sync import case_labels
from sync.calendar import WorkCalendar
from sync.deadlines import GREEN, YELLOW, remaining_workdays, warning_level
from sync.errors import ValidationError
from sync.identity_codes import check_credit_code

_PROJECT_CODE = re.compile(r"[0-9A-Z][0-9A-Z-]{2,31}")
_MATTER_CODE = re.compile(r"[0-9A-Z]{1,10}")
PROJECT_CODE_HINT = "项目代码应为 3-32 位大写字母、数字或连字符（如 ZD2026-001）"
STEP_STATES = {"not_started": "未开始", "in_progress": "办理中", "done": "已办结"}
# The queue's colours (sync.deadlines), plus "done" once every step is.
STATUS_LABELS = {"done": "已全部办结", GREEN: "按计划推进", YELLOW: "临近期限或滞后于计划",
                 "red": "已超过总时限"}
DONE = frozenset({case_labels.COMPLETED, case_labels.DELIVERED})


@dataclasses.dataclass(frozen=True)
class Owner:
    """The project's owner enterprise (项目业主单位)."""

    name: str
    credit_code: str           # 统一社会信用代码, checked digit by digit


@dataclasses.dataclass(frozen=True)
class Step:
    """One matter in the project's planned sequence."""

    n: int                     # 1-based position, the step's identity in links
    matter: str                # catalog basic code
    department: str
    responsible: str           # 责任人
    days: int                  # planned working days


@dataclasses.dataclass(frozen=True)
class KeyProject:
    year: int
    code: str
    name: str
    owner: Owner
    investment_wan: int        # 总投资，万元 (an integer: no floats in money)
    start_date: datetime.date
    limit_days: int            # overall time limit, working days after start_date
    steps: tuple[Step, ...]

    def step(self, n: int) -> Step | None:
        return self.steps[n - 1] if 1 <= n <= len(self.steps) else None


@dataclasses.dataclass(frozen=True)
class ProjectList:
    year: int
    title: str
    projects: tuple[KeyProject, ...]


def _fail(field: str, reason: str):
    raise ValidationError(f"{field}: {reason}", field=field)


def _keys(raw, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    if not isinstance(raw, dict):
        _fail(path or "$", "必须是表（对象）")
    prefix = f"{path}." if path else ""
    for key in required:
        if key not in raw:
            _fail(prefix + key, "必填")
    for key in raw:
        if key not in required + optional:
            _fail(prefix + str(key), "未知字段")
    return raw


def _int(value, path: str, low: int, high: int) -> int:
    if type(value) is not int:       # bool and float are refused too
        _fail(path, f"必须是整数，实际为 {value!r}")
    if not low <= value <= high:
        _fail(path, f"必须在 {low} 到 {high} 之间，实际为 {value}")
    return value


def _code(regex: re.Pattern, hint: str):
    return inputs.matching(regex.pattern, hint)


def _list(value, path: str) -> list:
    if not isinstance(value, list) or not value:
        _fail(path, "必须是非空列表")
    return value


def _date(value, path: str) -> datetime.date:
    # TOML gives a date; a JSON body gives "YYYY-MM-DD". A datetime has no single China date.
    if isinstance(value, datetime.datetime):
        _fail(path, f"必须是日期（YYYY-MM-DD），不带时间，实际为 {value!r}")
    return inputs.date(value, path)


def _step(raw, path: str, n: int) -> Step:
    raw = _keys(raw, path, ("matter", "department", "responsible", "days"))
    matter = _code(_MATTER_CODE, "应为事项基本编码（1-10 位大写字母或数字，如 SY11006）")
    return Step(n, matter(raw["matter"], f"{path}.matter"),
                inputs.department(raw["department"], f"{path}.department"),
                inputs.text(raw["responsible"], f"{path}.responsible", 50),
                _int(raw["days"], f"{path}.days", 1, 365))


def _project(raw, path: str, year: int) -> KeyProject:
    raw = _keys(raw, path, ("code", "name", "owner", "investment_wan", "start_date",
                            "limit_days", "steps"))
    owner = _keys(raw["owner"], f"{path}.owner", ("name", "credit_code"))
    project = KeyProject(
        year=year,
        code=_code(_PROJECT_CODE, PROJECT_CODE_HINT)(
            raw["code"], f"{path}.code"),
        name=inputs.text(raw["name"], f"{path}.name", 200),
        owner=Owner(inputs.text(owner["name"], f"{path}.owner.name", 100),
                    check_credit_code(owner["credit_code"], field=f"{path}.owner.credit_code")),
        investment_wan=_int(raw["investment_wan"], f"{path}.investment_wan", 1, 10 ** 9),
        start_date=_date(raw["start_date"], f"{path}.start_date"),
        limit_days=_int(raw["limit_days"], f"{path}.limit_days", 1, 730),
        steps=tuple(_step(step, f"{path}.steps[{i}]", i + 1)
                    for i, step in enumerate(_list(raw["steps"], f"{path}.steps"))))
    if project.start_date.year > year:
        _fail(f"{path}.start_date", f"开始日期 {project.start_date} 晚于清单年度 {year} 年")
    for i, step in enumerate(project.steps):
        if any(step.matter == other.matter for other in project.steps[:i]):
            _fail(f"{path}.steps[{i}].matter", f"事项 {step.matter} 在本项目中重复")
    planned = sum(step.days for step in project.steps)
    if planned > project.limit_days:
        # The steps run one after another: a plan longer than the limit is late from day one.
        _fail(f"{path}.limit_days", f"各步骤计划工作日合计 {planned} 天，超过总时限 "
                                    f"{project.limit_days} 个工作日")
    return project


def parse_projects(data, *, matters: Mapping[str, dict] | None = None,
                   departments: Collection[str] | None = None) -> ProjectList:
    """Check a year's key-project list (the TOML file, or the same as a JSON object).

    :param matters: the catalog in force (basic code → matter); when given, each
        step's matter must be in it and its department must handle that matter.
    :param departments: the known department codes, when given.
    :raises ValidationError: for the first problem, ``field`` naming its path.
    """
    data = _keys(data, "", ("year", "projects"), ("title",))
    year = _int(data["year"], "year", 2000, 2100)
    title = (inputs.text(data["title"], "title", 100) if "title" in data
             else f"{year}年重点项目清单")
    projects = tuple(_project(raw, f"projects[{i}]", year)
                     for i, raw in enumerate(_list(data["projects"], "projects")))
    for i, project in enumerate(projects):
        if any(project.code == other.code for other in projects[:i]):
            _fail(f"projects[{i}].code", f"项目代码 {project.code} 重复")
        for j, step in enumerate(project.steps):
            _check_step(step, f"projects[{i}].steps[{j}]", matters, departments)
    return ProjectList(year, title, projects)


def _check_step(step: Step, path: str, matters, departments) -> None:
    if departments is not None and step.department not in departments:
        _fail(f"{path}.department", f"未知的部门 {step.department!r}")
    if matters is None:
        return
    matter = matters.get(step.matter)
    if matter is None:
        _fail(f"{path}.matter", f"事项 {step.matter} 不在现行事项目录中")
    handled_by = (matter["department"], *matter.get("co_departments", ()))
    if step.department not in handled_by:
        _fail(f"{path}.department", f"事项 {step.matter}（{matter['name']}）由 "
                                    f"{'、'.join(handled_by)} 办理，不是 {step.department}")


def to_dict(project: KeyProject) -> dict:
    """The project as a JSON object that ``parse_projects`` reads back (dates as ISO text)."""
    data = dataclasses.asdict(project)
    data["start_date"] = project.start_date.isoformat()
    data["steps"] = [{k: v for k, v in step.items() if k != "n"} for step in data["steps"]]
    del data["year"]
    return data


def from_dict(year: int, data: dict) -> KeyProject:
    """A project stored with ``to_dict`` (checked again: the store is not trusted blindly)."""
    return _project(data, "project", year)


# -- links from cases ----------------------------------------------------------------

def link(project: KeyProject, n: int) -> dict:
    """What a case received for step ``n`` records of it (the hub has no project list)."""
    step = project.step(n)
    return {"year": project.year, "code": project.code, "name": project.name, "step": n,
            "matter": step.matter, "department": step.department,
            "responsible": step.responsible, "investment_wan": project.investment_wan}


def check_link(raw, path: str = "key_project") -> dict:
    """A link as recorded in ``case.received``; ``ValidationError`` naming the field."""
    raw = _keys(raw, path, ("year", "code", "step"),
                ("name", "matter", "department", "responsible", "investment_wan"))
    _int(raw["year"], f"{path}.year", 2000, 2100)
    if "investment_wan" in raw:  # links recorded before it was carried have none
        _int(raw["investment_wan"], f"{path}.investment_wan", 1, 10 ** 9)
    _code(_PROJECT_CODE, PROJECT_CODE_HINT)(raw["code"], f"{path}.code")
    _int(raw["step"], f"{path}.step", 1, 999)
    return raw


# -- progress -----------------------------------------------------------------------------

def step_state(cases: Sequence[dict]) -> str:
    """A step is done once a linked case is 办结 and approved; in progress while one is open."""
    if any(c["state"] in DONE and c.get("outcome") == "approved" for c in cases):
        return "done"
    if any(c["state"] in case_labels.OPEN for c in cases):
        return "in_progress"
    return "not_started"


def progress(project: KeyProject, cases_by_step: Mapping[int, Sequence[dict]],
             today: datetime.date, calendar: WorkCalendar, yellow_within: int = 2) -> dict:
    """Steps done of total, each step's planned day, the overall deadline and the light.

    The steps are planned one after another from ``start_date``; the light is
    the queue's: red past the overall limit, yellow when at most
    ``yellow_within`` working days remain or a step is behind its planned day,
    else green ("done" once every step is).
    """
    steps, elapsed = [], 0
    for step in project.steps:
        elapsed += step.days
        due = calendar.add_workdays(project.start_date, elapsed)
        state = step_state(cases_by_step.get(step.n, ()))
        steps.append({"n": step.n, "planned_due": due.day.isoformat(), "state": state,
                      "state_label": STEP_STATES[state],
                      "behind": state != "done" and today > due.day})
    deadline = calendar.add_workdays(project.start_date, project.limit_days)
    done = sum(s["state"] == "done" for s in steps)
    if done == len(steps):
        status, remaining = "done", None
    else:
        status = warning_level(today, deadline, calendar, yellow_within)
        if status == GREEN and any(s["behind"] for s in steps):
            status = YELLOW
        remaining = remaining_workdays(today, deadline, calendar)
    return {"done": done, "total": len(steps), "deadline": deadline.day.isoformat(),
            "provisional": deadline.provisional, "remaining": remaining, "status": status,
            "status_label": STATUS_LABELS[status], "steps": steps}
