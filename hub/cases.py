"""The hub's copy of cases: ``case.received`` and ``case.action`` events, replayed
through the same state machine as the node's, so the hub refuses (quarantines)
an action the node should never have taken."""
from __future__ import annotations

import orjson

from hub import rollups
from hub.apply import handles
from hub.models import HubCase, HubCaseAction
from sync import case_records, case_states


@handles("case.received")
def receive(events: list[dict]) -> None:
    for event in events:
        received = event["payload"]
        case = case_records.replay(received, [])
        rollups.add(rollups.contributions(event["origin"], received["matter"],
                                          case_states.RECEIVE, case, case.received_at))
        HubCase.create(number=received["number"], center=event["origin"],
                       matter_code=received["matter"]["basic_code"],
                       matter_version=received["matter"]["version"],
                       matter=orjson.dumps(received["matter"]).decode(),
                       applicant_kind=received["applicant"]["kind"],
                       applicant_id=received["applicant"]["id_code"],
                       green_channel=bool(received["green_channel"]), state=case.state,
                       received_at=received["at"], received=orjson.dumps(received).decode())


@handles("case.action")
def act(events: list[dict]) -> None:
    for event in events:
        record = event["payload"]
        row = HubCase.get(HubCase.number == record["number"])
        log = [{"n": a.n, "action": a.action, "role": a.role, "user": a.user, "at": a.at,
                "data": orjson.loads(a.data)}
               for a in HubCaseAction.select().where(HubCaseAction.number == row.number)
               .order_by(HubCaseAction.n)]
        case = case_records.replay(orjson.loads(row.received), log + [record])
        rollups.add(rollups.contributions(row.center, orjson.loads(row.matter),
                                          record["action"], case, case.history[-1].at))
        HubCaseAction.create(number=row.number, n=record["n"], action=record["action"],
                             role=record["role"], user=record["user"], at=record["at"],
                             data=orjson.dumps(record["data"]).decode())
        HubCase.update(
            state=case.state, actions=record["n"],
            accepted_at=case_records.iso(case.accepted_at) if case.accepted_at else None,
            decided_at=case_records.iso(case.decision.decided_at) if case.decision else None,
            outcome=case.decision.outcome if case.decision else None,
            document_number=case.decision.document_number if case.decision else None,
        ).where(HubCase.number == row.number).execute()
