"""A push's cases worked out before the write lock, while the push is checked.

A push's steps of a case received in it, or of a case the hub holds, can be replayed by
the state machine, with their rollup contributions and the case's row or its columns,
outside the one writer's turn (``hub.ledger.ingest.prepare``): a stored case is read and
replayed here. ``CaseBatch`` takes a step worked out here only when it was worked from the
very state the batch holds (the same object: states are frozen) on the same calendar, and
a stored case's state only while its row is still the one it was replayed from; anything
else (an earlier event held or refused, another push's step on the case, a calendar
changed meanwhile) it works out again inside, as it would have without this.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hub.calendar.in_force import calendar_in_force
from hub.cases.batch import (ACTION, AHEAD_KEY, RECEIVED, LoadedCase, action_columns, case_row,
                             stored_cases)
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
    stored: LoadedCase | None = None  # the stored case ``before`` is, on its first step here


@dataclass
class _Case:
    """Where a case stands as the push's events are worked out, one after another."""

    state: case_state.CaseState
    matter: dict
    collecting: str
    n: int                            # its last action's
    stored: LoadedCase | None = None  # read from the hub, until its first step takes it
    step: Step | None = None          # the last worked out


@works_ahead(RECEIVED, ACTION)
def work_ahead(events: list[dict]) -> None:
    """Leave on each event of a case received in these events, or stored at the hub, its
    ``Step``."""
    received, acted = set(), set()
    for event in events:
        number = event["payload"].get("number")
        if isinstance(number, str):  # any other the batch quarantines
            (received if event["type"] == RECEIVED else acted).add(number)
    cases: dict[str, _Case] = {
        number: _Case(case.state, case.matter, case.row["center"], case.row["actions"], case)
        for number, case in stored_cases(sorted(acted - received)).items()}
    if not received and not cases:
        return  # nothing to work out: spare the calendar's read
    calendar = calendar_in_force()
    for event in events:
        payload = event["payload"]
        number = payload.get("number")
        if not isinstance(number, str):
            continue
        try:
            if event["type"] == RECEIVED:
                state = case_records.replay(payload, [])
                step = Step(None, state, rollups.contributions(
                    event["origin"], payload["matter"], case_machine.RECEIVE, state,
                    state.received_at, payload["applicant"]["kind"],
                    case_records.channel_of(payload), calendar), calendar,
                    row=case_row(payload, event["origin"], state))
                cases[number] = _Case(state, payload["matter"], event["origin"], 0)
            elif number in cases:
                case = cases[number]
                state = case_records.replay_next(case.state, case.n + 1, payload)
                step = Step(case.state, state, rollups.contributions(
                    case.collecting, case.matter, payload["action"], state,
                    state.history[-1].at, calendar=calendar), calendar, stored=case.stored)
                case.state, case.n, case.stored = state, case.n + 1, None
            else:
                continue
        except Exception:  # noqa: BLE001 — the batch meets it again inside, and says so
            cases.pop(number, None)
            continue
        event[AHEAD_KEY] = cases[number].step = step
    for case in cases.values():
        if case.step is not None and case.step.before is not None:  # not a receipt alone
            case.step.columns = action_columns(case.state, case.matter, calendar)
