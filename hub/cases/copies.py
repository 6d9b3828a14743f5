"""The hub's copy of cases: ``case.received`` and ``case.action`` events, replayed
through the same state machine as the node's, so the hub refuses (quarantines)
an action the node should never have taken. A handed-off case is routed and
relayed by ``hub.cases.handoffs`` as its actions are applied; a street's case reaches
its district, when the district supervises, through ``hub.cases.supervision``."""
from __future__ import annotations

import orjson

from hub.cases import handoffs, supervision
from hub.ledger.registry import handles
from hub.models import HubCase, HubCaseAction
from hub.stats import rollups
from sync import case_clock, case_machine, case_records, case_state
from sync.calendar import load_calendar


@handles("case.received")
def receive(events: list[dict]) -> None:
    for event in events:
        received = event["payload"]
        case = case_records.replay(received, [])
        rollups.add(rollups.contributions(event["origin"], received["matter"],
                                          case_machine.RECEIVE, case, case.received_at,
                                          received["applicant"]["kind"],
                                          case_records.channel_of(received)))
        rollups.add(rollups.claim_project(event["origin"], received))
        HubCase.create(number=received["number"], center=event["origin"],
                       matter_code=received["matter"]["basic_code"],
                       matter_version=received["matter"]["version"],
                       matter=orjson.dumps(received["matter"]).decode(),
                       applicant_kind=received["applicant"]["kind"],
                       applicant_id=received["applicant"]["id_code"],
                       green_channel=bool(received["green_channel"]), state=case.state,
                       department=received["matter"]["department"],
                       received_at=received["at"], received=orjson.dumps(received).decode(),
                       key_project=rollups.project_of(received))
        handoffs.remember(received["number"], 0, event)
        supervision.relay(received["number"], event["origin"], event)


@handles("case.action")
def act(events: list[dict]) -> None:
    for event in events:
        record = event["payload"]
        handoffs.check_owner(record["number"], event["origin"])
        row = HubCase.get(HubCase.number == record["number"])
        case = case_records.replay(orjson.loads(row.received), log_of(row.number) + [record])
        matter = orjson.loads(row.matter)
        rollups.add(rollups.contributions(row.center, matter, record["action"], case,
                                          case.history[-1].at))
        HubCaseAction.create(number=row.number, n=record["n"], action=record["action"],
                             role=record["role"], user=record["user"], at=record["at"],
                             data=orjson.dumps(record["data"]).decode())
        HubCase.update(
            state=case.state, actions=record["n"],
            accepted_at=case_records.iso(case.accepted_at) if case.accepted_at else None,
            decided_at=case_records.iso(case.decision.decided_at) if case.decision else None,
            outcome=case.decision.outcome if case.decision else None,
            document_number=case.decision.document_number if case.decision else None,
            due_date=_due_date(case, matter),
        ).where(HubCase.number == row.number).execute()
        handoffs.remember(row.number, record["n"], event)
        supervision.relay(row.number, row.center, event)
        handoffs.after_action(row, event, case)


def log_of(number: str) -> list[dict]:
    """The case's actions applied so far, as ``case_records.replay`` takes them."""
    return [{"n": a.n, "action": a.action, "role": a.role, "user": a.user, "at": a.at,
             "data": orjson.loads(a.data)}
            for a in HubCaseAction.select().where(HubCaseAction.number == number)
            .order_by(HubCaseAction.n)]


def state_of(row: HubCase) -> case_state.CaseState:
    """Where the hub's copy of the case stands now."""
    return case_records.replay(orjson.loads(row.received), log_of(row.number))


def _due_date(case: case_state.CaseState, matter: dict) -> str | None:
    """The promised day as of this action (a running pause counts through today)."""
    due = case_clock.deadline(case, load_calendar(), matter["promised_limit_days"],
                               today=case_clock.china_date(case.history[-1].at))
    return due.day.isoformat() if due else None
