"""The case (办件) state machine, shared by hub and node.

Every change of a case goes through ``apply(case, action, role=, at=, data=)``,
which checks the role, the transition and the action's data and returns a new
immutable ``CaseState`` (or raises and changes nothing). The node records each
applied action as an event; the hub replays the same events through the same
function, so both always agree on where a case is. (docs: domain.md §2.3)

::

    received ─ accept ─────────────► accepted ─ start_review ─► in_review
    received ─ complete_immediate ─► completed                   (即办件 only; no review)
    received ─ request_supplement ─► supplement_requested ─ supplement_in ─► received
    received, supplement_requested ─ not_accept ─► not_accepted
    in_review ─ submit_for_approval ─► in_approval ─ return_to_review ─► in_review
    in_review, in_approval ─ suspend_supplement ─► suspended_supplement ─ supplement_in ─► (back)
    in_review, in_approval ─ start_special ─► suspended_special ─ end_special ─► (back)
    in_review ─ open_joint ─► joint_review ─ joint_decide (the last one), close_joint ─► in_approval
    joint_review ─ joint_supplement ─► suspended_supplement ─ supplement_in ─► joint_review
                 (the other departments go on deciding meanwhile: joint_decide)
    in_approval ─ decide ─► completed (办结) ─ deliver ─► delivered (送达)
                 (may cite a completed case of the same matter: 案例援引)
    completed, delivered ─ evaluate ─► (unchanged)   (好差评: once per case)
    any open state but handed_off ─ withdraw ─► withdrawn (撤件)
    received, accepted ─ hand_off ─► handed_off ─ take_over, return_handoff ─► (back)

A handoff (异地代收代办) moves the processing to the center that decides the
matter: the collecting center hands off (with 收件即受理 after accepting, so the
clock already runs), the handling center takes it over (or returns it,
misrouted) and goes on from where it was; the hub moves the case's ownership
with each step (``hub.cases.handoffs``).

A joint approval may consult a department at another center (市区两级并联审批:
a district handling the case asks a city department, ``open_joint``'s
``centers``). That center never writes the case: it signs its own opinion
(``joint.opinion``), the hub relays it, and the case's owner records it as
``joint_decide`` or ``joint_supplement`` naming the opinion's event, which the
state machine requires for such a department and refuses for any other.

Clock rules (``deadline``, ``paused_workdays``): the clock starts at
acceptance; supplement during review and special procedures pause it. A pause
from day S to day E stops the days S+1 … E (the day it starts is still a
working day, "开始的当日不计入"), so a pause opened and closed on the same day
costs nothing. Pauses only ever add days: the deadline never moves earlier.
"""
from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from typing import NamedTuple

from sync import case_inputs as inputs
from sync.calendar import ONE_DAY, Deadline, Pause, WorkCalendar
from sync.catalog_schema import HANDLING_TYPES
from sync.deadlines import promised_date
from sync.errors import ConflictError, ValidationError

# China has kept UTC+8 without daylight saving since 1991; a fixed offset
# needs no tz database on a street center's PC.
CHINA = datetime.timezone(datetime.timedelta(hours=8), "CST")

RECEIVED, SUPPLEMENT_REQUESTED, NOT_ACCEPTED = "received", "supplement_requested", "not_accepted"
ACCEPTED, IN_REVIEW, IN_APPROVAL = "accepted", "in_review", "in_approval"
SUSPENDED_SUPPLEMENT, SUSPENDED_SPECIAL = "suspended_supplement", "suspended_special"
JOINT_REVIEW, COMPLETED, DELIVERED, WITHDRAWN = "joint_review", "completed", "delivered", "withdrawn"
HANDED_OFF = "handed_off"
STATES = {
    RECEIVED: "已收件", SUPPLEMENT_REQUESTED: "待补正（未受理）", NOT_ACCEPTED: "不予受理",
    ACCEPTED: "已受理", IN_REVIEW: "审查中", IN_APPROVAL: "待审批",
    SUSPENDED_SUPPLEMENT: "补正中（暂停计时）", SUSPENDED_SPECIAL: "特别程序中（暂停计时）",
    JOINT_REVIEW: "联合审批中", COMPLETED: "已办结", DELIVERED: "已送达", WITHDRAWN: "已撤件",
    HANDED_OFF: "已移交（待办理中心接收）",
}
TERMINAL = frozenset({NOT_ACCEPTED, DELIVERED, WITHDRAWN})
# Open = the applicant may still withdraw. A completed case has its result and
# only awaits delivery, so it is neither open nor terminal.
OPEN = frozenset(STATES) - TERMINAL - {COMPLETED}
PAUSED = frozenset({SUSPENDED_SUPPLEMENT, SUSPENDED_SPECIAL})

ROLES = {"clerk": "窗口受理人员", "reviewer": "审查人员（处室）", "approver": "审批负责人",
         "center_admin": "中心管理员", "auditor": "审计人员（只读）"}
OUTCOMES = {"approved": "准予许可", "refused": "不予许可"}
JOINT_DECISIONS = {"consent": "同意", "object": "不同意", "deemed_consent": "逾期视为同意"}
DELIVERY_METHODS = {"window": "窗口领取", "mail": "邮寄送达", "online": "网上送达"}
SUPPLEMENT = "supplement"
# 特别程序 (Administrative Licensing Law Art. 45; GB/T 39046 A.7 code 1 = 延长审批).
SPECIAL_PROCEDURES = {"extension": "延长审批", "hearing": "听证", "inspection": "检验检测检疫",
                      "appraisal": "鉴定", "expert_review": "专家评审", "site_survey": "现场勘查",
                      "publicity": "公示", "tender": "招标拍卖"}
PAUSE_KINDS = {SUPPLEMENT: "补正", **SPECIAL_PROCEDURES}
# 好差评 levels (domain.md §3.2), named: other systems number them in either order,
# so map explicitly at each boundary (``EVALUATION_CODES``: GB/T 39046 A.8).
EVALUATION_LEVELS = {"very_satisfied": "非常满意", "satisfied": "满意",
                     "basically_satisfied": "基本满意", "dissatisfied": "不满意",
                     "very_dissatisfied": "非常不满意"}
EVALUATION_CODES = {level: code for code, level in enumerate(EVALUATION_LEVELS, 1)}
SATISFIED = frozenset({"very_satisfied", "satisfied", "basically_satisfied"})  # 满意率 counts these
BAD_REVIEWS = frozenset({"dissatisfied", "very_dissatisfied"})                 # 差评
# Matters whose approval registers an enterprise: the decision carries its
# registered capital (注册资本, 万元), counted by the hub (企业注册户数及注册资本).
REGISTERED_CAPITAL_MATTERS = frozenset({"SY24001"})  # 企业设立登记


class Action(NamedTuple):
    label: str
    roles: frozenset[str]
    sources: frozenset[str]


def _action(label: str, roles: str, sources) -> Action:
    return Action(label, frozenset(roles.split()), frozenset(sources))


RECEIVE = "receive"
ACTIONS = {
    RECEIVE: _action("收件", "clerk", ()),
    "accept": _action("受理", "clerk", {RECEIVED}),
    "complete_immediate": _action("即办办结", "clerk approver", {RECEIVED}),
    "not_accept": _action("不予受理", "clerk approver", {RECEIVED, SUPPLEMENT_REQUESTED}),
    "request_supplement": _action("一次性告知补正", "clerk", {RECEIVED}),
    "supplement_in": _action("补正材料收齐", "clerk reviewer",
                             {SUPPLEMENT_REQUESTED, SUSPENDED_SUPPLEMENT}),
    "start_review": _action("开始审查", "reviewer center_admin", {ACCEPTED}),
    "submit_for_approval": _action("审查通过，报送审批", "reviewer", {IN_REVIEW}),
    "return_to_review": _action("审批退回审查", "approver", {IN_APPROVAL}),
    "suspend_supplement": _action("审查中要求补正（暂停计时）", "reviewer approver",
                                  {IN_REVIEW, IN_APPROVAL}),
    "start_special": _action("启动特别程序（暂停计时）", "reviewer approver",
                             {IN_REVIEW, IN_APPROVAL}),
    "end_special": _action("特别程序结束", "reviewer approver", {SUSPENDED_SPECIAL}),
    "open_joint": _action("发起联合审批", "reviewer", {IN_REVIEW}),
    # While one department waits on a supplement, the others go on (并联).
    "joint_decide": _action("部门会签意见", "reviewer approver",
                            {JOINT_REVIEW, SUSPENDED_SUPPLEMENT}),
    "joint_supplement": _action("会签部门要求补正（暂停计时）", "reviewer approver",
                                {JOINT_REVIEW, SUSPENDED_SUPPLEMENT}),
    "close_joint": _action("结束联合审批", "reviewer center_admin", {JOINT_REVIEW}),
    "decide": _action("审批决定（办结）", "approver", {IN_APPROVAL}),
    "deliver": _action("送达", "clerk", {COMPLETED}),
    "withdraw": _action("撤件", "clerk center_admin", OPEN - {HANDED_OFF}),
    "hand_off": _action("移交办理中心", "clerk", {RECEIVED, ACCEPTED}),
    "take_over": _action("接收移交", "clerk reviewer", {HANDED_OFF}),
    "return_handoff": _action("退回移交", "clerk reviewer center_admin", {HANDED_OFF}),
    # Recorded at the window (evaluation pad) or online through the API; the state stays.
    "evaluate": _action("好差评（申请人评价）", "clerk", {COMPLETED, DELIVERED}),
}


@dataclasses.dataclass(frozen=True)
class Suspension:
    """A span when the clock stood still: 补正 during review or a special procedure."""

    kind: str                          # SUPPLEMENT or a SPECIAL_PROCEDURES code
    start: datetime.datetime
    end: datetime.datetime | None = None
    reason: str = ""
    limit_days: int | None = None      # 特别程序时限, told to the applicant in writing
    result: str = ""                   # 特别程序结果


@dataclasses.dataclass(frozen=True)
class Precedent:
    """A completed case of the same matter cited in a decision (案例援引), as found when cited."""

    number: str
    note: str                          # why it applies
    matter_code: str
    state: str
    outcome: str
    document_number: str


@dataclasses.dataclass(frozen=True)
class Decision:
    """The result of 办结: approved or refused, with the licence or decision document number."""

    outcome: str
    document_number: str
    decided_at: datetime.datetime
    reason: str = ""
    precedent: Precedent | None = None
    registered_capital: int | None = None  # 注册资本，万元 (REGISTERED_CAPITAL_MATTERS, approved)


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """The applicant's rating of the service (好差评), one per case ("一事一评")."""

    level: str                         # an EVALUATION_LEVELS code
    evaluated_at: datetime.datetime
    comment: str = ""


@dataclasses.dataclass(frozen=True)
class Delivery:
    """How the result reached the applicant (送达)."""

    method: str
    delivered_at: datetime.datetime
    waybill: str = ""


@dataclasses.dataclass(frozen=True)
class Handoff:
    """One handoff of the case to the center that decides it (收件 here, 办理 there)."""

    target: str                        # the handling center's code
    sent_at: datetime.datetime
    resumes_to: str                    # the state the case was in when handed off
    waybill: str = ""                  # the originals by post (双向寄递)
    taken_at: datetime.datetime | None = None
    returned_at: datetime.datetime | None = None
    return_reason: str = ""


@dataclasses.dataclass(frozen=True)
class SubApproval:
    """One department's part of a joint approval (联合审批)."""

    department: str
    deadline: datetime.date
    decision: str | None = None        # a JOINT_DECISIONS code once decided
    decided_at: datetime.datetime | None = None
    reason: str = ""
    center: str = ""                   # where it gives its opinion; "" = the handling center
    missing: tuple[str, ...] = ()      # materials it asked for and still waits on


class Step(NamedTuple):
    """One entry of a case's history: who (role) did what, when and why."""

    action: str
    at: datetime.datetime
    role: str
    reason: str


@dataclasses.dataclass(frozen=True)
class CaseState:
    """Where one case stands; build with ``new_case`` and change only with ``apply``."""

    state: str
    handling: str                                  # catalog HANDLING_TYPES code
    history: tuple[Step, ...]
    accepted_at: datetime.datetime | None = None
    missing: tuple[str, ...] = ()                  # materials still to be supplied
    pauses: tuple[Suspension, ...] = ()
    resumes_to: str | None = None                  # the state a running pause returns to
    decision: Decision | None = None
    delivery: Delivery | None = None
    withdrawal_reason: str = ""
    joint: tuple[SubApproval, ...] = ()            # sorted by department
    handoffs: tuple[Handoff, ...] = ()             # the last one is the current one
    evaluation: Evaluation | None = None
    # Who the case is, for rules that compare it with another case (案例援引).
    number: str = ""
    matter_code: str = ""

    @property
    def received_at(self) -> datetime.datetime:
        """When the application was received (收件)."""
        return self.history[0].at

    @property
    def open_pause(self) -> Suspension | None:
        """The running pause, if the clock is stopped now."""
        return self.pauses[-1] if self.pauses and self.pauses[-1].end is None else None

    @property
    def handling_center(self) -> str | None:
        """The center the case was handed to and that took it over (None: not handed off)."""
        last = self.handoffs[-1] if self.handoffs else None
        return last.target if last and last.taken_at else None


def new_case(handling: str, *, role: str, at: datetime.datetime, reason: str = "",
             number: str = "", matter_code: str = "") -> CaseState:
    """A case just received (已收件) for a matter of the given handling type.

    ``number`` and ``matter_code`` name the case and its matter; a decision can
    cite a precedent only when they are known.
    """
    _check_role(RECEIVE, role)
    if handling not in HANDLING_TYPES:
        _fail("handling", f"未知的办件类型 {handling!r}，可选：{', '.join(HANDLING_TYPES)}")
    return CaseState(RECEIVED, handling, (Step(RECEIVE, _check_at(at, None), role, reason),),
                     number=number, matter_code=matter_code)


def apply(case: CaseState, action: str, *, role: str, at: datetime.datetime,
          data: dict | None = None) -> CaseState:
    """The case after ``action``; nothing changes when it is refused.

    :raises ValidationError: unknown action or role, a role not allowed the
        action, a naive or backward ``at``, or bad ``data`` (``field`` names it).
    :raises ConflictError: the action is not allowed in the case's state.
    """
    if action not in ACTIONS:
        _fail("action", f"未知的操作 {action!r}，可选：{', '.join(_RULES)}")
    _check_role(action, role)
    at = _check_at(at, case.history[-1].at)
    if case.state not in ACTIONS[action].sources or not _fits_pause(action, case):
        raise _conflict(case, action)
    if not _fits_handling(action, case):
        raise _conflict(case, action, "即办件当场办结，其他办件受理后审查",
                        "immediate matters complete at intake, others are accepted and reviewed")
    handler, spec = _RULES[action]
    data = _check_data(action, spec, data)
    changes = handler(case, at, data)
    step = Step(action, at, role, data.get("reason") or _summary(action, data))
    return dataclasses.replace(case, **changes, history=case.history + (step,))


def holder(case: CaseState, collecting: str) -> str:
    """The center that may act on the case now (its owner at the hub): the handling
    center from the handoff until it decides or returns it, else the collecting one."""
    last = case.handoffs[-1] if case.handoffs else None
    if last is None or last.returned_at is not None or case.decision is not None:
        return collecting
    return last.target


def available_actions(case: CaseState, role: str) -> list[str]:
    """The actions ``role`` may try on ``case`` now (data checks may still refuse them)."""
    return [name for name, action in ACTIONS.items()
            if role in action.roles and case.state in action.sources and _fits_pause(name, case)
            and _fits_handling(name, case) and not (name == "evaluate" and case.evaluation)]


def _fits_pause(action: str, case: CaseState) -> bool:
    # Department opinions go on during a supplement only when it paused the joint
    # approval (a department asked for it), not a review's own supplement.
    if action in ("joint_decide", "joint_supplement") and case.state == SUSPENDED_SUPPLEMENT:
        return case.resumes_to == JOINT_REVIEW
    return True


def _fits_handling(action: str, case: CaseState) -> bool:
    # Immediate matters (即办件) complete at intake with no review chain; every
    # other matter must be accepted first so that its clock starts.
    if action == "accept":
        return case.handling != "immediate"
    if action == "complete_immediate":
        return case.handling == "immediate"
    return True


# -- the clock ----------------------------------------------------------------

def china_date(at: datetime.datetime) -> datetime.date:
    """The calendar day of ``at`` in China local time."""
    return at.astimezone(CHINA).date()


def paused_workdays(case: CaseState, calendar: WorkCalendar, until: datetime.date) -> int:
    """Working days the clock stood still up to ``until``; a running pause counts up to it."""
    return sum(calendar.workdays_between(first - ONE_DAY, last) for first, last in _spans(case, until))


def deadline(case: CaseState, calendar: WorkCalendar, promised_days: int, *,
             today: datetime.date | None = None) -> Deadline | None:
    """The promised completion day (承诺办结时间), pushed back by pauses; None before acceptance.

    A running pause extends the deadline through ``today`` (through the day it
    started when ``today`` is not given); recompute as days pass.
    """
    if case.accepted_at is None:
        return None
    return promised_date(china_date(case.accepted_at), promised_days, calendar,
                         _spans(case, today))


def handling_workdays(case: CaseState, calendar: WorkCalendar) -> int | None:
    """Working days from acceptance to 办结 without paused days (KPI 平均办理时长); None if not done."""
    if case.accepted_at is None or case.decision is None:
        return None
    done = china_date(case.decision.decided_at)
    return (calendar.workdays_between(china_date(case.accepted_at), done)
            - paused_workdays(case, calendar, done))


def intake_overdue(case: CaseState, calendar: WorkCalendar, today: datetime.date,
                   limit: int = 5) -> bool:
    """True when a case has waited in 已收件 more than ``limit`` working days (Art. 32: 5 days)."""
    # The last step is the one that put the case in RECEIVED: receive or supplement_in.
    return (case.state == RECEIVED
            and calendar.workdays_between(china_date(case.history[-1].at), today) > limit)


def _spans(case: CaseState, today: datetime.date | None) -> list[Pause]:
    """Inclusive (first, last) paused days: S+1 … E, the running pause ending ``today``."""
    spans = []
    for pause in case.pauses:
        start = china_date(pause.start)
        end = china_date(pause.end) if pause.end else (today or start)
        end = min(end, today) if today else end
        if end > start:
            spans.append((start + ONE_DAY, end))
    return spans


# -- joint approval -------------------------------------------------------------

def open_joint(case: CaseState, departments: dict[str, datetime.date], *, role: str,
               at: datetime.datetime, reason: str = "") -> CaseState:
    """Start a joint approval: each department (code → its own deadline) decides in parallel."""
    return apply(case, "open_joint", role=role, at=at,
                 data={"departments": departments, "reason": reason})


def joint_decision(case: CaseState, department: str, decision: str, *, role: str,
                   at: datetime.datetime, reason: str = "") -> CaseState:
    """Record one department's consent or objection; the last one moves the case to approval."""
    return apply(case, "joint_decide", role=role, at=at,
                 data={"department": department, "decision": decision, "reason": reason})


def close_joint(case: CaseState, *, role: str, at: datetime.datetime,
                deemed_consent: bool) -> CaseState:
    """End a joint approval; with ``deemed_consent`` departments silent past their deadline consent.

    ``deemed_consent`` is the rule in force where the case is handled (the node's
    ``joint_deemed_consent`` setting, never the caller's choice); the event records
    it, so the hub replays the rule that applied.
    """
    return apply(case, "close_joint", role=role, at=at, data={"deemed_consent": deemed_consent})


def joint_pending(case: CaseState) -> tuple[str, ...]:
    """The departments of the joint approval that have not decided yet."""
    return tuple(sub.department for sub in case.joint if sub.decision is None)


# -- checks of the caller's input ----------------------------------------------

def _fail(field: str, reason: str):
    raise ValidationError(f"{field}: {reason}", field=field)


def _conflict(case: CaseState, action: str, why_zh: str = "", why_en: str = "") -> ConflictError:
    detail = (f"当前状态「{STATES[case.state]}」不能执行「{ACTIONS[action].label}」"
              f"{'：' + why_zh if why_zh else ''} "
              f"(cannot {action} a case in state {case.state}{': ' + why_en if why_en else ''})")
    return ConflictError(detail, state=case.state, action=action)


def _check_role(action: str, role: str) -> None:
    if role not in ROLES:
        _fail("role", f"未知的角色 {role!r}，可选：{', '.join(ROLES)}")
    if role not in ACTIONS[action].roles:
        _fail("role", f"角色「{ROLES[role]}」无权执行「{ACTIONS[action].label}」")


def _check_at(at, last: datetime.datetime | None) -> datetime.datetime:
    # A naive datetime has no China date: hub (UTC) and node would disagree.
    if not isinstance(at, datetime.datetime) or at.utcoffset() is None:
        _fail("at", f"必须是带时区的时间，实际为 {at!r}")
    if last is not None and at < last:
        _fail("at", f"时间 {at.isoformat()} 早于上一步 {last.isoformat()}")
    return at


def _check_data(action: str, spec: dict, data) -> dict:
    data = {} if data is None else data
    if not isinstance(data, dict):
        _fail("data", "必须是对象")
    spec = {"reason": (inputs.text, False), **spec}
    for key in data:
        if key not in spec:
            _fail(str(key), f"「{ACTIONS[action].label}」不需要此字段")
    checked = {}
    for key, (check, required) in spec.items():
        value = data.get(key)
        if value is None or value == "":
            if required:
                _fail(key, "必填")
            continue
        checked[key] = check(value, key)
    return checked


# -- the handlers: each returns the fields that change --------------------------

def _supplement_in(case, at, data):
    if case.state == SUPPLEMENT_REQUESTED:
        return {"state": RECEIVED, "missing": ()}
    joint = tuple(dataclasses.replace(sub, missing=()) for sub in case.joint)
    return {**_resume(case, at), "missing": (), "joint": joint}


def _suspend(state: str) -> Callable:
    def handler(case, at, data):
        pause = Suspension(data.get("kind", SUPPLEMENT), at, reason=data.get("reason", ""),
                           limit_days=data.get("limit_days"))
        return {"state": state, "pauses": case.pauses + (pause,), "resumes_to": case.state,
                "missing": data.get("missing", ())}
    return handler


def _resume(case, at, result: str = ""):
    pauses = case.pauses[:-1] + (dataclasses.replace(case.pauses[-1], end=at, result=result),)
    return {"state": case.resumes_to, "pauses": pauses, "resumes_to": None}


def _open_joint(case, at, data):
    today = china_date(at)
    departments, centers = data["departments"], data.get("centers", {})
    for department, due in departments.items():
        if due < today:
            _fail(f"departments.{department}", f"会签期限 {due.isoformat()} 早于今天")
    for department in centers:
        if department not in departments:
            _fail(f"centers.{department}", "会签中心只能为所列会签部门指定")
    return {"state": JOINT_REVIEW, "joint": tuple(
        SubApproval(department, due, center=centers.get(department, ""))
        for department, due in sorted(departments.items()))}


def _consulted(case, action: str, data) -> SubApproval:
    """The pending department an opinion is for, its origin checked (并联: signed there)."""
    department = data["department"]
    sub = next((sub for sub in case.joint if sub.department == department), None)
    if sub is None or sub.decision is not None:
        raise _conflict(case, action,
                        f"部门 {department} {'已作出意见' if sub else '不在本次联合审批中'}",
                        f"department {department} has already decided or is not consulted")
    given_by = data["opinion"]["center"] if "opinion" in data else ""
    if sub.center and given_by != sub.center:
        _fail("opinion", f"部门 {department} 在 {sub.center} 会签，须记录该中心签发的意见")
    if not sub.center and given_by:
        _fail("opinion", f"部门 {department} 在本中心会签，不记录其他中心的意见")
    return sub


def _joint_decide(case, at, data):
    if data["decision"] == "object" and not data.get("reason"):
        _fail("reason", "不同意必须说明理由")
    sub = _consulted(case, "joint_decide", data)
    if sub.missing:
        raise _conflict(case, "joint_decide", f"部门 {sub.department} 要求的补正材料尚未收齐",
                        f"department {sub.department} waits on its supplement")
    joint = tuple(dataclasses.replace(sub, decision=data["decision"], decided_at=at,
                                      reason=data.get("reason", ""))
                  if sub.department == data["department"] else sub for sub in case.joint)
    if case.state == SUSPENDED_SUPPLEMENT:
        return {"joint": joint}  # the pause goes on: another department waits on materials
    done = all(sub.decision is not None for sub in joint)
    return {"joint": joint, "state": IN_APPROVAL if done else JOINT_REVIEW}


def _joint_supplement(case, at, data):
    """One department asks for materials: the clock pauses, the others may still decide."""
    sub = _consulted(case, "joint_supplement", data)
    if sub.missing:
        raise _conflict(case, "joint_supplement", f"部门 {sub.department} 已要求补正",
                        f"department {sub.department} already waits on a supplement")
    missing = data["missing"]
    joint = tuple(dataclasses.replace(s, missing=missing) if s is sub else s for s in case.joint)
    if case.state == SUSPENDED_SUPPLEMENT:
        return {"joint": joint, "missing": tuple(dict.fromkeys(case.missing + missing))}
    return {**_suspend(SUSPENDED_SUPPLEMENT)(case, at, data), "joint": joint}


def _close_joint(case, at, data):
    today, joint = china_date(at), []
    for sub in case.joint:
        if sub.decision is None:
            if not data["deemed_consent"]:
                raise _conflict(case, "close_joint", f"部门 {sub.department} 尚未作出意见",
                                f"department {sub.department} has not decided")
            if sub.deadline >= today:
                raise _conflict(case, "close_joint",
                                f"部门 {sub.department} 的会签期限 {sub.deadline.isoformat()} 未过",
                                f"department {sub.department} is still within its deadline")
            sub = dataclasses.replace(sub, decision="deemed_consent", decided_at=at)
        joint.append(sub)
    return {"state": IN_APPROVAL, "joint": tuple(joint)}


def _decide(case, at, data):
    objecting = [sub.department for sub in case.joint if sub.decision == "object"]
    if data["outcome"] == "approved" and objecting:
        raise _conflict(case, "decide", f"联合审批部门 {'、'.join(objecting)} 不同意，不能准予",
                        "a department of the joint approval objected")
    decision = dataclasses.replace(_decision(at, data),
                                   registered_capital=_registered_capital(case, data))
    if "precedent" in data:
        decision = dataclasses.replace(decision, precedent=_precedent(case, data["precedent"]))
    return {"state": COMPLETED, "decision": decision}


def _decision(at, data) -> Decision:
    if data["outcome"] == "refused" and not data.get("reason"):
        _fail("reason", "不予许可必须说明理由")
    return Decision(data["outcome"], data["document_number"], at, data.get("reason", ""))


def _registered_capital(case, data) -> int | None:
    capital, field = data.get("registered_capital"), "registered_capital"
    if case.matter_code not in REGISTERED_CAPITAL_MATTERS:
        if capital is not None:
            _fail(field, f"只有企业设立登记（{'、'.join(sorted(REGISTERED_CAPITAL_MATTERS))}）"
                         "的决定填写注册资本")
        return None
    if data["outcome"] != "approved":
        if capital is not None:
            _fail(field, "不予许可不填写注册资本")
        return None
    return capital  # None: required only of new decisions (``check_new_action``)


def check_new_action(case: CaseState, action: str, data) -> None:
    """Rules for an action taken now that a replayed one is not held to.

    Decisions of 企业设立登记 recorded before the registered capital was carried
    have none, and the hub replays them: so ``apply`` accepts a missing capital
    and the node, deciding now, calls this first.

    :raises ValidationError: an approving ``decide`` of a ``REGISTERED_CAPITAL_MATTERS``
        matter without ``registered_capital``.
    """
    if (action == "decide" and case.matter_code in REGISTERED_CAPITAL_MATTERS
            and isinstance(data, dict) and data.get("outcome") == "approved"
            and data.get("registered_capital") in (None, "")):
        _fail("registered_capital", "企业设立登记准予许可必须填写注册资本（万元）")


def _evaluate(case, at, data):
    if case.evaluation is not None:
        raise _conflict(case, "evaluate", "本办件已评价，每件只评一次（一事一评）",
                        "the case has already been evaluated")
    if data["level"] in BAD_REVIEWS and not data.get("comment"):
        _fail("comment", "差评（不满意、非常不满意）必须填写评价意见")
    return {"evaluation": Evaluation(data["level"], at, data.get("comment", ""))}


def _precedent(case, cited: dict) -> Precedent:
    # Only a decided case of the same matter is a precedent for this one.
    number, field = cited["number"], "precedent.number"
    if number == case.number:
        _fail(field, "不能援引本办件自身")
    if cited["state"] not in (COMPLETED, DELIVERED):
        _fail(field, f"办件 {number} 尚未办结（{STATES.get(cited['state'], cited['state'])}），"
                     "只能援引已办结的案例")
    if cited["matter_code"] != case.matter_code:
        _fail(field, f"办件 {number} 的事项是 {cited['matter_code']}，"
                     f"与本办件的事项 {case.matter_code or '（未知）'} 不同，只能援引同一事项的案例")
    return Precedent(**cited)


def _deliver(case, at, data):
    method, waybill = data["method"], data.get("waybill", "")
    if method == "mail" and not waybill:
        _fail("waybill", "邮寄送达必须填写运单号")
    if method != "mail" and waybill:
        _fail("waybill", "只有邮寄送达填写运单号")
    return {"state": DELIVERED, "delivery": Delivery(method, at, waybill)}


def _hand_off(case, at, data):
    if data["consent"] is not True:
        _fail("consent", "移交须经申请人同意共享申请材料")
    return {"state": HANDED_OFF, "handoffs": case.handoffs + (
        Handoff(data["target"], at, case.state, data.get("waybill", "")),)}


def _settle_handoff(case, **changes):
    last = dataclasses.replace(case.handoffs[-1], **changes)
    return {"state": last.resumes_to, "handoffs": case.handoffs[:-1] + (last,)}


def _withdraw(case, at, data):
    changes = _resume(case, at) if case.open_pause else {}
    return {**changes, "state": WITHDRAWN, "resumes_to": None,
            "withdrawal_reason": data["reason"]}


# A department states consent or objection; deemed consent comes only from close_joint.
_STATED_DECISIONS = {k: JOINT_DECISIONS[k] for k in ("consent", "object")}
_RESULT = {"outcome": (inputs.one_of(OUTCOMES), True),
           "document_number": (lambda value, path: inputs.text(value, path, 64), True)}
_REASON = {"reason": (inputs.text, True)}
_WAYBILL = inputs.matching(r"[0-9A-Z-]{6,40}", "运单号应为 6-40 位字母或数字", upper=True)
# action -> (handler returning the fields that change, {data key: (checker, required)}).
# Every action also takes an optional "reason", the "why" of its history step.
_RULES: dict[str, tuple[Callable, dict[str, tuple[Callable, bool]]]] = {
    "accept": (lambda case, at, data: {"state": ACCEPTED, "accepted_at": at}, {}),
    # 即办件: accepted, decided and completed in the same moment at the window.
    "complete_immediate": (lambda case, at, data: {"state": COMPLETED, "accepted_at": at,
                                                   "decision": _decision(at, data)}, _RESULT),
    "not_accept": (lambda case, at, data: {"state": NOT_ACCEPTED}, _REASON),
    "request_supplement": (lambda case, at, data: {"state": SUPPLEMENT_REQUESTED,
                                                   "missing": data["missing"]},
                           {"missing": (inputs.materials, True)}),
    "supplement_in": (_supplement_in, {}),
    "start_review": (lambda case, at, data: {"state": IN_REVIEW}, {}),
    "submit_for_approval": (lambda case, at, data: {"state": IN_APPROVAL}, {}),
    "return_to_review": (lambda case, at, data: {"state": IN_REVIEW}, _REASON),
    "suspend_supplement": (_suspend(SUSPENDED_SUPPLEMENT), {"missing": (inputs.materials, True)}),
    "start_special": (_suspend(SUSPENDED_SPECIAL), {"kind": (inputs.one_of(SPECIAL_PROCEDURES), True),
                                            "reason": (inputs.text, True),
                                            "limit_days": (inputs.limit_days, True)}),
    "end_special": (lambda case, at, data: _resume(case, at, data["result"]),
                    {"result": (inputs.text, True)}),
    "open_joint": (_open_joint, {"departments": (inputs.departments, True),
                                 "centers": (inputs.consulted_centers, False)}),
    "joint_decide": (_joint_decide, {"department": (inputs.department, True),
                                     "decision": (inputs.one_of(_STATED_DECISIONS), True),
                                     "opinion": (inputs.opinion, False)}),
    "joint_supplement": (_joint_supplement, {"department": (inputs.department, True),
                                             "missing": (inputs.materials, True),
                                             "opinion": (inputs.opinion, False)}),
    "close_joint": (_close_joint, {"deemed_consent": (inputs.boolean, True)}),
    "decide": (_decide, {**_RESULT, "precedent": (inputs.precedent, False),
                         "registered_capital": (inputs.wan_yuan, False)}),
    "deliver": (_deliver, {"method": (inputs.one_of(DELIVERY_METHODS), True),
                           "waybill": (_WAYBILL, False)}),
    "withdraw": (_withdraw, _REASON),
    "hand_off": (_hand_off, {"target": (inputs.center_code, True),
                             "consent": (inputs.boolean, True),
                             "waybill": (_WAYBILL, False)}),
    "take_over": (lambda case, at, data: _settle_handoff(case, taken_at=at), {}),
    "return_handoff": (lambda case, at, data: _settle_handoff(
        case, returned_at=at, return_reason=data["reason"]), _REASON),
    "evaluate": (_evaluate, {"level": (inputs.one_of(EVALUATION_LEVELS), True),
                             "comment": (inputs.text, False)}),
}


def _summary(action: str, data: dict) -> str:
    """The history's "why" when the action's data has no reason of its own."""
    if action == "joint_supplement":
        return f"{data['department']} 要求补正：" + "、".join(data["missing"])
    if "missing" in data:
        return "需补正：" + "、".join(data["missing"])
    if action == "end_special":
        return data["result"]
    if action == "open_joint":
        return "联合审批：" + "、".join(sorted(data["departments"]))
    if action == "joint_decide":
        return f"{data['department']}：{JOINT_DECISIONS[data['decision']]}"
    if action == "evaluate":
        return "评价：" + EVALUATION_LEVELS[data["level"]]
    if action == "hand_off":
        return f"移交 {data['target']} 办理" + (f"，原件邮寄 {data['waybill']}"
                                                if data.get("waybill") else "")
    return ""


