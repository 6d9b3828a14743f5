"""A push's new cases worked out before the write lock, while the push is checked.

A case received in a push has no state at the hub before its receipt, so its receipt and
the actions after it in the same push can be replayed by the state machine, with their
rollup contributions, the case's row and its columns, outside the one writer's turn
(``hub.ledger.ingest.prepare``). ``CaseBatch`` takes a step worked out here only when it
was worked from the very state the batch holds (the same object: states are frozen) on
the same calendar; anything else (an earlier event held or refused, a calendar changed
meanwhile) it works out again inside, as it would have without this.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hub.calendar.in_force import calendar_in_force
from hub.cases.batch import ACTION, AHEAD_KEY, RECEIVED, action_columns, case_row
from hub.ledger.registry import works_ahead
from hub.stats import rollups
from sync import case_machine, case_records, case_state
from sync.calendar import WorkCalendar


@dataclass
class Step:
    """One event's effect on its case, worked out from ``before`` (None: the receipt)."""

    before: case_state.CaseState | None
    after: case_state.CaseState
    rollup: Counter
    calendar: WorkCalendar
    row: dict | None = None      # the case's row, on its receipt
    columns: dict | None = None  # the row's columns, on the push's last step of the case


@works_ahead(RECEIVED, ACTION)
def work_ahead(events: list[dict]) -> None:
    """Leave on each event of a case received in these events its ``Step``."""
    if not any(event["type"] == RECEIVED for event in events):
        return  # nothing to work out: spare the calendar's read (a round of actions only)
    calendar = calendar_in_force()
    last: dict[str, tuple[Step, dict, str, int]] = {}  # number -> (step, matter, collecting, n)
    for event in events:
        payload = event["payload"]
        number = payload.get("number")
        try:
            if event["type"] == RECEIVED:
                state = case_records.replay(payload, [])
                step = Step(None, state, rollups.contributions(
                    event["origin"], payload["matter"], case_machine.RECEIVE, state,
                    state.received_at, payload["applicant"]["kind"],
                    case_records.channel_of(payload), calendar), calendar,
                    row=case_row(payload, event["origin"], state))
                last[number] = (step, payload["matter"], event["origin"], 0)
            elif number in last:
                before, matter, collecting, n = last[number]
                state = case_records.replay_next(before.after, n + 1, payload)
                step = Step(before.after, state, rollups.contributions(
                    collecting, matter, payload["action"], state, state.history[-1].at,
                    calendar=calendar), calendar)
                last[number] = (step, matter, collecting, n + 1)
            else:
                continue
        except Exception:  # noqa: BLE001 — the batch meets it again inside, and says so
            last.pop(number, None)
            continue
        event[AHEAD_KEY] = step
    for step, matter, _collecting, n in last.values():
        if n:  # a receipt alone leaves its row as ``receive`` made it
            step.columns = action_columns(step.after, matter, calendar)
