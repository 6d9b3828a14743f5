"""Checking one historical case in memory: its number, matter, applicant, and every
step through the shared state machine at its own time.

A checked case (``Checked``) holds the ``case.received`` and ``case.action``
payloads exactly as a window would have written them, so the hub replays an
imported case like any other. Nothing here touches the database.
"""
from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

from node.import_files import fail
from node.projects import link_for
from sync import case_agents, case_clock, case_machine, case_records, case_state, matter_codes
from sync import matter_dates
from sync.case_numbers import parse_case_number
from sync.catalog_scope import acceptance
from sync.errors import Code, ConflictError, HallsyncError, NotFound, ValidationError
from sync.topology import Topology

# Actions that need more than the case's own log: another center (handoffs, a joint
# approval's consulted centers) or another case (a precedent). Import them live.
# (A key-project link needs only the node's loaded lists: it is imported.)
NOT_IMPORTED = {"hand_off": "移交", "take_over": "接收移交", "return_handoff": "退回移交"}
CASE_FIELDS = frozenset({"number", "matter_code", "applicant", "agent", "channel", "materials",
                         "received_at", "received_by", "green_channel", "key_project", "steps"})
STEP_FIELDS = frozenset({"action", "role", "user", "at", "data"})
RECEIVING_ROLE = "clerk"
DEFAULT_RECEIVER = "import"


@dataclass(frozen=True)
class Checked:
    """A case that passed every check, ready to write."""

    line: int
    received: dict          # the case.received payload
    actions: list[dict]     # the case.action payloads, n = 1, 2, …
    case: case_state.CaseState


@dataclass(frozen=True)
class Catalog:
    """What the checks need of this node: its center, catalog and the time now."""

    center: str
    matters: dict[str, tuple[dict, str]]   # basic code -> (matter, catalog status)
    topology: Topology
    now: datetime.datetime                 # China local time
    projects: dict = field(default_factory=dict)  # (year, code) -> sync.key_projects.KeyProject

    @functools.cached_property
    def national(self) -> dict[str, str]:
        """National code → basic code: a case may name its matter by either."""
        return matter_codes.index(matter for matter, _status in self.matters.values())


def check_case(line: int, raw: dict, step_lines: list[int], catalog: Catalog) -> Checked:
    """The case of one line (its steps on ``step_lines``: a CSV's rows), or a
    ``ValidationError`` naming ``line N: field``."""
    _known_fields(line, "", raw, CASE_FIELDS)
    received_at = _received_at(line, raw, catalog.now.date())
    number = _number(line, raw.get("number"), catalog.center, received_at)
    matter = _matter(line, raw.get("matter_code"), catalog)
    if not matter_dates.exists_on(matter, case_clock.china_date(received_at)):
        raise fail(line, "received_at", f"事项 {matter['basic_code']}（{matter['name']}）"
                                        f"{matter['established']['date']} 才设立，收件时间早于设立日期")
    try:
        applicant = case_records.check_applicant(raw.get("applicant"))
        agent = case_agents.check_agent(raw.get("agent"), applicant)
        channel = case_records.check_channel(raw.get("channel") or "window")
    except ValidationError as exc:
        raise fail(line, exc.field, _reason(exc)) from None
    link = _key_project(line, raw.get("key_project"), matter, catalog)
    # A key project's case goes through the green channel by being one, as at the window.
    green = _green_channel(line, raw, matter) or link is not None
    received = {"number": number, "matter": case_records.snapshot(matter),
                "applicant": applicant, **({"agent": agent} if agent else {}),
                "materials": _materials(line, raw, matter, agent),
                "green_channel": green, "channel": channel,
                **({"key_project": link} if link else {}),
                "at": case_records.iso(received_at), "role": RECEIVING_ROLE,
                "user": _text(line, raw.get("received_by") or DEFAULT_RECEIVER, "received_by")}
    case = case_records.replay(received, [])
    steps = raw.get("steps") or []
    if not isinstance(steps, list):
        raise fail(line, "steps", "应为办理步骤的列表")
    actions = []
    for i, step in enumerate(steps):
        record, case = _step(step_lines[i], f"steps[{i}]", step, number, len(actions) + 1, case,
                             catalog.now)
        actions.append(record)
    return Checked(line, received, actions, case)


def _received_at(line: int, raw: dict, today: datetime.date) -> datetime.datetime:
    try:
        at = case_records.parse_at(raw.get("received_at"), "received_at")
    except ValidationError as exc:
        raise fail(line, "received_at", _reason(exc)) from None
    # A case of today would share today's daily numbering with the window's new cases.
    if case_clock.china_date(at) >= today:
        raise fail(line, "received_at", "只导入今天以前收件的办件（今天的办件请在窗口录入）")
    return at


def _number(line: int, value, center: str, received_at: datetime.datetime) -> str:
    try:
        parts = parse_case_number(value if isinstance(value, str) else "", field="number")
    except ValidationError as exc:
        raise fail(line, "number", _reason(exc)) from None
    if parts.center != center:
        raise fail(line, "number", f"办件编号 {value} 属于中心 {parts.center}，不是本中心 {center} "
                                   "的编号：只能导入本中心收件的办件，原编号保留不变")
    if parts.day != case_clock.china_date(received_at):
        raise fail(line, "number", f"办件编号中的日期 {parts.day:%Y%m%d} 与收件时间 "
                                   f"{case_clock.china_date(received_at)} 不符")
    return value.strip().upper()


def _matter(line: int, code, catalog: Catalog) -> dict:
    code = matter_codes.resolve(code, catalog.matters, catalog.national) or code
    if code not in catalog.matters:
        raise fail(line, "matter_code", f"事项 {code!r} 不在本中心的事项目录中",
                   code=Code.MATTER_UNKNOWN)
    matter, status = catalog.matters[code]
    allowed = acceptance(matter, status, catalog.center, catalog.topology)
    if not allowed.allowed:
        raise fail(line, "matter_code", allowed.reason, code=Code.MATTER_NOT_ACCEPTABLE)
    if allowed.decided_by != catalog.center:
        raise fail(line, "matter_code", f"该事项由 {allowed.decided_by} 办理：代收移交的办件请在办理中心导入",
                   code=Code.MATTER_NOT_ACCEPTABLE)
    return matter


def _materials(line: int, raw: dict, matter: dict, agent: dict | None) -> list[dict]:
    handed_in = raw.get("materials") or []
    if not isinstance(handed_in, list):
        raise fail(line, "materials", "应为所交材料名称的列表")
    try:  # an agent's case holds the power of attorney, as at the window
        attorney = case_agents.power_of_attorney(agent, handed_in)
        case_agents.check_power_of_attorney(agent, attorney)
    except ValidationError as exc:
        raise fail(line, exc.field, _reason(exc), code=exc.code) from None
    names = {m["name"] for m in matter["materials"]} | {m["name"] for m in attorney}
    for i, name in enumerate(handed_in):
        if name not in names:
            raise fail(line, f"materials[{i}]", f"{name!r} 不是该事项的申请材料")
    # Historical cases reuse nothing: what was handed in then is what they hold.
    return attorney + [{"name": m["name"], "required": m["required"],
                        "provided": m["name"] in handed_in, "reused_from": ""}
                       for m in matter["materials"]]


def _key_project(line: int, choice, matter: dict, catalog: Catalog) -> dict | None:
    """The link to a loaded key project's step (``{year, code, step}``), as intake records it."""
    def find(year: int, code: str):
        if (year, code) not in catalog.projects:
            raise NotFound(f"没有 {year} 年的重点项目 {code}（请先加载该年的重点项目清单）")
        return catalog.projects[(year, code)]
    try:
        return link_for(choice, matter["basic_code"], find)
    except ValidationError as exc:
        raise fail(line, exc.field or "key_project", _reason(exc)) from None


def _green_channel(line: int, raw: dict, matter: dict) -> bool:
    green = raw.get("green_channel", False)
    if not isinstance(green, bool):
        raise fail(line, "green_channel", "应为 true 或 false")
    if green and not matter["green_channel"]:
        raise fail(line, "green_channel", "该事项不走绿色通道")
    return green


def _step(line: int, where: str, step, number: str, n: int, case: case_state.CaseState,
          now: datetime.datetime):
    """The step's ``case.action`` payload and the case after it."""
    if not isinstance(step, dict):
        raise fail(line, where, "每个办理步骤应为 {action, role, user, at, data}")
    _known_fields(line, f"{where}.", step, STEP_FIELDS)
    action, data = step.get("action"), step.get("data") or {}
    if action in NOT_IMPORTED:
        raise fail(line, f"{where}.action", f"不导入「{NOT_IMPORTED[action]}」：跨中心的办件请在线办理")
    if not isinstance(data, dict):
        raise fail(line, f"{where}.data", "应为 JSON 对象")
    if action == "open_joint" and data.get("centers"):
        raise fail(line, f"{where}.data.centers", "不导入跨中心的并联审批（会签中心）")
    if action == "decide" and data.get("precedent"):
        raise fail(line, f"{where}.data.precedent", "不导入案例援引")
    user = _text(line, step.get("user"), f"{where}.user")
    try:
        at = case_records.parse_at(step.get("at"), "at")
        if at > now:  # history: a step yet to happen would count in every figure and card
            raise ValidationError("办理时间晚于现在：只导入已经发生的办理步骤", field="at")
        # The shared state machine: role, transition, data, and time never going back.
        after = case_machine.apply(case, action, role=step.get("role"), at=at, data=data)
    except ConflictError as exc:
        raise fail(line, f"{where}.action", exc.detail, code=exc.code) from None
    except HallsyncError as exc:
        field = getattr(exc, "field", None) or "action"
        path = f"{where}.{field}" if field in ("action", "role", "at") else f"{where}.data.{field}"
        raise fail(line, path, _reason(exc), code=exc.code) from None
    record = {"number": number, "n": n, "action": action, "role": step["role"], "user": user,
              "at": case_records.iso(at), "data": data}
    return record, after


def _known_fields(line: int, prefix: str, raw: dict, known: frozenset[str]) -> None:
    # A misspelt field would otherwise be dropped without a word.
    for key in raw:
        if key not in known:
            raise fail(line, f"{prefix}{key}", "未知字段，可用：" + ", ".join(sorted(known)))


def _text(line: int, value, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise fail(line, field, "必填，不超过 64 字")
    return value.strip()


def _reason(exc: HallsyncError) -> str:
    """The error's detail without its own ``field: `` prefix (the line's path replaces it)."""
    field = getattr(exc, "field", None)
    if field and exc.detail.startswith(f"{field}: "):
        return exc.detail[len(field) + 2:]
    return exc.detail
