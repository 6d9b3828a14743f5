"""Cases at a node: intake at the window, then each action of the state machine.

Every change writes the case's rows and its event in one transaction
(``node.case_log``), so the hub's copy of each case is complete.
"""
from __future__ import annotations

import dataclasses
import datetime
import secrets

import orjson

from node import (cards, case_log, evaluation, handoffs, licences, outbox, parallel,
                  precedents, projects, reuse, sms, store)
from node.case_log import Actor, load, record_action
from node.models import Case, CaseMaterial, CatalogMatter, database
from sync import case_agents, case_labels, case_machine, case_records, case_results, query_hash
from sync.case_numbers import case_number, query_code
from sync.catalog_scope import acceptance
from sync.errors import Code, ValidationError
from sync.signing import KeyPair, write_atomic
from sync.topology import load_topology
from web import matter_lookup

INTAKE_OUTCOMES = ("accept", "not_accept", "request_supplement", "complete_immediate")


def _matter(code: str) -> tuple[dict, str]:
    row = matter_lookup.find(CatalogMatter, code)
    if row is None:
        raise ValidationError(f"matter_code: 事项 {code!r} 不在本中心的事项目录中",
                              field="matter_code", code=Code.MATTER_UNKNOWN)
    return orjson.loads(row.data), row.status


def checklist(matter: dict, applicant: dict, provided: list[str],
              declined: list[str] = (), agent: dict | None = None) -> list[dict]:
    """Each material of the matter: provided now, on file from an earlier case or the
    licence register (``node.reuse``: reusable kinds only, still trusted, unless the clerk
    ``declined`` it: then with its ``source`` and ``trust_level``), or missing; first, when
    an ``agent`` acts, the power of attorney."""
    attorney = case_agents.power_of_attorney(agent, provided)
    provided = [name for name in provided if name != case_agents.POWER_OF_ATTORNEY]
    names = {m["name"] for m in matter["materials"]}
    for name in [*provided, *declined]:
        if name not in names:
            raise ValidationError(f"materials: {name!r} 不是该事项的申请材料", field="materials")
    kept = reuse.on_file(matter, applicant, case_log.now().date(), declined)
    return attorney + [_checked(m["name"], m["required"], m["name"] in provided,
                                kept.get(m["name"]))
                       for m in matter["materials"]]


def _checked(name: str, required: bool, provided: bool, kept) -> dict:
    """One line of the checklist: handed in now, else on file (``kept``), else missing."""
    line = {"name": name, "required": required, "provided": provided or kept is not None,
            "reused_from": ""}
    if not provided and kept is not None:
        line.update(reused_from=kept.ref, source=kept.source, trust_level=kept.trust_level)
    return line


def _next_number(center: str, day: datetime.date) -> str:
    prefix = case_number(center, day, 1)[:-5]
    today = Case.select().where(Case.number.startswith(prefix)).count()
    return case_number(center, day, today + 1)


def intake(keys: KeyPair, center: str, actor: Actor, form: dict, *,
           receipt_is_acceptance: bool = True) -> dict:
    """Receive an application at the window and decide its intake outcome at once.

    ``form``: matter_code, applicant {kind, name, id_code, phone}, agent (委托代理人:
    {name, id_type, id_code, phone?} or absent), materials (names handed in, with the
    power of attorney 授权委托书 when an agent acts), outcome (accept | not_accept | request_supplement |
    complete_immediate), reason, and for an immediate matter outcome/document_number;
    key_project ``{year, code, step}`` for a key project's step of this matter, which
    puts the case in the green channel. For a matter another center decides,
    ``accept`` also hands the case to it (``consent`` true, optional ``waybill`` of
    the originals); ``receipt_is_acceptance`` (收件即受理) says whether the
    clock starts here, before the handoff, or at the handling center.
    """
    matter, status = _matter(str(form.get("matter_code", "")))
    allowed = acceptance(matter, status, center, load_topology())
    if not allowed.allowed:
        raise ValidationError(f"matter_code: {allowed.reason}", field="matter_code",
                              code=Code.MATTER_NOT_ACCEPTABLE)
    applicant = case_records.check_applicant(form.get("applicant"))
    agent = case_agents.check_agent(form.get("agent"), applicant)
    outcome = form.get("outcome")
    if outcome not in INTAKE_OUTCOMES:
        raise ValidationError("outcome: 请选择受理结果", field="outcome")
    handoff = _handoff_at_intake(allowed.decided_by, center, outcome, form, receipt_is_acceptance)
    licence = licences.terms(matter, form.get("licence_consent"))  # 电子证照: what approval issues
    link = projects.link_for(form.get("key_project"), matter["basic_code"])
    materials = checklist(matter, applicant, list(form.get("materials") or []),
                          list(form.get("declined") or []), agent)
    # Whatever the outcome: without the power of attorney nobody may apply for another.
    case_agents.check_power_of_attorney(agent, materials)
    missing = [m["name"] for m in materials if m["required"] and not m["provided"]]
    if outcome in ("accept", "complete_immediate") and missing:
        raise ValidationError("materials: 必备材料不齐，应一次性告知补正：" + "、".join(missing),
                              field="materials")
    data = {"reason": form.get("reason") or ""}
    if outcome == "request_supplement":
        data["missing"] = missing or list(form.get("missing") or [])
    if outcome == "complete_immediate":
        data.update(outcome=form.get("decision", "approved"),
                    document_number=form.get("document_number", ""))
    channel = case_records.check_channel(form.get("channel") or "window")
    at = case_log.now()
    with database.atomic():
        number = _next_number(center, at.date())
        # A key project's case goes through the green channel (重点项目绿色通道) by being one.
        green = link is not None or (bool(form.get("green_channel")) and matter["green_channel"])
        received = {"number": number, "matter": case_records.snapshot(matter),
                    "applicant": applicant, **({"agent": agent} if agent else {}),
                    "materials": materials, "green_channel": green,
                    "channel": channel,
                    # The hub and a handling center check the applicant's code against this.
                    "query_hash": query_hash.hash_code(
                        query_code(number, query_secret(store.bound_dir()))),
                    **({"key_project": link} if link else {}),
                    **({"licence": licence} if licence else {}),
                    "at": case_records.iso(at), "role": actor.role, "user": actor.user}
        case = case_records.replay(received, [])
        _store_received(keys, center, received, case)
        projects.record_link(number, link)
        if handoff is None or receipt_is_acceptance:
            case = record_action(keys, center, number, case, outcome, actor, data, at)
            sms.announce(keys, center, number, outcome, data)  # the applicant hears of it
            evaluation.invite_on_completion(keys, center, number, outcome)
        if handoff is not None:
            record_action(keys, center, number, case, "hand_off", actor, handoff, at)
    return view(number)


def _handoff_at_intake(decided_by: str, center: str, outcome: str, form: dict,
                       receipt_is_acceptance: bool) -> dict | None:
    """The hand_off data when this window only collects the matter (代收), else None."""
    if decided_by == center:
        return None
    if outcome == "complete_immediate":
        raise ValidationError(f"outcome: 该事项由 {decided_by} 办理，本窗口只收件移交，不能即办办结",
                              field="outcome")
    if outcome != "accept":
        return None  # 补正 and 不予受理 are the collecting window's own formal check
    if form.get("consent") is not True:
        raise ValidationError("consent: 移交办理须经申请人同意共享申请材料", field="consent")
    return {"target": decided_by, "consent": True,
            **({"waybill": form["waybill"]} if form.get("waybill") else {}),
            "reason": "收件即受理，移交办理中心" if receipt_is_acceptance else "收件后移交办理中心"}


def _store_received(keys: KeyPair, center: str, received: dict, case) -> None:
    applicant = received["applicant"]
    Case.create(number=received["number"], matter_code=received["matter"]["basic_code"],
                matter=orjson.dumps(received["matter"]).decode(),
                applicant_kind=applicant["kind"], applicant_name=applicant["name"],
                applicant_id=applicant["id_code"], applicant_phone=applicant["phone"],
                green_channel=received["green_channel"], state=case.state,
                received_at=received["at"], received=orjson.dumps(received).decode(),
                collected_by=center, owner=center)
    case_log.store_materials(received["number"], received["materials"])
    outbox.emit(keys, center, "case.received", case_records.record_of(received["number"]),
                received)


def act(keys: KeyPair, center: str, number: str, action: str, actor: Actor,
        data: dict | None = None, *, deemed_consent: bool = False) -> dict:
    """One action of the state machine on a case of this center, with its event.

    ``deemed_consent`` is the ``joint_deemed_consent`` setting: the rule
    ``close_joint`` applies to departments silent past their deadline.
    """
    if action == "evaluate":
        raise ValidationError("action: 好差评由申请人本人评价（短信评价链接或窗口评价器），"
                              "工作人员不能代为选择", field="action")
    with database.atomic():
        row, case, _actions = load(number)
        handoffs.check_can_act(row, action, center)
        data = _as_applied(number, action, data or {}, deemed_consent)
        if action == "open_joint" and isinstance(data, dict):
            parallel.check_consulted(data.get("centers"), center)
        case_results.check_new_action(case, action, data)
        record_action(keys, center, number, case, action, actor, data)
        sms.announce(keys, center, number, action, data)  # the applicant hears of it
        evaluation.invite_on_completion(keys, center, number, action)
    return view(number)


def _as_applied(number: str, action: str, data, deemed_consent: bool):
    """The action's data as the state machine takes it and the event records it."""
    if not isinstance(data, dict):
        return data  # the state machine says what is wrong with it
    if action == "close_joint":
        # The rule is the center's, set by its admin; the event keeps the value in force.
        if "deemed_consent" in data:
            raise ValidationError("deemed_consent: 逾期未表态的部门是否视为同意由本中心的设置 "
                                  "joint_deemed_consent 决定，办理时不能指定",
                                  field="deemed_consent")
        return {**data, "deemed_consent": deemed_consent}
    if action == "decide" and data.get("precedent") not in (None, "", {}):
        return {**data, "precedent": precedents.resolve(number, data["precedent"])}
    return data


def query_secret(data_dir) -> bytes:
    """This center's secret for applicants' query codes, made once."""
    path = store.key_path(data_dir).with_name("query.secret")
    if not path.exists():
        write_atomic(path, secrets.token_bytes(32), mode=0o600)
    return path.read_bytes()


def view(number: str) -> dict:
    """The case as pages and the API show it."""
    row, case, actions = load(number)
    received = orjson.loads(row.received)
    return {"number": number, "state": case.state, "state_label": case_labels.STATES[case.state],
            "matter": orjson.loads(row.matter),
            "applicant": {"kind": row.applicant_kind, "name": row.applicant_name,
                          "id_code": row.applicant_id, "phone": row.applicant_phone,
                          **({"id_type": received["applicant"]["id_type"]}
                             if "id_type" in received["applicant"] else {})},
            # 委托代理人 (None: the applicant came in person, and every case before agents)
            "agent": received.get("agent"),
            "green_channel": row.green_channel,
            "channel": (channel := case_records.channel_of(received)),
            "channel_label": case_records.CHANNELS[channel],
            "key_project": orjson.loads(row.received).get("key_project"),
            "precedent": (dataclasses.asdict(case.decision.precedent)
                          if case.decision and case.decision.precedent else None),
            "received_at": row.received_at, "collected_by": row.collected_by,
            "holder": row.owner, "handoffs": handoffs.described(case, row),
            "orders": cards.orders_of(number),  # 督办 on its yellow cards, from the hub
            "accepted_at": row.accepted_at, "promised_date": row.promised_date,
            "promised_provisional": row.promised_provisional, "outcome": row.outcome,
            "document_number": row.document_number,
            "registered_capital": case.decision.registered_capital if case.decision else None,
            "evaluation": None if case.evaluation is None else {
                "level": case.evaluation.level,
                "label": case_labels.EVALUATION_LEVELS[case.evaluation.level],
                "comment": case.evaluation.comment,
                "at": case_records.iso(case.evaluation.evaluated_at)},
            "missing": list(case.missing),
            # Another open application of the same matter by the same person (a warning).
            "same_matter_open": reuse.open_cases(row.matter_code, received["applicant"],
                                                 besides=number),
            "materials": [{"name": m.name, "required": m.required, "provided": m.provided,
                           "reused_from": m.reused_from,
                           # 电子证照库 ("licence") or this center's copy ("case"), by trust level
                           "source": m.source or ("case" if m.reused_from else None),
                           "trust_level": m.trust_level}
                          for m in CaseMaterial.select().where(CaseMaterial.number == number)],
            "history": [{"action": s.action, "label": case_machine.ACTIONS[s.action].label,
                         "at": case_records.iso(s.at), "role": s.role, "reason": s.reason,
                         "user": (actions[i - 1]["user"] if i else
                                  orjson.loads(row.received)["user"]),
                         # a user name is its center's: say whose when it is not ours
                         "center": center, "center_name": load_topology().name_of(center)}
                        for i, (s, center) in enumerate(zip(
                            case.history, case_records.signers(orjson.loads(row.received),
                                                               actions)))]}

