"""What the public progress query (进度查询) shows of a case, and nothing more.

Node and hub both answer ``/progress`` from their copy of the case: the
``case.received`` payload and the action log, replayed here by the shared state
machine, so both give the same answer. Shown: the matter, each step's name, time
and center, the current step, the promised day. Never shown: the applicant (name,
ID, phone), who acted, reasons and notes (free text a clerk typed may name people),
materials, document numbers.
"""
from __future__ import annotations

from sync import case_clock, case_labels, case_machine, case_records
from sync.calendar import load_calendar
from sync.case_numbers import parse_case_number
from sync.topology import load_topology

# The message of every miss, wrong code or unknown number alike (the same bytes).
NOT_FOUND = "办件编号或查询码不正确。请核对受理回执上的办件编号和查询码。"


def public_progress(received: dict, actions: list[dict]) -> dict:
    """The case's public progress, from its intake record and its actions in order."""
    states = case_records.replay_steps(received, actions)
    case, matter = states[-1], received["matter"]
    collecting = parse_case_number(received["number"]).center
    # The center of each step: the one that held the case just before it (case_records.signers).
    centers = [collecting] + [case_machine.holder(before, collecting) for before in states[:-1]]
    name_of = load_topology().name_of
    # The promised day as of the last step, as the hub keeps it (hub.cases.batch.due_date).
    due = case_clock.deadline(case, load_calendar(), matter["promised_limit_days"],
                              today=case_clock.china_date(case.history[-1].at))
    holder = case_machine.holder(case, collecting)
    pause = case.open_pause
    return {
        "number": received["number"],
        "matter": {"code": matter["basic_code"], "name": matter["name"]},
        "center": {"code": collecting, "name": name_of(collecting)},
        "received_at": case_records.iso(case.received_at),
        "current": {"state": case.state, "label": case_labels.STATES[case.state],
                    "since": case_records.iso(case.history[-1].at),
                    "center": {"code": holder, "name": name_of(holder)},
                    "paused": None if pause is None else case_labels.PAUSE_KINDS[pause.kind]},
        "promised_date": due.day.isoformat() if due else None,
        "outcome": (None if case.decision is None else
                    {"code": case.decision.outcome,
                     "label": case_labels.OUTCOMES[case.decision.outcome],
                     "decided_at": case_records.iso(case.decision.decided_at)}),
        "steps": [{"action": step.action, "label": case_machine.ACTIONS[step.action].label,
                   "at": case_records.iso(step.at),
                   "center": {"code": center, "name": name_of(center)}}
                  for step, center in zip(case.history, centers)],
    }
