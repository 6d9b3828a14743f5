"""The window's lists, without Flask: a role's queue by urgency, case search, the center's figures.

Everything is computed from the case rows and their action logs: the state is
the replay (``node.case_log.load``), the clock is ``sync.case_clock.deadline``
and the colour ``sync.deadlines.warning_level``, the very functions the hub uses.
The figures count actions the way the hub's rollups do (``hub.stats.rollups``), so a
center's page and the city's dashboard agree.
"""
from __future__ import annotations

import datetime

import orjson
from peewee import fn

from node import handoffs, store
from node.case_log import states_of
from node.departments import case_in
from node.models import Case, CaseAction, CatalogMatter
from node.work_calendar import calendar_in_force
from sync import case_clock, case_labels, case_machine, case_state
from sync.calendar import WorkCalendar
from sync.cards import INTAKE_LIMIT_DAYS  # Art. 32: the same limit the cards judge
from sync.deadlines import remaining_workdays, warning_level
from sync.errors import ValidationError
from web.pagination import page_count, page_number

# 行政许可法 Art. 44: the result is served within 10 days of the decision; Art. 82: working days.
DELIVERY_LIMIT_DAYS = 10
# Withdrawal (撤件) is open to the clerk on every open case, but it waits on the
# applicant, not on the clerk: it puts no case in anyone's queue.
NOT_QUEUED = frozenset({"withdraw"})
WARNING_ORDER = {"red": 0, "yellow": 1, "green": 2, None: 3}
WARNING_LABELS = {"red": "已超期", "yellow": "临近期限", "green": "正常", None: "不计时"}
CLOCK_LABELS = {"promised": "承诺办结", "delivery": "送达期限", "intake": "受理期限"}
MAX_QUERY = 100
MAX_RESULTS = 200


def clock(row: Case, case: case_state.CaseState, today: datetime.date, *,
          yellow_within: int = 2, calendar: WorkCalendar | None = None) -> dict:
    """The deadline that runs now, working days left and the warning colour, as of ``today``."""
    calendar = calendar or calendar_in_force()
    kind, due = None, None
    if case.state == case_labels.COMPLETED and case.decision is not None:
        kind = "delivery"
        due = calendar.add_workdays(case_clock.china_date(case.decision.decided_at),
                                    DELIVERY_LIMIT_DAYS)
    elif case.state in case_labels.OPEN and case.accepted_at is not None:
        kind = "promised"
        due = case_clock.deadline(case, calendar,
                                   orjson.loads(row.matter)["promised_limit_days"], today=today)
    elif case.state == case_labels.RECEIVED:
        kind = "intake"
        due = calendar.add_workdays(case_clock.china_date(case.history[-1].at),
                                    INTAKE_LIMIT_DAYS)
    if due is None:
        return {"clock": None, "clock_label": "", "deadline": None, "provisional": False,
                "remaining": None, "warning": None, "warning_label": WARNING_LABELS[None],
                "paused": case.open_pause is not None}
    warning = warning_level(today, due, calendar, yellow_within)
    return {"clock": kind, "clock_label": CLOCK_LABELS[kind], "deadline": due.day.isoformat(),
            "provisional": due.provisional, "remaining": remaining_workdays(today, due, calendar),
            "warning": warning, "warning_label": WARNING_LABELS[warning],
            "paused": case.open_pause is not None}


def actions_for(row: Case, case: case_state.CaseState, role: str | None,
                center: str | None = None) -> list[str]:
    """The actions ``role`` may take on the case now at this center (``center``, read
    once by a caller listing many cases), withdrawal included."""
    if not role:
        return []
    # 好差评 is the applicant's (node.evaluation): no member of staff ever takes it.
    return [a for a in handoffs.actions_here(row, orjson.loads(row.matter),
                                             case_machine.available_actions(case, role),
                                             center or store.state().center)
            if a != "evaluate"]


def summary(row: Case) -> dict:
    """A case as one row of a list."""
    return {"number": row.number, "matter_code": row.matter_code,
            "matter_name": orjson.loads(row.matter)["name"], "applicant_name": row.applicant_name,
            "applicant_kind": row.applicant_kind, "state": row.state,
            "state_label": case_labels.STATES[row.state], "green_channel": row.green_channel,
            "received_at": row.received_at, "promised_date": row.promised_date}


def queue(role: str | None, today: datetime.date, *, yellow_within: int = 2,
          departments: list[str] | None = None) -> list[dict]:
    """Open cases ``role`` can act on now, most urgent first; ``None`` (read-only): every one;
    only those of ``departments``' matters when given (``node.departments``).

    Order: green channel (绿色通道) first, then red, yellow, green, then the
    earliest deadline, then the earliest received.
    """
    calendar, center = calendar_in_force(), store.state().center if role else None
    query = Case.select().where(Case.state.not_in(case_labels.TERMINAL) & ~Case.consulted)
    if departments is not None:
        query = query.where(case_in(departments))
    rows = list(query)
    states = states_of(rows)
    items = []
    for row in rows:
        case = states[row.number]
        actions = [a for a in actions_for(row, case, role, center) if a not in NOT_QUEUED]
        if role is not None and not actions:
            continue
        items.append({**summary(row), "state": case.state,
                      "state_label": case_labels.STATES[case.state],
                      "actions": [{"action": a, "label": case_machine.ACTIONS[a].label}
                                  for a in actions],
                      **clock(row, case, today, yellow_within=yellow_within, calendar=calendar)})
    items.sort(key=lambda i: (not i["green_channel"], WARNING_ORDER[i["warning"]],
                              i["deadline"] or "9999-12-31", i["received_at"]))
    return items


def search(q: str = "", state: str = "", *, page: int = 1, per_page: int = MAX_RESULTS,
           args=None, departments: list[str] | None = None) -> dict:
    """Cases by number, applicant name or ID, or matter name or code; newest first, a page
    of ``per_page`` at a time (``args``: take the page from its ``?page=``, refusing one
    out of range); only those of ``departments``' matters when given."""
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise ValidationError(f"q: 查询内容不能超过 {MAX_QUERY} 个字符", field="q")
    if state and state not in case_labels.STATES:
        raise ValidationError(f"state: 未知的办件状态 {state!r}", field="state")
    query = Case.select()
    if departments is not None:
        query = query.where(case_in(departments))
    if state:
        query = query.where(Case.state == state)
    if q:
        # instr, not LIKE: a % or _ typed by a clerk is a character, not a wildcard.
        upper = q.upper()
        codes = [code for (code,) in CatalogMatter.select(CatalogMatter.code)
                 .where(fn.instr(CatalogMatter.name, q) > 0).tuples()]
        query = query.where((fn.instr(Case.number, upper) > 0)
                            | (fn.instr(Case.applicant_name, q) > 0)
                            | (fn.instr(Case.applicant_id, upper) > 0)
                            | (Case.matter_code == upper) | Case.matter_code.in_(codes))
    total = query.count()
    if args is not None:
        page = page_number(args, page_count(total, per_page))
    rows = (query.order_by(Case.received_at.desc(), Case.number.desc())
            .limit(per_page).offset((page - 1) * per_page))
    cases = [summary(row) for row in rows]
    return {"q": q, "state": state, "count": total, "shown": len(cases), "page": page,
            "cases": cases}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def period(start: datetime.date, end: datetime.date,
           calendar: WorkCalendar | None = None) -> dict:
    """Received, accepted, not accepted, completed, rates and average days for ``start`` … ``end``."""
    calendar = calendar or calendar_in_force()
    # Times are stored as China local ISO text, so a day range is a string range.
    lo, hi = start.isoformat(), (end + datetime.timedelta(days=1)).isoformat()

    def taken(*actions: str):
        return (CaseAction.select(CaseAction.number)
                .join(Case, on=(Case.number == CaseAction.number)).where(
                    CaseAction.action.in_(actions), CaseAction.at >= lo, CaseAction.at < hi,
                    ~Case.consulted))

    def numbers(*actions: str) -> list[str]:
        return [n for (n,) in taken(*actions).tuples()]

    completed = numbers("decide", "complete_immediate")
    immediate = len(numbers("complete_immediate"))
    decided = states_of(list(Case.select().where(
        Case.number.in_(taken("decide", "complete_immediate")))))
    days = [case_clock.handling_workdays(decided[n], calendar) or 0 for n in completed]
    accepted_numbers = numbers("accept", "complete_immediate")
    accepted = len(accepted_numbers)
    # 办结率: of the cases accepted in the period, those completed by now, so it cannot pass
    # 100 % (completed ÷ accepted could: the period also completes older cases).
    done_of_accepted = (CaseAction.select().where(
        CaseAction.action.in_(("decide", "complete_immediate")),
        CaseAction.number.in_(accepted_numbers)).count() if accepted_numbers else 0)
    return {"from": start.isoformat(), "to": end.isoformat(),
            "received": Case.select().where(Case.received_at >= lo, Case.received_at < hi,
                                             ~Case.consulted).count(),
            "accepted": accepted, "not_accepted": len(numbers("not_accept")),
            "completed": len(completed), "completed_immediately": immediate,
            "completion_rate": _rate(done_of_accepted, accepted),
            "immediate_rate": _rate(immediate, len(completed)),
            "average_handling_days": round(sum(days) / len(days), 2) if days else None}


def figures(today: datetime.date, *, yellow_within: int = 2) -> dict:
    """Today's and this month's figures, and the open cases overdue or due soon as of today."""
    calendar = calendar_in_force()
    open_cases = queue(None, today, yellow_within=yellow_within)
    promised = [c for c in open_cases if c["clock"] == "promised"]
    return {"as_of": today.isoformat(),
            "today": period(today, today, calendar),
            "month": period(today.replace(day=1), today, calendar),
            # 在办: accepted and not yet decided; cases still before acceptance have no promise.
            "open": len(promised),
            "overdue": sum(c["warning"] == "red" for c in promised),
            "due_soon": sum(c["warning"] == "yellow" for c in promised)}
