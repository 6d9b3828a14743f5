"""Parallel approval across levels at a node (市区两级并联审批).

The center handling a case may consult a department at another center in its
joint approval (``open_joint`` with ``centers``, e.g. a city bureau at the
city center 210100). The consulted center gets a read-only copy of the case
(``joint.request``: the case's signed events) and later actions as they
happen. It never writes the case: it signs its own opinion on its own record
(``joint.opinion``, record ``opinion:<number>:<department>``), the hub relays
it to the case's owner, and the owner records it in the same transaction as
``joint_decide`` (同意/不同意) or ``joint_supplement`` (补正, which pauses the
clock while the other departments go on), naming the opinion's event so that
the state machine, here and in the hub's replay, checks it came from there.
"""
from __future__ import annotations

import datetime

import orjson

from node import outbox
from node.case_log import Actor, load, record_action, refresh
from node.handoffs import append_relayed, collecting_center
from node.inbox import Context, applies
from node.models import Case, CaseAction, OutboxEvent, database
from node.queue import summary
from sync import case_clock
from sync import case_inputs as inputs
from sync import case_labels, case_state, relay
from sync.case_records import OPINIONS, opinion_record
from sync.errors import AuthError, Code, ConflictError, ValidationError
from sync.topology import load_topology

OPINION_EVENT = "joint.opinion"


def check_consulted(centers: dict, here: str) -> None:
    """The centers an ``open_joint`` consults must be other district or city centers."""
    if not isinstance(centers, dict):
        return  # absent, or malformed: the state machine names the field
    topology = load_topology()
    for department, code in centers.items():
        center = topology.by_code.get(code) if isinstance(code, str) else None
        field = f"centers.{department}"
        if center is None:
            raise ValidationError(f"{field}: 没有编码为 {code!r} 的中心", field=field)
        if code == here:
            raise ValidationError(f"{field}: 本中心的部门直接会签，不必指定会签中心", field=field)
        if center.level not in ("city", "district"):
            raise ValidationError(f"{field}: 只能请市级或区县中心的部门会签（{center.name}是街道中心）",
                                  field=field)


def asked_here(case: case_state.CaseState, center: str) -> list[case_state.SubApproval]:
    """The departments of the case's joint approval that give their opinion at ``center``."""
    return [sub for sub in case.joint if sub.center == center]


def awaiting(number: str, department: str) -> bool:
    """Whether this center sent an opinion the owner has not recorded yet."""
    sent = (OutboxEvent.select().where(OutboxEvent.record == opinion_record(number, department))
            .count())
    recorded = [orjson.loads(data) for (data,) in CaseAction.select(CaseAction.data)
                .where((CaseAction.number == number)
                       & CaseAction.action.in_(["joint_decide", "joint_supplement"])).tuples()]
    return sent > sum(d.get("department") == department and "opinion" in d for d in recorded)


def give_opinion(keys, center: str, number: str, user: str, data) -> dict:
    """Sign this center's opinion on a department's part of another center's case.

    ``data``: department, decision (consent | object | supplement), reason (required
    for object), missing (the materials, for supplement).
    """
    if not isinstance(data, dict):
        raise ValidationError("body: 必须是对象", field="body")
    with database.atomic():
        row, case, _actions = load(number)
        department = inputs.department(data.get("department"), "department")
        decision = data.get("decision")
        if decision not in OPINIONS:
            raise ValidationError(f"decision: 请选择会签意见（{'、'.join(OPINIONS.values())}）",
                                  field="decision")
        sub = next((s for s in asked_here(case, center) if s.department == department), None)
        if sub is None:
            raise ValidationError(f"department: 部门 {department} 不在本中心会签此办件",
                                  field="department")
        _check_can_give(case, sub, number)
        reason = data.get("reason") or ""
        opinion = {"number": number, "department": department, "decision": decision,
                   "reason": inputs.text(reason, "reason") if reason else "",
                   "user": user, "at": datetime.datetime.now(case_clock.CHINA)
                   .replace(microsecond=0).isoformat()}
        if decision == "object" and not reason:
            raise ValidationError("reason: 不同意必须说明理由", field="reason")
        if decision == "supplement":
            opinion["missing"] = list(inputs.materials(data.get("missing"), "missing"))
        outbox.emit(keys, center, OPINION_EVENT, opinion_record(number, department), opinion)
    return opinion


def _check_can_give(case, sub, number: str) -> None:
    if sub.decision is not None:
        raise ConflictError(f"部门 {sub.department} 的会签意见已记录（"
                            f"{case_labels.JOINT_DECISIONS[sub.decision]}）",
                            state=case.state, action="opinion")
    if sub.missing:
        raise ConflictError(f"部门 {sub.department} 要求的补正材料尚未收齐，收齐后再表态",
                            state=case.state, action="opinion")
    if awaiting(number, sub.department):
        raise ConflictError(f"部门 {sub.department} 的意见已发出，等待办理中心记录",
                            state=case.state, action="opinion")
    if case.state not in (case_labels.JOINT_REVIEW, case_labels.SUSPENDED_SUPPLEMENT):
        raise ConflictError(f"办件已不在联合审批中（{case_labels.STATES[case.state]}）",
                            state=case.state, action="opinion")


# -- the hub's messages -------------------------------------------------------------

@applies("joint.request", relay=True)
def _request(message: dict, ctx: Context) -> str:
    """A case whose joint approval consults a department here: its events, checked, kept."""
    payload = message["payload"]
    number = payload["number"]
    known = Case.get_or_none(Case.number == number) is not None  # e.g. handed here before
    added = append_relayed(payload, {collecting_center(number), payload["owner"]})
    if not known:
        Case.update(consulted=True).where(Case.number == number).execute()
    refresh(number)
    return f"joint approval of {number} consults this center: {added} new"


@applies(OPINION_EVENT, relay=True)
def _opinion(message: dict, ctx: Context) -> str:
    """A consulted center's signed opinion on a case this center holds: record it."""
    payload = message["payload"]
    event = payload["event"]
    problem = relay.fault(event, payload.get("keys", {}))
    if problem:
        raise AuthError(f"opinion: {problem}", code=Code.SIGNATURE_INVALID)
    opinion, origin = event["payload"], event["origin"]
    number = opinion["number"]
    if event["record"] != opinion_record(number, opinion["department"]):
        raise AuthError(f"opinion {origin}#{event['seq']} is not on its department's record",
                        code=Code.NOT_OWNER)
    row, case, actions = load(number)
    ref = {"center": origin, "seq": event["seq"], "hash": event["hash"]}
    if any(a["data"].get("opinion") == ref for a in actions):
        return f"opinion {origin}#{event['seq']} on {number}: already recorded"
    if row.owner != ctx.center:
        return f"opinion on {number} not recorded: the case is held by {row.owner}"
    action = "joint_supplement" if opinion["decision"] == "supplement" else "joint_decide"
    data = {"department": opinion["department"], "opinion": ref,
            **({"missing": opinion["missing"]} if action == "joint_supplement"
               else {"decision": opinion["decision"]}),
            **({"reason": opinion["reason"]} if opinion.get("reason") else {})}
    name = load_topology().name_of(origin)
    try:
        record_action(ctx.keys, ctx.center, number, case, action,
                      Actor(f"{str(opinion.get('user', ''))[:32]}（{name}）", "reviewer"), data)
    except (ConflictError, ValidationError) as exc:  # e.g. closed meanwhile: noted, not lost
        return f"opinion {origin}#{event['seq']} on {number} not recorded: {exc.detail}"
    return (f"opinion of {opinion['department']} at {origin} on {number}: "
            f"{OPINIONS[opinion['decision']]}")


# -- what the consulted center's pages show -------------------------------------------

def consulted_here(row: Case, case: case_state.CaseState, center: str) -> list[dict]:
    """The departments of another center's case that give their opinion at ``center``."""
    if row.owner == center:
        return []
    return [{"department": sub.department, "deadline": sub.deadline.isoformat(),
             "decision": sub.decision, "missing": list(sub.missing),
             "awaiting": sub.decision is None and awaiting(row.number, sub.department)}
            for sub in asked_here(case, center)]


def consultations(center: str, departments: list[str] | None = None) -> list[dict]:
    """Open cases of other centers waiting on an opinion of a department here (待会签); of
    ``departments`` only when given (the department asked is in the case's log, not a
    column: it is picked here, from a list as short as the open joint approvals)."""
    found = []
    for row in Case.select().where((Case.owner != center)
                                   & Case.state.in_([case_labels.JOINT_REVIEW,
                                                     case_labels.SUSPENDED_SUPPLEMENT])):
        _row, case, _actions = load(row.number)
        for sub in consulted_here(row, case, center):
            if sub["decision"] is None and (departments is None
                                            or sub["department"] in departments):
                found.append({**summary(row), **sub, "holder": row.owner,
                              "holder_name": load_topology().name_of(row.owner)})
    return sorted(found, key=lambda item: item["deadline"])
