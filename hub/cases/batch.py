"""A run of case events applied together: the hub's hot path for real cases.

``hub.cases.copies`` hands each run of ``case.received`` and ``case.action`` events to
a ``CaseBatch``. The cases the run touches are read once (rows, action logs, owners),
each event is replayed in memory by the shared state machine on the state left by
the one before, and what they change is kept here and written at ``flush``: case
rows, actions, case steps, rollups (summed per center, day and matter),
ownership moves and relayed messages, one statement per table.

A ``hand_off`` is routed here too: the handoff's row, the ownership move and the
offer are written with the run, the offer carrying the case's signed events as of the
``hand_off``, read back at ``flush``. An action on a handed-off case is relayed to
the other center and settles its handoff in the same way. Only an ``open_joint``
(consulting other centers) goes through ``hub.cases.handoffs`` one by one, after a
flush, since it reads what the events before it wrote. Any failure
raises: the run rolls back and ``hub.ledger.apply`` retries it in halves down to the
bad event, so that one alone is quarantined.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import orjson
from peewee import IntegrityError

from hub.calendar.in_force import calendar_in_force
from hub.cases import handoffs
from hub.cases.supervision import DistrictRelay
from hub.ledger.ownership import owner_of, owners_of
from hub.ledger.signed_events import KeyRing, signed_events
from hub.ledger.stream import send_many
from hub.models import CaseHandoff, HubCase, database
from hub.stats import rollups
from sync import case_clock, case_machine, case_records, case_state
from sync.calendar import WorkCalendar
from sync.database import insert_rows, select_in
from sync.envelope import now_ms

RECEIVED, ACTION = "case.received", "case.action"
# Where a case event carries its step worked out before the lock (``hub.cases.worked_ahead``;
# ``sync.relay`` sends the signed fields only).
AHEAD_KEY = "worked_ahead"
CASE_COLUMNS = tuple(HubCase._meta.sorted_field_names)
# What an action changes in the case's row.
ACTION_COLUMNS = ("state", "actions", "accepted_at", "decided_at", "outcome",
                  "document_number", "due_date")
HANDOFF_COLUMNS = tuple(CaseHandoff._meta.sorted_field_names)


@dataclass
class LoadedCase:
    """One case as the run has it: its row (columns of ``HubCase``) and its state."""

    row: dict
    matter: dict
    state: case_state.CaseState
    stored: bool          # the row is in the table (else inserted at the next flush)
    changed: bool = False


def stored_cases(numbers: list[str], ahead: dict[str, LoadedCase] | None = None,
                 ) -> dict[str, LoadedCase]:
    """The stored cases of ``numbers``, each replayed from its receipt and actions; a case
    of ``ahead`` whose row is still the one it was replayed from keeps that state.

    Safe outside a transaction too (``hub.cases.worked_ahead``): the rows are read first
    and only the actions they count are replayed, so a case's state is its row's even when
    an action commits between the two reads.
    """
    ahead = ahead or {}
    db = database.obj
    rows = [dict(zip(CASE_COLUMNS, values)) for values in select_in(
        db, f"SELECT {', '.join(CASE_COLUMNS)} FROM hub_case WHERE number IN ({{marks}})",
        numbers)]
    kept = {row["number"] for row in rows
            if row["number"] in ahead and ahead[row["number"]].row == row}
    logs: dict[str, list[dict]] = {row["number"]: [] for row in rows
                                   if row["number"] not in kept}
    for number, n, action, role, user, at, data in select_in(
            db, 'SELECT number, n, action, role, "user", at, data FROM hub_case_action '
                "WHERE number IN ({marks}) ORDER BY number, n", sorted(logs)):
        logs[number].append({"n": n, "action": action, "role": role, "user": user,
                             "at": at, "data": orjson.loads(data)})
    cases = {}
    for row in rows:
        number = row["number"]
        if number in kept:
            cases[number] = LoadedCase(row, ahead[number].matter, ahead[number].state,
                                       stored=True)
            continue
        log = [action for action in logs[number] if action["n"] <= row["actions"]]
        cases[number] = LoadedCase(row, orjson.loads(row["matter"]),
                                   case_records.replay(orjson.loads(row["received"]), log),
                                   stored=True)
    return cases


class CaseBatch:
    def __init__(self, events: list[dict]) -> None:
        self.cases: dict[str, LoadedCase] = {}
        self.owners: dict[str, str] = {}
        self.projects: dict[str, list[tuple]] = {}
        self.handoffs: dict[str, CaseHandoff] = {}  # each case's current handoff
        self.keys = KeyRing()
        self.deliverable: dict[tuple[str, str], str] = {}  # (target, collecting) -> problem
        self.calendar = calendar_in_force()  # once per run: it is read for every action
        self.districts = DistrictRelay(self.keys)
        self._reset_writes()
        self._load(events)
        self.worked_columns: dict[str, tuple] = {}  # number -> (state, its row's columns)

    def _reset_writes(self) -> None:
        self.rollup: Counter = Counter()
        self.actions: list[tuple] = []
        self.steps: list[tuple] = []
        self.transfers: dict[str, tuple[str, int]] = {}
        self.messages: list[tuple[str, str, dict]] = []
        self.settled: dict[str, CaseHandoff] = {}
        self.opened: list[CaseHandoff] = []          # handoffs routed since the last flush
        self.offers: list[tuple[dict, int]] = []     # (handoff.offer payload, through step n)

    def _load(self, events: list[dict]) -> None:
        """The stored cases the run acts on, their logs replayed (but those worked out ahead
        from the rows they still have), and every owner (plain SQL: this runs in the one
        writer's turn)."""
        received = {e["payload"].get("number") for e in events if e["type"] == RECEIVED}
        numbers = {e["payload"].get("number") for e in events} - {None}
        ahead: dict[str, LoadedCase] = {}
        for event in events:
            step = event.get(AHEAD_KEY)
            if step is not None and step.stored is not None:
                ahead.setdefault(step.stored.row["number"], step.stored)
        self.cases = stored_cases(sorted(numbers - received), ahead)
        db = database.obj
        handed = [number for number, case in self.cases.items() if case.state.handoffs]
        for values in select_in(db, f"SELECT {', '.join(HANDOFF_COLUMNS)} FROM case_handoff "
                                    "WHERE number IN ({marks}) ORDER BY k", handed):
            handoff = CaseHandoff(**dict(zip(HANDOFF_COLUMNS, values)))
            self.handoffs[handoff.number] = handoff  # the last one wins
        self.owners = owners_of({case_records.record_of(n) for n in numbers})
        projects = {rollups.project_of(e["payload"]) for e in events if e["type"] == RECEIVED}
        self.projects = rollups.linked_cases(projects - {None})

    def receive(self, event: dict) -> None:
        """A ``case.received``: as ``HubCase`` row, rollups, case step and relay."""
        received, origin = event["payload"], event["origin"]
        number = received["number"]
        step = self._ahead(number, event, None)
        if step is not None:
            state, row = step.after, dict(step.row)  # a copy: a retried run starts afresh
        else:
            state = case_records.replay(received, [])
            rollups.contributions(origin, received["matter"], case_machine.RECEIVE, state,
                                  state.received_at, received["applicant"]["kind"],
                                  case_records.channel_of(received), self.calendar,
                                  into=self.rollup)
            row = case_row(received, origin, state)
        self._claim_project(origin, received)
        if number in self.cases:
            raise IntegrityError(f"case {number} is already at the hub")
        self.cases[number] = LoadedCase(row, received["matter"], state, stored=False)
        self._keep(number, 0, event, origin)

    def _claim_project(self, center: str, received: dict) -> None:
        project = rollups.project_of(received)
        if project is None:
            return
        known = self.projects[project]
        self.rollup.update(rollups.claim_among(known, center, received))
        known.append((received["number"], center, received))

    def act(self, event: dict) -> None:
        """A ``case.action``: replayed on the case's state, then written as ``act`` did."""
        record, origin = event["payload"], event["origin"]
        number = record["number"]
        handoffs.refuse_unless_holder(number, origin,
                                      self.owners.get(case_records.record_of(number)))
        case = self.cases.get(number)
        if case is None:
            raise HubCase.DoesNotExist(f"case {number} is not at the hub")
        step = self._ahead(number, event, case.state)
        if step is not None:
            state = step.after
        else:
            state = case_records.replay_next(case.state, case.row["actions"] + 1, record)
            rollups.contributions(case.row["center"], case.matter, record["action"], state,
                                  state.history[-1].at, calendar=self.calendar,
                                  into=self.rollup)
        self.actions.append((number, record["n"], record["action"], record["role"],
                             record["user"], record["at"], orjson.dumps(record["data"]).decode()))
        case.row["actions"] = record["n"]
        case.state, case.changed = state, True  # the row's other columns follow at ``flush``
        collecting = case.row["center"]
        self._keep(number, record["n"], event, collecting)
        if record["action"] == "hand_off":
            self._route(number, collecting, state.handoffs[-1].target, record["n"])
            return
        if record["action"] == "open_joint":  # it reads what the run wrote: write it first
            self.flush()
            handoffs.after_joint(HubCase(number=number, center=collecting), event, state)
            record_name = case_records.record_of(number)
            self.owners[record_name] = owner_of(record_name)
            self.handoffs[number] = handoffs.latest(number)
            return
        self.messages.extend(handoffs.relays(number, event, state, collecting, self.keys.of))
        self._follow_holder(number, state, collecting)
        current = self.handoffs.get(number)
        if handoffs.settle(current, record["action"], origin, record, now_ms()):
            self.settled[number] = current

    def _ahead(self, number: str, event: dict, before: case_state.CaseState | None):
        """The event's step worked out before the lock when it still holds (worked from
        ``before``, the very state held here, on this run's calendar), taken: its
        contributions added, and its row's columns kept for ``flush``; else None."""
        step = event.get(AHEAD_KEY)
        if step is None or step.before is not before or step.calendar is not self.calendar:
            return None
        self.rollup.update(step.rollup)
        if step.columns is not None:
            self.worked_columns[number] = (step.after, step.columns)
        return step

    def _route(self, number: str, collecting: str, target: str, n: int) -> None:
        """A ``hand_off``: the target gets the case and its ownership, or, when it cannot
        take it (``handoffs.undeliverable``), the collecting center gets it back."""
        at = now_ms()
        previous = self.handoffs.get(number)
        if (target, collecting) not in self.deliverable:
            self.deliverable[target, collecting] = handoffs.undeliverable(target, collecting)
        handoff = handoffs.new_handoff(number, previous.k + 1 if previous else 1, collecting,
                                       target, at, self.deliverable[target, collecting])
        self.handoffs[number] = handoff
        self.opened.append(handoff)
        if handoff.reason:
            self.messages.append(handoffs.returned(handoff))
            return
        record_name = case_records.record_of(number)
        self.owners[record_name] = target
        self.transfers[record_name] = (target, at)
        offer = {"number": number, "collecting": collecting}
        self.messages.append((target, "handoff.offer", offer))
        self.offers.append((offer, n))

    def _fill_offers(self) -> None:
        """Each offer's signed events up to its ``hand_off``, checked (the run's own are
        written by now), and the keys that verify them."""
        if not self.offers:
            return
        # One offer a case at most: once handed off, the case is no longer the collecting
        # center's to act on in this run.
        through = {offer["number"]: n for offer, n in self.offers}
        events = signed_events(sorted(through), through)
        for offer, _n in self.offers:
            offer["events"] = events[offer["number"]]
            offer["keys"] = self.keys.of(offer["events"])

    def _keep(self, number: str, n: int, event: dict, collecting: str) -> None:
        """The step, for later handoffs, and its relay to a supervising district."""
        self.steps.append((number, n, event["origin"], event["seq"]))
        message = self.districts.message(number, collecting, event)
        if message is not None:
            self.messages.append(message)

    def _follow_holder(self, number: str, state: case_state.CaseState,
                       collecting: str) -> None:
        """The owner follows the holder (a case received in this push has none yet)."""
        record_name = case_records.record_of(number)
        holder = case_machine.holder(state, collecting)
        if holder != self.owners.get(record_name):
            self.owners[record_name] = holder
            self.transfers[record_name] = (holder, now_ms())

    def flush(self) -> None:
        """Write what the events so far changed, one statement per table."""
        db = database.obj
        for number, case in self.cases.items():
            if case.changed:  # from its last state only: a case often has several actions
                worked = self.worked_columns.get(number)
                case.row.update(worked[1] if worked and worked[0] is case.state
                                else action_columns(case.state, case.matter, self.calendar))
        new = [case for case in self.cases.values() if not case.stored]
        insert_rows(db, "hub_case", CASE_COLUMNS,
                    [tuple(case.row[c] for c in CASE_COLUMNS) for case in new])
        changed = [case for case in self.cases.values() if case.stored and case.changed]
        update = ", ".join(f"{c} = excluded.{c}" for c in ACTION_COLUMNS)
        insert_rows(db, "hub_case", CASE_COLUMNS,
                    [tuple(case.row[c] for c in CASE_COLUMNS) for case in changed],
                    suffix=f"ON CONFLICT (number) DO UPDATE SET {update}")
        for case in self.cases.values():
            case.stored, case.changed = True, False
        insert_rows(db, "hub_case_action",
                    ("number", "n", "action", "role", '"user"', "at", "data"), self.actions)
        insert_rows(db, "case_step", ("number", "n", "origin", "seq"), self.steps)
        rollups.add(self.rollup)
        insert_rows(db, "ownership", ("record", "owner", "since_ms"),
                    [(record, owner, at) for record, (owner, at) in self.transfers.items()],
                    suffix="ON CONFLICT (record) DO UPDATE SET owner = excluded.owner, "
                           "since_ms = excluded.since_ms")
        self._fill_offers()
        send_many(self.messages)
        insert_rows(db, CaseHandoff._meta.table_name, HANDOFF_COLUMNS,
                    [tuple(getattr(h, c) for c in HANDOFF_COLUMNS) for h in self.opened])
        for handoff in self.settled.values():
            if handoff not in self.opened:  # those were just inserted as they stand
                handoff.save()
        self._reset_writes()


def case_row(received: dict, origin: str, state: case_state.CaseState) -> dict:
    """A case's row in ``hub_case`` as its receipt makes it."""
    matter = received["matter"]
    row = dict.fromkeys(CASE_COLUMNS)
    row.update(number=received["number"], center=origin, matter_code=matter["basic_code"],
               matter_version=matter["version"], matter=orjson.dumps(matter).decode(),
               applicant_kind=received["applicant"]["kind"],
               applicant_id=received["applicant"]["id_code"],
               green_channel=bool(received["green_channel"]), state=state.state,
               department=matter["department"], received_at=received["at"],
               received=orjson.dumps(received).decode(), actions=0,
               key_project=rollups.project_of(received))
    return row


def action_columns(state: case_state.CaseState, matter: dict, calendar: WorkCalendar) -> dict:
    """What the case's actions change in its row (``ACTION_COLUMNS`` but ``actions``)."""
    decision = state.decision
    return {"state": state.state,
            "accepted_at": case_records.iso(state.accepted_at) if state.accepted_at else None,
            "decided_at": case_records.iso(decision.decided_at) if decision else None,
            "outcome": decision.outcome if decision else None,
            "document_number": decision.document_number if decision else None,
            "due_date": due_date(state, matter, calendar)}


def due_date(case: case_state.CaseState, matter: dict, calendar: WorkCalendar) -> str | None:
    """The promised day as of this action (a running pause counts through today)."""
    due = case_clock.deadline(case, calendar, matter["promised_limit_days"],
                               today=case_clock.china_date(case.history[-1].at))
    return due.day.isoformat() if due else None
