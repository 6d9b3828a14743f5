"""A case as it travels: the intake record and the action log, and the replay
that turns them into a ``CaseState`` — the same at the node that wrote them
and at the hub that applies them.

Two event types carry a case (record ``case:<number>``):

* ``case.received``: ``{number, matter: {...snapshot...}, applicant: {...}, agent?,
  materials: [...], green_channel, key_project?, channel?, query_hash?, at, role,
  user}`` — the case as received, with the catalog version of the matter it was
  accepted under, the agent acting for the applicant (``sync.case_agents``; absent:
  in person), for a key project's step the link (``sync.key_projects.link``), how
  it was applied for (``CHANNELS``; absent: at the window), and the salted hash of
  the applicant's query code (``sync.query_hash``; absent in cases received before it);
* ``case.action``: ``{number, n, action, role, user, at, data}`` — the n-th
  action of the state machine (``sync.case_machine``), with its data exactly as
  applied (a cited precedent with what was found of it, the deemed-consent rule
  in force), so replaying the log reproduces the state.
"""
from __future__ import annotations

import datetime

from sync import (case_agents, case_clock, case_machine, case_state, events, key_projects,
                  licences, query_hash)
from sync.case_numbers import parse_case_number
from sync.errors import ValidationError
from sync.identity_codes import RESIDENT_ID, check_credit_code, check_person_id

APPLICANT_KINDS = {"person": "自然人", "enterprise": "法人或其他组织"}
# How the application came in: at a window, or online (网上申请, taken in by a
# department system or the online hall through the node's API).
CHANNELS = {"window": "窗口", "online": "网上申请"}
# The matter fields a case keeps from the catalog version it was accepted under.
MATTER_SNAPSHOT = ("basic_code", "name", "department", "handling_type", "legal_limit_days",
                   "promised_limit_days", "levels", "version", "green_channel", "type")


def _fail(field: str, reason: str):
    raise ValidationError(f"{field}: {reason}", field=field)


def record_of(number: str) -> str:
    return f"case:{number}"


def iso(at: datetime.datetime) -> str:
    """Actions carry China local time with its offset: what the applicant was told."""
    return at.astimezone(case_clock.CHINA).isoformat(timespec="seconds")


def parse_at(text: str, field: str = "at") -> datetime.datetime:
    try:
        at = datetime.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        _fail(field, f"时间格式不正确：{text!r}")
    if at.tzinfo is None:
        _fail(field, "时间必须带时区")
    return at


def check_applicant(raw) -> dict:
    """A person (name, identity document, phone) or an enterprise (name, credit code, phone)."""
    if not isinstance(raw, dict):
        _fail("applicant", "必须填写申请人")
    kind = raw.get("kind")
    if kind not in APPLICANT_KINDS:
        _fail("applicant.kind", "申请人类型必须是自然人或法人")
    name = str(raw.get("name") or "").strip()
    if not name or len(name) > 100:
        _fail("applicant.name", "申请人名称必填，且不超过 100 字")
    phone = str(raw.get("phone") or "").strip()
    if not phone.isdigit() or not 7 <= len(phone) <= 12:
        _fail("applicant.phone", "联系电话应为 7–12 位数字")
    if kind != "person":
        id_code = check_credit_code(str(raw.get("id_code") or ""), field="applicant.id_code")
        return {"kind": kind, "name": name, "id_code": id_code, "phone": phone}
    # The resident ID unless another document is named; recorded only then, so a receipt
    # with a resident ID reads as it always has.
    id_type = raw.get("id_type") or RESIDENT_ID
    id_code = check_person_id(id_type, str(raw.get("id_code") or ""), field="applicant.id_code")
    return {"kind": kind, "name": name, "id_code": id_code, "phone": phone,
            **({"id_type": id_type} if id_type != RESIDENT_ID else {})}


def channel_of(received: dict) -> str:
    """The receipt's channel (receipts written before it was recorded: the window)."""
    return received.get("channel", "window")


def check_channel(value) -> str:
    if value not in CHANNELS:
        _fail("channel", f"申请渠道应为 {' / '.join(CHANNELS)}，实际为 {value!r}")
    return value


def snapshot(matter: dict) -> dict:
    return {key: matter[key] for key in MATTER_SNAPSHOT}


def replay(received: dict, actions: list[dict]) -> case_state.CaseState:
    """The state after the intake record and its actions, in order.

    :raises ValidationError / ConflictError: exactly as the state machine would.
    """
    *_before, case = replay_steps(received, actions)
    return case


def replay_steps(received: dict, actions: list[dict]) -> list[case_state.CaseState]:
    """The state after the intake record, then after each action."""
    case = case_machine.new_case(received["matter"]["handling_type"], role=received["role"],
                                 at=parse_at(received["at"]), number=received["number"],
                                 matter_code=received["matter"]["basic_code"])
    states = [case]
    for n, action in enumerate(actions, 1):
        case = replay_next(case, n, action)
        states.append(case)
    return states


def replay_next(case: case_state.CaseState, n: int, action: dict) -> case_state.CaseState:
    """The state after ``action``, the case's ``n``-th (one step of ``replay``)."""
    if action["n"] != n:
        _fail("n", f"操作序号应为 {n}，实际为 {action['n']}")
    return case_machine.apply(case, action["action"], role=action["role"],
                             at=parse_at(action["at"]), data=action["data"])


def signers(received: dict, actions: list[dict]) -> list[str]:
    """The center that wrote each step (the receipt, then each action): the one that
    held the case just before it, as ownership allows no other."""
    collecting = parse_case_number(received["number"]).center
    return [collecting] + [case_machine.holder(before, collecting)
                           for before in replay_steps(received, actions)[:-1]]


def _received(payload: dict) -> str | None:
    try:
        parse_case_number(payload["number"])
        agent = case_agents.check_agent(payload.get("agent"), check_applicant(payload["applicant"]))
        case_agents.check_power_of_attorney(agent, payload.get("materials"))
        if payload.get("key_project") is not None:
            key_projects.check_link(payload["key_project"])
        check_channel(channel_of(payload))
    except (KeyError, ValidationError) as exc:
        return f"case.received: {exc}"
    if "query_hash" in payload and not query_hash.is_query_hash(payload["query_hash"]):
        return "payload.query_hash must be a query code's stored hash (sync.query_hash)"
    return None if isinstance(payload.get("matter"), dict) else "payload.matter must be an object"


def _action(payload: dict) -> str | None:
    if not isinstance(payload.get("n"), int) or payload.get("action") not in case_machine.ACTIONS:
        return "payload.n must be an integer and payload.action a known action"
    return None


# 并联审批: a consulted center's opinion on a department's part of another center's case,
# on its own record (the case stays its owner's), which the owner records (``node.parallel``).
OPINIONS = {"consent": "同意", "object": "不同意", "supplement": "需补正材料"}


def opinion_record(number: str, department: str) -> str:
    return f"opinion:{number}:{department}"


def _opinion(payload: dict) -> str | None:
    try:
        parse_case_number(payload["number"])
    except (KeyError, ValidationError) as exc:
        return f"joint.opinion: {exc}"
    if not isinstance(payload.get("department"), str) or payload.get("decision") not in OPINIONS:
        return "payload.department must be a string and payload.decision one of " + \
            ", ".join(OPINIONS)
    if payload["decision"] == "supplement" and not payload.get("missing"):
        return "payload.missing must list the materials of a supplement"
    return None


def creator_of(record: str) -> str | None:
    """The only center that may create ``record`` (None: any): a case number carries the
    center that received it, and a licence number its issuer, so no other center can claim
    either first."""
    if record.startswith("licence:"):
        return licences.creator(record)
    if not record.startswith("case:"):
        return None
    try:
        return parse_case_number(record.removeprefix("case:"), field="record").center
    except ValidationError:
        return ""  # a malformed case number: nobody may create it


def _named_case(payload: dict) -> str | None:
    number = payload.get("number")
    return record_of(number) if isinstance(number, str) else None


def _named_opinion(payload: dict) -> str | None:
    number, department = payload.get("number"), payload.get("department")
    if isinstance(number, str) and isinstance(department, str):
        return opinion_record(number, department)
    return None


events.register("case.received", needs_record=True, check=_received, record_of=_named_case,
                help="A case received at a window: matter snapshot, applicant, materials.")
events.register("case.action", needs_record=True, check=_action, record_of=_named_case,
                help="One action of a case's state machine, with who, when and why.")
events.register("joint.opinion", needs_record=True, check=_opinion, record_of=_named_opinion,
                help="A consulted center's opinion in another center's joint approval (并联审批).")
