"""Case figures kept incrementally, and rebuilt from the raw events to check them.

Each case action contributes to the counters of one (center, China day,
matter) row; ``contributions`` says which, from the case before and after the
action. The case handlers add the contributions of each new action as it is
applied; ``rebuild`` recomputes every row from the stored case logs with the
very same function, so the two can be compared (``hallsync hub rebuild-stats``
and a property test do).
"""
from __future__ import annotations

from collections import Counter

import orjson

from hub.models import CaseRollup, HubCase, HubCaseAction, database
from sync import case_records, case_states
from sync.calendar import load_calendar

FIELDS = ("received", "accepted", "not_accepted", "completed", "completed_immediately",
          "approved", "supplement_requests", "withdrawn", "handling_days")
_COUNTED = {"accept": ("accepted",), "not_accept": ("not_accepted",),
            "request_supplement": ("supplement_requests",),
            "suspend_supplement": ("supplement_requests",), "withdraw": ("withdrawn",),
            "complete_immediate": ("accepted", "completed", "completed_immediately"),
            "decide": ("completed",)}


def contributions(center: str, matter: dict, action: str, after: case_states.CaseState,
                  at) -> Counter:
    """What one action adds: {(center, day, matter, department, field): amount}."""
    key = (center, case_states.china_date(at).isoformat(), matter["basic_code"],
           matter["department"])
    counts = Counter()
    if action == case_states.RECEIVE:
        counts[key + ("received",)] += 1
    for field in _COUNTED.get(action, ()):
        counts[key + (field,)] += 1
    if after.decision is not None and action in ("decide", "complete_immediate"):
        counts[key + ("approved",)] += after.decision.outcome == "approved"
        counts[key + ("handling_days",)] += case_states.handling_workdays(
            after, load_calendar()) or 0
    return counts


def add(counts: Counter) -> None:
    """Add contributions to the rollup rows (one upsert per row touched)."""
    rows: dict[tuple, dict] = {}
    for (center, day, code, department, field), amount in counts.items():
        if amount:
            rows.setdefault((center, day, code, department), {})[field] = amount
    for (center, day, code, department), fields in rows.items():
        (CaseRollup.insert(center=center, day=day, matter_code=code, department=department,
                           **fields)
         .on_conflict(conflict_target=[CaseRollup.center, CaseRollup.day,
                                       CaseRollup.matter_code],
                      update={getattr(CaseRollup, f): getattr(CaseRollup, f) + v
                              for f, v in fields.items()})
         .execute())


def case_contributions(row: HubCase, actions: list[dict]) -> Counter:
    """Every contribution of one case, from its stored receipt and action log."""
    received = orjson.loads(row.received)
    matter = received["matter"]
    case = case_records.replay(received, [])
    counts = contributions(row.center, matter, case_states.RECEIVE, case, case.received_at)
    for action in actions:
        case = case_states.apply(case, action["action"], role=action["role"],
                                 at=case_records.parse_at(action["at"]), data=action["data"])
        counts += contributions(row.center, matter, action["action"], case, case.history[-1].at)
    return counts


def rebuild() -> int:
    """Recompute every rollup row from the raw case logs; returns the rows written."""
    totals: Counter = Counter()
    logs: dict[str, list[dict]] = {}
    for a in HubCaseAction.select().order_by(HubCaseAction.number, HubCaseAction.n):
        logs.setdefault(a.number, []).append({"action": a.action, "role": a.role, "at": a.at,
                                              "data": orjson.loads(a.data)})
    for row in HubCase.select():
        totals += case_contributions(row, logs.get(row.number, []))
    with database.atomic():
        CaseRollup.delete().execute()
        add(totals)
    return CaseRollup.select().count()


def snapshot() -> dict[tuple, tuple]:
    """All rollup rows as plain tuples (to compare incremental with rebuilt)."""
    return {(r.center, r.day, r.matter_code): tuple(getattr(r, f) for f in FIELDS)
            for r in CaseRollup.select()}
