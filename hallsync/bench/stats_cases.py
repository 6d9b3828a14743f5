"""Cases for ``hallsync bench stats``: N cases of realistic spread, written straight into
the hub's tables with their rollups, in receive-day order.

Every case follows one of a few lives (即办 completed at the window, accepted and
decided after k working days, asked to supplement first, paused in review,
refused, not accepted, withdrawn); a life still running on the last day stays
open. Each distinct life (handling type, promised days, day received, pattern,
k) is played once through the real state machine and ``rollups.contributions``,
then reused for every case that lives it, so the figures loaded are exactly
what the hub would have kept had these events arrived (``test_bench_stats``
rebuilds a small load from its action logs and compares).
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import random
from collections.abc import Iterator
from itertools import accumulate

import orjson

from hub.stats import rollups
from sync import case_clock, case_machine, case_records
from sync.calendar import WorkCalendar, load_calendar
from sync.case_numbers import case_number
from sync.catalog_history import load_matters
from sync.catalog_schema import matter_to_dict
from sync.matter_dates import Eras
from sync.topology import Topology

# Share of the load each level receives, split evenly among its centers.
LEVEL_SHARE = {"city": 0.22, "subcenter": 0.08, "district": 0.40, "street": 0.30}
# After the reform most applications are for immediate matters (即办件).
IMMEDIATE_WEIGHT = 40
PATTERNS = (("done", 0.86), ("supplement", 0.04), ("paused", 0.03), ("refused", 0.01),
            ("not_accepted", 0.02), ("withdrawn", 0.01), ("late", 0.03))
APPLICANTS = {"person": ("张伟", "210102198503150013"),
              "enterprise": ("沈阳某某科技有限公司", "91210100MA0XXXXXX0")}
REASON = {"reason": "不符合受理条件"}
APPROVED = {"outcome": "approved", "document_number": "沈审〔bench〕1号"}
ROLE = {"accept": "clerk", "complete_immediate": "clerk", "not_accept": "clerk",
        "request_supplement": "clerk", "supplement_in": "clerk", "start_review": "reviewer",
        "submit_for_approval": "reviewer", "suspend_supplement": "reviewer",
        "decide": "approver", "withdraw": "clerk"}
HUBCASE_COLUMNS = ("number", "center", "matter_code", "matter_version", "matter",
                   "applicant_kind", "applicant_id", "green_channel", "state", "received_at",
                   "accepted_at", "decided_at", "outcome", "document_number", "received",
                   "actions", "department", "due_date")
ACTION_COLUMNS = ("number", "n", "action", "role", "user", "at", "data")


@dataclasses.dataclass(frozen=True)
class Life:
    """One played-out life: its actions, what it added to which day, and where it ended."""

    actions: tuple[tuple[str, str, dict], ...]     # (action, at ISO, data)
    counts: tuple[tuple[str, int, int], ...]       # (day ISO, FIELDS index, amount)
    state: str
    accepted_at: str | None
    decided_at: str | None
    outcome: str | None
    due_date: str | None


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute,
                             tzinfo=case_clock.CHINA)


def _plan(handling: str, pattern: str, k: int, day: datetime.date,
          nth) -> list[tuple[str, datetime.datetime, dict]]:
    """The actions of a life; ``nth(day, n)`` is the n-th working day after ``day``."""
    if handling == "immediate":
        if pattern == "not_accepted":
            return [("not_accept", _at(day, 10), REASON)]
        return [("complete_immediate", _at(day, 9, 40), APPROVED)]
    if pattern == "not_accepted":
        return [("not_accept", _at(day, 10), REASON)]
    plan = []
    if pattern == "supplement":  # accepted the next working day, once the material is in
        plan.append(("request_supplement", _at(day, 9, 40), {"missing": ["身份证明"]}))
        day = nth(day, 1)
        plan.append(("supplement_in", _at(day, 9, 30), {}))
    plan += [("accept", _at(day, 9, 45), {}), ("start_review", _at(day, 10, 30), {})]
    if pattern == "withdrawn":
        return plan + [("withdraw", _at(nth(day, 1), 10), REASON)]
    if pattern == "paused":
        plan += [("suspend_supplement", _at(nth(day, 1), 11), {"missing": ["施工方案"]}),
                 ("supplement_in", _at(nth(day, 3), 11), {})]
        k += 3  # decided after the pause: two working days paused
    decided = nth(day, k)
    outcome = ({"outcome": "refused", "document_number": "沈审〔bench〕驳1号", **REASON}
               if pattern == "refused" else APPROVED)
    return plan + [("submit_for_approval", _at(decided, 14), {}),
                   ("decide", _at(decided, 15, 30), outcome)]


class Lives:
    """Plays each distinct life once (memoised) through the state machine and the rollups."""

    def __init__(self, last_day: datetime.date, calendar: WorkCalendar | None = None):
        self.last_day = last_day
        self.calendar = calendar or load_calendar()
        self.index = {field: i for i, field in enumerate(rollups.FIELDS)}

    def nth(self, day: datetime.date, n: int) -> datetime.date:
        return self.calendar.add_workdays(day, n).day if n else day

    @functools.lru_cache(maxsize=None)
    def get(self, handling: str, promised: int, day: datetime.date, pattern: str,
            k: int) -> Life:
        matter = {"basic_code": "M", "department": "D", "handling_type": handling,
                  "promised_limit_days": promised}
        case = case_machine.new_case(handling, role="clerk", at=_at(day, 9, 30))
        counts = rollups.contributions("C", matter, case_machine.RECEIVE, case, case.received_at)
        actions = []
        for action, at, data in _plan(handling, pattern, k, day, self.nth):
            if at.date() > self.last_day:
                break  # still open on the last day loaded
            case = case_machine.apply(case, action, role=ROLE[action], at=at, data=data)
            counts += rollups.contributions("C", matter, action, case, at)
            actions.append((action, case_records.iso(at), data))
        due = case_clock.deadline(case, self.calendar, promised,
                                   today=case_clock.china_date(case.history[-1].at))
        return Life(tuple(actions),
                    tuple((key[1], self.index[key[4]], amount)
                          for key, amount in counts.items() if amount),
                    case.state,
                    case_records.iso(case.accepted_at) if case.accepted_at else None,
                    case_records.iso(case.decision.decided_at) if case.decision else None,
                    case.decision.outcome if case.decision else None,
                    due.day.isoformat() if due else None)


@functools.lru_cache(maxsize=None)
def _received_at(day: datetime.date) -> str:
    return case_records.iso(_at(day, 9, 30))


def _matters_for(level: str, matters: list[dict]) -> tuple[list[dict], list[float]]:
    level = "city" if level == "subcenter" else level  # the city's branch halls
    chosen = [m for m in matters if level in m["levels"]]
    return chosen, list(accumulate(IMMEDIATE_WEIGHT if m["handling_type"] == "immediate" else 1
                                   for m in chosen))


@dataclasses.dataclass
class Batch:
    """What one stretch of days adds: HubCase rows, action rows, finished rollup rows."""

    cases: list[tuple]
    actions: list[tuple]
    grains: list[dict[tuple, list[int]]] | None


def generate(n: int, topology: Topology, last_day: datetime.date, *, years: int = 3,
             seed: int = 4742, with_actions: bool = False) -> Iterator[Batch]:
    """N cases over ``years`` years of working days up to ``last_day``, a month per batch."""
    rng = random.Random(seed)
    lives = Lives(last_day)
    calendar = lives.calendar
    first = last_day - datetime.timedelta(days=365 * years - 1)
    days = [first + datetime.timedelta(days=i) for i in range((last_day - first).days + 1)]
    days = [d for d in days if calendar.is_workday(d)]
    matters = [matter_to_dict(m) for m in load_matters()]
    snapshots = {m["basic_code"]: case_records.snapshot({**m, "version": 1}) for m in matters}
    centers = list(topology.centers)
    # Cumulative weights once: ``choices`` would re-add them on every call.
    center_weights = list(accumulate(LEVEL_SHARE[c.level] / len(topology.at_level(c.level))
                                     for c in centers))
    # No case of a matter before the day it was established (sync.matter_dates).
    offers = Eras(matters, lambda existing: {level: _matters_for(level, existing)
                                             for level in LEVEL_SHARE})
    pattern_names = [p for p, _ in PATTERNS]
    pattern_weights = list(accumulate(w for _, w in PATTERNS))
    detail: dict[tuple, list[int]] = {}
    cases, actions, seq = [], [], {}
    month = days[0].isoformat()[:7]
    for i in range(n):
        day = days[i * len(days) // n]
        if day.isoformat()[:7] != month:
            yield Batch(cases, actions, _finished(detail, day.isoformat()[:7]))
            cases, actions, month = [], [], day.isoformat()[:7]
        center = rng.choices(centers, cum_weights=center_weights)[0]
        chosen, matter_weights = offers.on(day)[center.level]
        matter = rng.choices(chosen, cum_weights=matter_weights)[0]
        pattern = rng.choices(pattern_names, cum_weights=pattern_weights)[0]
        promised = matter["promised_limit_days"]
        k = (promised + rng.randint(1, 3) if pattern == "late"
             else rng.randint(0, promised))
        life = lives.get(matter["handling_type"], promised, day,
                         "done" if pattern == "late" else pattern, k)
        kind = "enterprise" if rng.random() < 0.35 else "person"
        code, department = matter["basic_code"], matter["department"]
        for when, field, amount in life.counts:
            row = detail.get((center.code, when, code, department))
            if row is None:
                row = detail[(center.code, when, code, department)] = [0] * len(rollups.FIELDS)
            row[field] += amount
        if kind == "enterprise":
            detail[(center.code, day.isoformat(), code, department)][lives.index[
                "received_enterprise"]] += 1
        seq[center.code, day] = seq.get((center.code, day), 0) + 1
        number = case_number(center.code, day, seq[center.code, day])
        name, id_code = APPLICANTS[kind]
        received = {"number": number, "matter": snapshots[code],
                    "applicant": {"kind": kind, "name": name, "id_code": id_code,
                                  "phone": "13800000000"},
                    "materials": [], "green_channel": False,
                    "at": _received_at(day), "role": "clerk", "user": "bench"}
        cases.append((number, center.code, code, 1, orjson.dumps(snapshots[code]).decode(),
                      kind, id_code, False, life.state, received["at"], life.accepted_at,
                      life.decided_at, life.outcome,
                      APPROVED["document_number"] if life.outcome else None,
                      orjson.dumps(received).decode(), len(life.actions), department,
                      life.due_date))
        if with_actions:
            actions.extend((number, n_, action, ROLE[action], "bench", at,
                            orjson.dumps(data).decode())
                           for n_, (action, at, data) in enumerate(life.actions, 1))
    yield Batch(cases, actions, _finished(detail, "9999-99"))


def _finished(detail: dict[tuple, list[int]], month: str) -> list[dict[tuple, list[int]]]:
    """Take out the rows of days before ``month``: no case received later adds to them."""
    done = {key: detail.pop(key) for key in [k for k in detail if k[1][:7] < month]}
    return rollups.coarsen(done)
