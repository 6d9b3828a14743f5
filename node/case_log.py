"""A case's log at a node: its row, the intake record and the actions, replayed.

The state is never edited: it is the replay of the intake record and the action log
through the shared state machine, the same replay the hub runs. ``record_action``
writes an action, the case's row and its event in the caller's transaction. Intake,
handoffs and joint approval (``node.cases``, ``node.handoffs``, ``node.parallel``)
all write through here.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

import orjson

from node import licences, outbox, reuse
from node.models import Case, CaseAction, database
from node.work_calendar import calendar_in_force
from sync import case_clock, case_machine, case_records, case_state
from sync.database import IN_CHUNK, get_by_key, insert_rows
from sync.errors import NotFound
from sync.signing import KeyPair


MATERIAL_COLUMNS = ("number", "name", "required", "provided", "reused_from", "source",
                    "trust_level")


@dataclass(frozen=True)
class Actor:
    """Who acts: the logged-in user's name and the role they act in."""

    user: str
    role: str


def now() -> datetime.datetime:
    return datetime.datetime.now(case_clock.CHINA).replace(microsecond=0)


def _logged(action: CaseAction) -> dict:
    return _log_entry(action.n, action.action, action.role, action.user, action.at,
                      action.data)


def _log_entry(n: int, action: str, role: str, user: str, at: str, data: str) -> dict:
    return {"n": n, "action": action, "role": role, "user": user, "at": at,
            "data": orjson.loads(data)}


def load(number: str) -> tuple[Case, case_state.CaseState, list[dict]]:
    """The case's row, its state (replayed) and its action log. Plain SQL: every page of a
    case and every relayed step reads it, and peewee building the two queries cost four
    times what running them did."""
    row = get_by_key(Case, number)
    if row is None:
        raise NotFound(f"没有办件 {number}")
    actions = [_log_entry(*action) for action in database.execute_sql(
        'SELECT n, action, role, "user", at, data FROM case_action WHERE number = ? '
        "ORDER BY n", (number,))]
    return row, case_records.replay(orjson.loads(row.received), actions), actions


def states_of(rows: list[Case]) -> dict[str, case_state.CaseState]:
    """Each row's case replayed, the logs read a few hundred cases a statement: a list of
    cases costs the same few statements however long it is."""
    logs: dict[str, list[dict]] = {row.number: [] for row in rows}
    numbers = list(logs)
    for start in range(0, len(numbers), IN_CHUNK):
        for action in (CaseAction.select()
                       .where(CaseAction.number.in_(numbers[start:start + IN_CHUNK]))
                       .order_by(CaseAction.number, CaseAction.n)):
            logs[action.number].append(_logged(action))
    return {row.number: case_records.replay(orjson.loads(row.received), logs[row.number])
            for row in rows}


def record_action(keys: KeyPair, center: str, number: str, case: case_state.CaseState,
                  action: str, actor: Actor, data: dict,
                  at: datetime.datetime | None = None) -> case_state.CaseState:
    """Apply one action to the case, store it and write its event; returns the new state."""
    at = at or now()
    after = case_machine.apply(case, action, role=actor.role, at=at, data=data)
    n = len(after.history) - 1  # history[0] is the receipt
    record = {"number": number, "n": n, "action": action, "role": actor.role,
              "user": actor.user, "at": case_records.iso(at), "data": data}
    CaseAction.create(number=number, n=n, action=action, role=actor.role, user=actor.user,
                      at=record["at"], data=orjson.dumps(data).decode())
    _update_row(number, after)
    outbox.emit(keys, center, "case.action", case_records.record_of(number), record)
    if licences.issues(action, data):  # 电子证照: in the decision's transaction, after its event
        licences.issue(keys, center, orjson.loads(Case.get(Case.number == number).received), at)
    return after


def store_materials(number: str, materials: list[dict]) -> None:
    """The case's checklist rows, as its intake record lists them (one statement)."""
    insert_rows(database.obj, "case_material", MATERIAL_COLUMNS,
                [(number, m["name"], m["required"], m["provided"], m["reused_from"],
                  m.get("source"), m.get("trust_level")) for m in materials])


def refresh(number: str) -> None:
    """Bring the case's row up to its log (after actions relayed from the other center)."""
    row, case, _actions = load(number)
    _update_row(number, case, row)


def _update_row(number: str, case: case_state.CaseState, row: Case | None = None) -> None:
    """The row's columns that follow the case's state (``row``: as read in this
    transaction, if the caller has it)."""
    if row is None:
        row = Case.get(Case.number == number)
    promised = case_clock.deadline(case, calendar_in_force(),
                                    orjson.loads(row.matter)["promised_limit_days"],
                                    today=now().date())
    Case.update(state=case.state, owner=case_machine.holder(case, row.collected_by),
                accepted_at=case_records.iso(case.accepted_at) if case.accepted_at else None,
                promised_date=promised.day.isoformat() if promised else None,
                promised_provisional=bool(promised and promised.provisional),
                decided_at=case_records.iso(case.decision.decided_at) if case.decision else None,
                outcome=case.decision.outcome if case.decision else None,
                document_number=case.decision.document_number if case.decision else None,
                ).where(Case.number == number).execute()
    if case.decision and reuse.completes(case.state, case.decision.outcome):
        reuse.keep(orjson.loads(row.received), case_records.iso(case.decision.decided_at))
