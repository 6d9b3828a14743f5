"""Case figures kept incrementally, and rebuilt from the raw events to check them.

Each case action contributes to the counters of one (center, China day,
matter) row; ``contributions`` says which, from the case after the action.
The case handlers add the contributions of each new action as it is applied;
``rebuild`` recomputes every row from the stored case logs with the very same
function, so the two can be compared (``hallsync hub rebuild-stats`` and a
property test do). ``add`` writes each contribution at four grains (``GRAINS``):
the (center, day, matter) row and its per-month and all-matters sums, so a
year of the city reads a few thousand rows.

What the counters count (``FIELDS``):

* ``received`` 收件, ``received_enterprise`` of them by an enterprise applicant,
  ``received_online`` of them applied for online (网上申请, the receipt's ``channel``);
* ``accepted`` 受理 (an immediate completion is accepted too), ``not_accepted`` (on the
  day its case was received, so 不予受理率 is a share of that day's receipts);
* ``completed`` 办结 (``decide`` or ``complete_immediate``), ``completed_immediately``
  即办, ``approved`` 准予;
* ``completed_of_accepted``: a completion counted again on the row of the day its case was
  accepted, so a period's ``completed_of_accepted ÷ accepted`` (办结率) is the share of the
  cases it accepted that are completed by now and cannot pass 100 % (``completed ÷
  accepted`` did: a period also completes cases accepted before it);
* ``completed_on_time``: a promised (not immediate) case completed on or before
  its promised day (承诺办结日, ``case_clock.deadline``: paused days push it);
  ``completed_early``: completed at least one working day before that day,
  i.e. a working day still lay between the day of 办结 and the promised day;
* ``handling_days``: working days from 受理 to 办结 without paused days, and
  their distribution over ``DAY_BUCKETS`` (``days_0`` … ``days_over_10``);
* ``supplement_requests`` (every 补正 request) and ``supplemented`` (cases asked
  for the first time, on the day the case was received: 补正率 is a share of the
  receipts), ``withdrawn``;
* ``promised_days``: the promised time limits (承诺时限, working days) of the
  cases accepted, summed (an immediate case's is 0), for the 承诺件's average;
* ``handed_off`` at the collecting center (异地代收: every other figure of the
  case counts there too, once) and ``taken_over`` at the handling center, so
  each side's handoffs show without counting the case twice;
* ``evaluated`` 好差评 given (``evaluate``, on the day of the rating), ``satisfied``
  of them 非常满意/满意/基本满意 and ``bad_reviews`` 差评 (不满意/非常不满意);
  ``evaluated_of_completed`` the same ratings on the day their case was completed, the
  base of 主动评价率 (a rating may come in the period after the completion);
* ``enterprises_registered``: approvals of 企业设立登记 and ``registered_capital``
  their 注册资本 (万元), carried by the approving ``decide``;
* ``projects_over_100m``: key projects of ``PROJECT_THRESHOLD_WAN`` or more and
  their ``investment`` (万元), carried by the link in ``case.received``. A project
  counts once, at its first linked case (earliest received, then lowest number)
  — not per case — see ``claim_project``.
"""
from __future__ import annotations

from collections import Counter
from typing import Callable

import orjson
from peewee import Model

from hub.calendar.in_force import calendar_in_force
from hub.models import (CaseRollup, CaseRollupMonth, CenterRollupDay, CenterRollupMonth, HubCase,
                        HubCaseAction, database)
from sync import case_clock, case_labels, case_machine, case_records, case_state
from sync.calendar import WorkCalendar
from sync.database import insert_rows

# (first, last or None, field): working days to 办结, fixed buckets.
DAY_BUCKETS = ((0, 0, "days_0"), (1, 1, "days_1"), (2, 3, "days_2_3"), (4, 5, "days_4_5"),
               (6, 10, "days_6_10"), (11, None, "days_over_10"))
FIELDS = ("received", "accepted", "not_accepted", "completed", "completed_immediately",
          "completed_of_accepted", "approved", "supplement_requests", "withdrawn", "handling_days",
          "received_enterprise", "supplemented", "completed_on_time", "completed_early",
          *(field for _first, _last, field in DAY_BUCKETS), "promised_days", "handed_off",
          "taken_over", "received_online", "evaluated", "satisfied", "bad_reviews",
          "evaluated_of_completed", "enterprises_registered", "registered_capital", "projects_over_100m", "investment")
PROJECT_THRESHOLD_WAN = 10_000  # 亿元以上建设项目: 1 亿元 = 10,000 万元
_COUNTED = {"accept": ("accepted",),
            "request_supplement": ("supplement_requests",),
            "suspend_supplement": ("supplement_requests",),
            "joint_supplement": ("supplement_requests",), "withdraw": ("withdrawn",),
            "complete_immediate": ("accepted", "completed", "completed_immediately"),
            "decide": ("completed",), "hand_off": ("handed_off",)}
_SUPPLEMENT = ("request_supplement", "suspend_supplement", "joint_supplement")


def contributions(center: str, matter: dict, action: str, after: case_state.CaseState,
                  at, applicant_kind: str = "person", channel: str = "window",
                  calendar: WorkCalendar | None = None, into: Counter | None = None) -> Counter:
    """What one action adds: {(center, day, matter, department, field): amount}, added to
    ``into`` when given (a batch's running sums) and returned.

    A caller applying many actions passes the ``calendar`` it loaded once. The hub runs
    this for every case event it applies: each action takes only its own branch."""
    key = (center, case_clock.china_date(at).isoformat(), matter["basic_code"],
           matter["department"])
    counts = Counter() if into is None else into
    for field in _COUNTED.get(action, ()):
        counts[key + (field,)] += 1
    if action in ("accept", "complete_immediate"):  # an immediate matter's limit is 0
        counts[key + ("promised_days",)] += matter["promised_limit_days"]
    if action == case_machine.RECEIVE:
        counts[key + ("received",)] += 1
        if applicant_kind == "enterprise":
            counts[key + ("received_enterprise",)] += 1
        if channel == "online":
            counts[key + ("received_online",)] += 1
    elif action == "not_accept" or (action in _SUPPLEMENT and sum(
            step.action in _SUPPLEMENT for step in after.history) == 1):
        # Cohort counters go on the row of the day their case was received (accepted or
        # completed, below), so a rate over that day's receipts stays ≤ 100 %.
        counts[_on_day(key, after.received_at,
                       "not_accepted" if action == "not_accept" else "supplemented")] += 1
    elif action == "take_over":
        counts[(after.handoffs[-1].target, *key[1:], "taken_over")] += 1
    elif action == "evaluate":
        _evaluated(counts, key, after)
    elif action in ("decide", "complete_immediate") and after.decision is not None:
        _completed(counts, key, action, after, matter, calendar or calendar_in_force())
    return counts


def _on_day(key: tuple, at, field: str) -> tuple:
    """``field`` on ``key``'s row moved to the China day of ``at``: a cohort counter's row."""
    return (key[0], case_clock.china_date(at).isoformat(), *key[2:], field)


def _evaluated(counts: Counter, key: tuple, after: case_state.CaseState) -> None:
    level = after.evaluation.level
    counts[key + ("evaluated",)] += 1
    if level in case_labels.SATISFIED:
        counts[key + ("satisfied",)] += 1
    if level in case_labels.BAD_REVIEWS:
        counts[key + ("bad_reviews",)] += 1
    if after.decision is not None:
        counts[_on_day(key, after.decision.decided_at, "evaluated_of_completed")] += 1


def _completed(counts: Counter, key: tuple, action: str, after: case_state.CaseState,
               matter: dict, calendar: WorkCalendar) -> None:
    decision = after.decision
    days = case_clock.handling_workdays(after, calendar) or 0
    if decision.outcome == "approved":
        counts[key + ("approved",)] += 1
    if days:
        counts[key + ("handling_days",)] += days
    counts[key + (bucket(days),)] += 1
    if after.accepted_at is not None:
        counts[_on_day(key, after.accepted_at, "completed_of_accepted")] += 1
    if action != "decide":
        return
    if decision.registered_capital is not None:
        counts[key + ("enterprises_registered",)] += 1
        counts[key + ("registered_capital",)] += decision.registered_capital
    done = case_clock.china_date(decision.decided_at)
    due = case_clock.deadline(after, calendar, matter["promised_limit_days"]).day
    if done <= due:
        counts[key + ("completed_on_time",)] += 1
    if calendar.workdays_between(done, due) >= 1:
        counts[key + ("completed_early",)] += 1


def project_of(received: dict) -> str | None:
    """"year/code" of the receipt's key project when it is of ¥100m or more, else None."""
    link = received.get("key_project")
    if not link or link.get("investment_wan", 0) < PROJECT_THRESHOLD_WAN:
        return None
    return f"{link['year']}/{link['code']}"


def project_contributions(center: str, received: dict) -> Counter:
    """A key project counted at the center and day its (first) linked case was received."""
    at = case_records.parse_at(received["at"])
    key = (center, case_clock.china_date(at).isoformat(), received["matter"]["basic_code"],
           received["matter"]["department"])
    return Counter({key + ("projects_over_100m",): 1,
                    key + ("investment",): received["key_project"]["investment_wan"]})


def _first(candidates) -> tuple:
    # (received at, number): a total order every hub agrees on, whatever the arrival order.
    return min(candidates, key=lambda c: (case_records.parse_at(c[2]["at"]), c[2]["number"]))


def claim_project(center: str, received: dict) -> Counter:
    """What a newly received case changes in the project counts (call before storing it).

    A project counts once, at its first linked case. Cases of one project reach the
    hub from several centers in any order, so a case received earlier than the one
    counted so far moves the count to itself (minus there, plus here); ``rebuild``
    picks the same first case, so the two agree.
    """
    project = project_of(received)
    if project is None:
        return Counter()
    return claim_among(linked_cases({project})[project], center, received)


def linked_cases(projects: set[str]) -> dict[str, list[tuple]]:
    """The cases stored so far per key project: [(number, center, receipt)]."""
    known: dict[str, list[tuple]] = {project: [] for project in projects}
    if projects:
        for number, center, received, project in (
                HubCase.select(HubCase.number, HubCase.center, HubCase.received,
                               HubCase.key_project)
                .where(HubCase.key_project.in_(list(projects))).tuples()):
            known[project].append((number, center, orjson.loads(received)))
    return known


def claim_among(known: list[tuple], center: str, received: dict) -> Counter:
    """``claim_project`` given the project's cases stored so far (``linked_cases``)."""
    if not known:
        return project_contributions(center, received)
    counted = _first(known)
    if _first([counted, (received["number"], center, received)]) is counted:
        return Counter()
    counts = project_contributions(center, received)
    counts.subtract(project_contributions(counted[1], counted[2]))  # negatives kept
    return counts


def bucket(days: int) -> str:
    """The ``DAY_BUCKETS`` field of a number of working days to 办结."""
    for _first, last, field in DAY_BUCKETS:
        if last is None or days <= last:
            return field
    raise AssertionError("the last bucket is open-ended")


# Each grain: the model and how a (center, day, matter, department) key maps to its key.
GRAINS: tuple[tuple[type[Model], tuple[str, ...], object], ...] = (
    (CaseRollup, ("center", "day", "matter_code", "department"), lambda k: k),
    (CaseRollupMonth, ("center", "month", "matter_code", "department"),
     lambda k: (k[0], k[1][:7], k[2], k[3])),
    (CenterRollupDay, ("center", "day"), lambda k: (k[0], k[1])),
    (CenterRollupMonth, ("center", "month"), lambda k: (k[0], k[1][:7])),
)


def grain_rows(counts: Counter) -> list[dict[tuple, list[int]]]:
    """Contributions summed per row of each grain: [{grain key: [value per FIELDS]}]."""
    index = {field: i for i, field in enumerate(FIELDS)}
    detail: dict[tuple, list[int]] = {}
    for (*key, field), amount in counts.items():
        if amount:
            detail.setdefault(tuple(key), [0] * len(FIELDS))[index[field]] += amount
    return coarsen(detail)


def coarsen(detail: dict[tuple, list[int]]) -> list[dict[tuple, list[int]]]:
    """(center, day, matter, department) rows summed into the rows of every grain."""
    result: list[dict[tuple, list[int]]] = [detail]
    for _model, _columns, key_of in GRAINS[1:]:
        rows: dict[tuple, list[int]] = {}
        for key, values in detail.items():
            row = rows.get(grain_key := key_of(key))
            if row is None:
                rows[grain_key] = list(values)
            else:
                for i, value in enumerate(values):
                    row[i] += value
        result.append(rows)
    return result


def add(counts: Counter) -> None:
    """Add contributions to the rollup rows: one upsert statement per grain, whatever the
    number of rows touched (the contributions are summed per row first)."""
    db = database.obj
    for rows, (model, columns, _key_of) in zip(grain_rows(counts), GRAINS):
        table = model._meta.table_name
        # A row whose contributions cancelled out (a project moved within it) is left alone.
        batch = [(*key, *values) for key, values in rows.items() if any(values)]
        pk = ", ".join(model._meta.primary_key.field_names)
        update = ", ".join(f"{f} = {table}.{f} + excluded.{f}" for f in FIELDS)
        insert_rows(db, table, columns + FIELDS, batch,
                    suffix=f"ON CONFLICT ({pk}) DO UPDATE SET {update}")


def insert(grains: list[dict[tuple, list[int]]]) -> None:
    """Bulk-insert rows that are not in the tables yet (a rebuild, the bench's load)."""
    db = database.obj
    for rows, (model, columns, _key_of) in zip(grains, GRAINS):
        batch = [(*key, *values) for key, values in rows.items()]
        for offset in range(0, len(batch), 5000):
            insert_rows(db, model._meta.table_name, columns + FIELDS, batch[offset:offset + 5000])


def case_contributions(row: HubCase, actions: list[dict],
                       calendar: WorkCalendar | None = None) -> Counter:
    """Every contribution of one case, from its stored receipt and action log."""
    calendar = calendar or calendar_in_force()
    received = orjson.loads(row.received)
    matter = received["matter"]
    case = case_records.replay(received, [])
    counts = contributions(row.center, matter, case_machine.RECEIVE, case, case.received_at,
                           received["applicant"]["kind"], case_records.channel_of(received),
                           calendar)
    for action in actions:
        case = case_machine.apply(case, action["action"], role=action["role"],
                                 at=case_records.parse_at(action["at"]), data=action["data"])
        counts += contributions(row.center, matter, action["action"], case, case.history[-1].at,
                                calendar=calendar)
    return counts


REBUILD_CASES = 2_000  # cases read at a time: memory stays flat at the city's millions


def rebuild(progress: Callable[[int], None] = lambda cases: None) -> int:
    """Recompute every rollup row from the raw case logs; returns the (center, day, matter)
    rows. ``progress`` is told how many more cases were counted, a chunk at a time."""
    totals: Counter = Counter()
    projects: dict[str, list[tuple]] = {}
    calendar, last = calendar_in_force(), ""
    while True:
        rows = list(HubCase.select().where(HubCase.number > last)
                    .order_by(HubCase.number).limit(REBUILD_CASES))
        if not rows:
            break
        last = rows[-1].number
        logs: dict[str, list[dict]] = {row.number: [] for row in rows}
        for a in (HubCaseAction.select().where(HubCaseAction.number.in_(list(logs)))
                  .order_by(HubCaseAction.number, HubCaseAction.n)):
            logs[a.number].append({"action": a.action, "role": a.role, "at": a.at,
                                   "data": orjson.loads(a.data)})
        for row in rows:
            totals.update(case_contributions(row, logs[row.number], calendar))
            if row.key_project:
                projects.setdefault(row.key_project, []).append(
                    (row.number, row.center, orjson.loads(row.received)))
        progress(len(rows))
    for candidates in projects.values():
        _number, center, received = _first(candidates)
        totals.update(project_contributions(center, received))
    with database.atomic():
        for model, _columns, _key_of in GRAINS:
            model.delete().execute()
        insert(grain_rows(totals))
    return CaseRollup.select().count()


def snapshot() -> dict[tuple, tuple]:
    """Every rollup row of every grain as plain tuples (to compare incremental with rebuilt)."""
    found = {}
    for model, columns, _key_of in GRAINS:
        for row in model.select().tuples().iterator():
            values = dict(zip([f.name for f in model._meta.sorted_fields], row))
            found[(model.__name__, *(values[c] for c in columns))] = tuple(
                values[f] for f in FIELDS)
    return found
