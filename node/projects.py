"""Key projects at a node (重点项目审批服务): each year's list, the cases linked to its steps,
and each project's progress.

A center admin loads a year's list (``hallsync node projects load`` or the
page); it is the center's own planning data, kept locally like its staff
logins. What the hub needs travels with each case: the link to the project's
step is part of its ``case.received`` event (``sync.key_projects.link``).
Progress is computed from the linked cases' states whenever it is shown.
"""
from __future__ import annotations

import datetime
import tomllib

import orjson

from node import catalog
from node.models import Case, CatalogMatter, KeyProject, KeyProjectCase, KeyProjectList, database
from node.work_calendar import calendar_in_force
from sync import case_clock, case_labels, codec, key_projects
from sync.case_numbers import parse_case_number
from sync.catalog_history import load_departments
from sync.errors import ConflictError, NotFound, ValidationError


def read_toml(raw: bytes, field: str = "file") -> dict:
    """A key-project file's TOML; a syntax error names the line, under ``field``."""
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValidationError(f"{field}: 文件必须是 UTF-8 编码的 TOML", field=field) from None
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"{field}: TOML 格式错误：{exc}", field=field) from None


def load(data, *, user: str) -> dict:
    """Check a year's list against the catalog in force and store it, replacing that year's.

    :raises ValidationError: the first bad field of the list.
    :raises ConflictError: the list drops a project or step that cases are linked to,
        or gives such a step another matter.
    """
    parsed = key_projects.parse_projects(data, matters=catalog.matters_in_force(),
                                         departments=load_departments())
    by_code = {p.code: p for p in parsed.projects}
    with database.atomic():
        for link in KeyProjectCase.select().where(KeyProjectCase.year == parsed.year):
            kept = by_code.get(link.code)
            step = kept.step(link.step) if kept else None
            was = _project(parsed.year, link.code).step(link.step)
            if step is None or step.matter != was.matter:
                raise ConflictError(f"办件 {link.number} 已关联项目 {link.code} 第 {link.step} 步"
                                    f"（{was.matter}），新清单不能删除或改变该步骤",
                                    project=link.code, step=link.step)
        KeyProject.delete().where(KeyProject.year == parsed.year).execute()
        for p in parsed.projects:
            KeyProject.create(year=p.year, code=p.code, name=p.name,
                              data=codec.canonical(key_projects.to_dict(p)).decode())
        (KeyProjectList.insert(year=parsed.year, title=parsed.title, loaded_by=user,
                               loaded_at=datetime.datetime.now(case_clock.CHINA)
                               .isoformat(timespec="seconds"))
         .on_conflict_replace().execute())
    return {"year": parsed.year, "title": parsed.title, "projects": len(parsed.projects),
            "codes": sorted(by_code)}


def _project(year: int, code: str) -> key_projects.KeyProject:
    # A year from the URL can be any size: past 64 bits SQLite overflows (a 500 once).
    row = KeyProject.get_or_none(KeyProject.year == year, KeyProject.code == code) \
        if 1 <= year <= 9999 else None
    if row is None:
        raise NotFound(f"没有 {year} 年的重点项目 {code}")
    return key_projects.from_dict(year, orjson.loads(row.data))


# -- links from intake ----------------------------------------------------------------------

def parse_choice(text: str) -> dict | str | None:
    """The intake form's choice ``YEAR/CODE/STEP`` as the API's ``{year, code, step}``.

    Anything else is returned as typed, for ``link_for`` to refuse at intake.
    """
    if not text:
        return None
    parts = text.split("/")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit():
        return text
    return {"year": int(parts[0]), "code": parts[1], "step": int(parts[2])}


def link_for(choice, matter_code: str, find=None) -> dict | None:
    """The link a case of ``matter_code`` records for the chosen step (None: no key project).

    ``find(year, code)`` gives the project or raises ``NotFound`` (default: this node's
    lists; the historical import passes the lists it read before checking).
    """
    if choice is None or choice == "":
        return None
    if not isinstance(choice, dict) or set(choice) != {"year", "code", "step"}:
        raise ValidationError("key_project: 请从列表中选择重点项目的步骤"
                              "（API 中为 {year, code, step}）", field="key_project")
    key_projects.check_link(choice)
    try:
        project = (find or _project)(choice["year"], choice["code"])
    except NotFound as exc:
        raise ValidationError(f"key_project.code: {exc.detail}", field="key_project.code") from None
    step = project.step(choice["step"])
    if step is None:
        raise ValidationError(f"key_project.step: 项目 {project.code} 没有第 {choice['step']} 步",
                              field="key_project.step")
    if step.matter != matter_code:
        raise ValidationError(f"key_project.step: 项目 {project.code} 第 {step.n} 步的事项是 "
                              f"{step.matter}，不是本次受理的 {matter_code}",
                              field="key_project.step")
    return key_projects.link(project, step.n)


def steps_for(matter_code: str) -> list[dict]:
    """The loaded projects' steps of a matter: the intake form's choices, newest year first."""
    found = []
    for row in KeyProject.select().order_by(KeyProject.year.desc(), KeyProject.code):
        project = key_projects.from_dict(row.year, orjson.loads(row.data))
        for step in project.steps:
            if step.matter == matter_code:
                found.append({"value": f"{project.year}/{project.code}/{step.n}",
                              **key_projects.link(project, step.n)})
    return found


def all_projects() -> dict[tuple[int, str], key_projects.KeyProject]:
    """Every loaded project by (year, code)."""
    return {(row.year, row.code): key_projects.from_dict(row.year, orjson.loads(row.data))
            for row in KeyProject.select()}


def record_link(number: str, link: dict | None) -> None:
    if link is not None:
        KeyProjectCase.create(number=number, year=link["year"], code=link["code"],
                              step=link["step"])


# -- lists and progress ---------------------------------------------------------------------

def _cases(year: int, code: str, center: str) -> dict[int, list[dict]]:
    """The cases linked to each step, this center's only (a foreign row is never shown)."""
    by_step: dict[int, list[dict]] = {}
    rows = (Case.select(Case, KeyProjectCase.step)
            .join(KeyProjectCase, on=(Case.number == KeyProjectCase.number))
            .where(KeyProjectCase.year == year, KeyProjectCase.code == code)
            .order_by(Case.received_at).objects())
    for row in rows:
        if parse_case_number(row.number).center != center:
            continue
        by_step.setdefault(row.step, []).append({
            "number": row.number, "state": row.state,
            "state_label": case_labels.STATES[row.state], "outcome": row.outcome,
            "promised_date": row.promised_date, "received_at": row.received_at})
    return by_step


def _summary(project: key_projects.KeyProject, shown: dict) -> dict:
    return {"year": project.year, "code": project.code, "name": project.name,
            "owner": {"name": project.owner.name, "credit_code": project.owner.credit_code},
            "investment_wan": project.investment_wan,
            "start_date": project.start_date.isoformat(), "limit_days": project.limit_days,
            **{k: v for k, v in shown.items() if k != "steps"}}


def project_list(year: int, center: str, today: datetime.date, *, yellow_within: int) -> dict:
    """A year's projects with their progress; which years are loaded."""
    calendar = calendar_in_force()
    meta = KeyProjectList.get_or_none(KeyProjectList.year == year)
    projects = []
    for row in KeyProject.select().where(KeyProject.year == year).order_by(KeyProject.code):
        project = key_projects.from_dict(year, orjson.loads(row.data))
        shown = key_projects.progress(project, _cases(year, project.code, center), today,
                                      calendar, yellow_within)
        projects.append(_summary(project, shown))
    return {"year": year, "as_of": today.isoformat(), "title": meta.title if meta else "",
            "loaded_at": meta.loaded_at if meta else None,
            "loaded_by": meta.loaded_by if meta else None,
            "years": [y for (y,) in KeyProjectList.select(KeyProjectList.year)
                      .order_by(KeyProjectList.year.desc()).tuples()],
            "count": len(projects), "projects": projects}


def project_detail(year: int, code: str, center: str, today: datetime.date, *,
                   yellow_within: int) -> dict:
    """One project: its plan, each step's cases and state, and the overall progress."""
    project = _project(year, code)
    by_step = _cases(year, code, center)
    shown = key_projects.progress(project, by_step, today, calendar_in_force(), yellow_within)
    # Names from the catalog rows, a matter cancelled since the list was loaded included.
    names = dict(CatalogMatter.select(CatalogMatter.code, CatalogMatter.name).where(
        CatalogMatter.code.in_([step.matter for step in project.steps])).tuples())
    steps = [{"n": step.n, "matter": step.matter, "matter_name": names.get(step.matter, ""),
              "department": step.department, "responsible": step.responsible,
              "days": step.days, **planned, "cases": by_step.get(step.n, [])}
             for step, planned in zip(project.steps, shown["steps"])]
    return {**_summary(project, shown), "as_of": today.isoformat(), "steps": steps}
