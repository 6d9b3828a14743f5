"""The hub's copy of cases: ``case.received`` and ``case.action`` events, replayed
through the same state machine as the node's, so the hub refuses (quarantines)
an action the node should never have taken. A run of them is applied together
(``hub.cases.batch``): a handed-off case is routed and relayed by ``hub.cases.handoffs``
as its actions are applied; a street's case reaches its district, when the district
supervises, through ``hub.cases.supervision``."""
from __future__ import annotations

import orjson

from hub.cases.batch import ACTION, RECEIVED, CaseBatch
from hub.ledger.registry import handles
from hub.models import HubCase, HubCaseAction
from sync import case_records, case_state


@handles(RECEIVED, ACTION)
def apply_cases(events: list[dict]) -> None:
    """A run of case events, in order: the touched cases read once, written in bulk."""
    batch = CaseBatch(events)
    for event in events:
        if event["type"] == RECEIVED:
            batch.receive(event)
        else:
            batch.act(event)
    batch.flush()



def log_of(number: str) -> list[dict]:
    """The case's actions applied so far, as ``case_records.replay`` takes them."""
    return [{"n": a.n, "action": a.action, "role": a.role, "user": a.user, "at": a.at,
             "data": orjson.loads(a.data)}
            for a in HubCaseAction.select().where(HubCaseAction.number == number)
            .order_by(HubCaseAction.n)]


def state_of(row: HubCase) -> case_state.CaseState:
    """Where the hub's copy of the case stands now."""
    return case_records.replay(orjson.loads(row.received), log_of(row.number))
