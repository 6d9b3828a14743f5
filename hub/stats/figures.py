"""Figures from the case rollups: any center's subtree, any period, with the previous one.

A district's figures are its own center's plus its streets'; the city's are
every center's. ``report`` gives a center's figures, its own, its children's
(they add up to it: a test says so) and the previous period's, optionally for
one department or one matter. Each period reads one query per table: whole
months from the monthly rollups, the days left over from the daily ones,
grouped by center and summed up the tree here, so a year of the city is a
few thousand rows (``hallsync bench stats`` measures it).
"""
from __future__ import annotations

import datetime
import functools
from collections import Counter
from collections.abc import Iterable

from peewee import SQL, fn

from hub.cases import appointments, complaints
from hub.cases.cards import open_counts
from hub.models import (OPEN_LITERAL, CaseRollup, CaseRollupMonth, CatalogMatter, CenterRollupDay,
                        CenterRollupMonth, HubCase)
from hub.stats.periods import Period
from hub.stats.rollups import DAY_BUCKETS, FIELDS
from sync import case_labels, matter_codes
from sync.cards import LEVELS
from sync.case_clock import china_today
from sync.catalog_history import load_departments, load_matters
from sync.errors import Code, ValidationError
from sync.topology import Topology, load_topology
from web import matter_lookup

# Figures the article names that no event carries yet: shown as such, never invented.
# (Empty now: 好差评, registered capital and project investment travel with the case events.)
NOT_AVAILABLE: dict[str, str] = {}
_PAUSED = tuple(case_labels.PAUSED)


@functools.cache
def _shipped_matters() -> tuple[frozenset[str], dict[str, str]]:
    # The seed catalog's codes, and its national codes; matters added later are in the
    # hub's CatalogMatter table.
    matters = load_matters()
    return (frozenset(m.basic_code for m in matters),
            {m.national_code: m.basic_code for m in matters if m.national_code})


def check_filters(department: str | None, matter: str | None) -> str | None:
    """Refuse an unknown department or matter code, naming the parameter; the basic code
    the matter filter names (it may be given as the national code)."""
    if department and department not in load_departments():
        raise ValidationError(f"department: 未知的部门代码 {department!r}", field="department")
    if not matter:
        return matter
    basic = (matter_codes.resolve(matter, *_shipped_matters())
             or matter_lookup.basic_code(CatalogMatter, matter))
    if basic is None:
        raise ValidationError(f"matter: 未知的事项编码 {matter!r}", field="matter",
                              code=Code.MATTER_UNKNOWN)
    return basic


def sums(start: datetime.date, end: datetime.date, centers: list[str] | None = None, *,
         department: str | None = None, matter: str | None = None) -> dict[str, list[int]]:
    """Counters (in ``FIELDS`` order) per center over ``start`` … ``end`` (None: every center)."""
    months, days = Period.split(start, end)
    filtered = bool(department or matter)
    month_model = CaseRollupMonth if filtered else CenterRollupMonth
    day_model = CaseRollup if filtered else CenterRollupDay
    found: dict[str, list[int]] = {}
    if months:
        _add_rows(found, month_model, month_model.month.between(months[0], months[-1]),
                  centers, department, matter)
    if days:
        where = None
        for first, last in days:
            span = day_model.day.between(first.isoformat(), last.isoformat())
            where = span if where is None else where | span
        _add_rows(found, day_model, where, centers, department, matter)
    return found


def _add_rows(found: dict, model, where, centers, department, matter) -> None:
    if centers is not None:
        where &= model.center.in_(centers)
    if department:
        where &= model.department == department
    if matter:
        where &= model.matter_code == matter
    columns = [fn.SUM(getattr(model, f)) for f in FIELDS]
    for center, *values in (model.select(model.center, *columns).where(where)
                            .group_by(model.center).tuples().iterator()):
        row = found.setdefault(center, [0] * len(FIELDS))
        for i, value in enumerate(values):
            row[i] += int(value or 0)


def total(rows: dict[str, list[int]], centers: Iterable[str]) -> dict[str, int]:
    """The counters of ``centers`` added up."""
    result = [0] * len(FIELDS)
    for code in centers:
        for i, value in enumerate(rows.get(code, ())):
            result[i] += value
    return dict(zip(FIELDS, result))


def derive(counts: dict[str, int]) -> dict:
    """The counters with the rates the dashboard shows (None where the base is 0).

    No rate can pass 100 %: each divides a part by a whole it belongs to. 办结率 is
    of the cases accepted in the period, the share completed by now
    (``completed_of_accepted ÷ accepted``); completed ÷ accepted could pass it, since a
    period also completes cases accepted before it (a tile once showed 100.3 %).
    """
    result = dict(counts)
    completed = counts["completed"]
    promised = completed - counts["completed_immediately"]  # 承诺件 completed
    result["completion_rate"] = _rate(counts["completed_of_accepted"], counts["accepted"])
    result["immediate_rate"] = _rate(counts["completed_immediately"], completed)
    result["on_time_rate"] = _rate(counts["completed_on_time"], promised)
    result["early_rate"] = _rate(counts["completed_early"], promised)
    result["approval_rate"] = _rate(counts["approved"], completed)
    result["not_accepted_rate"] = _rate(counts["not_accepted"], counts["received"])
    result["supplement_rate"] = _rate(counts["supplemented"], counts["received"])
    result["enterprise_share"] = _rate(counts["received_enterprise"], counts["received"])
    result["online_share"] = _rate(counts["received_online"], counts["received"])
    result["average_handling_days"] = (round(counts["handling_days"] / completed, 2)
                                       if completed else None)
    # 承诺件 accepted: an immediate case is accepted and completed at once, counted in both.
    promised_accepted = counts["accepted"] - counts["completed_immediately"]
    result["average_promised_days"] = (round(counts["promised_days"] / promised_accepted, 2)
                                       if promised_accepted else None)
    # 好差评 (domain.md §5): 满意率 counts 非常满意 + 满意 + 基本满意; 差评 = 不满意 + 非常不满意.
    result["satisfaction_rate"] = _rate(counts["satisfied"], counts["evaluated"])
    result["bad_review_rate"] = _rate(counts["bad_reviews"], counts["evaluated"])
    result["evaluation_rate"] = _rate(counts["evaluated_of_completed"], completed)  # 主动评价率
    result["days_distribution"] = {field: _rate(counts[field], completed)
                                   for _first, _last, field in DAY_BUCKETS}
    return result


def figures(centers: list[str], start: datetime.date, end: datetime.date, **filters) -> dict:
    """Counters summed over ``centers`` and the days ``start`` … ``end``, with the rates."""
    return derive(total(sums(start, end, centers, **filters), centers))


def _rate(part: int, whole: int) -> float | None:
    # Rates are shown, never hashed or signed, so a float is fine here.
    return round(part / whole, 4) if whole else None


def pending(centers: list[str] | None, today: datetime.date, *, department: str | None = None,
            matter: str | None = None) -> dict[str, tuple[int, int]]:
    """(open, overdue) cases per center as of ``today``.

    Open (在办): received and not yet completed, refused or withdrawn. Overdue
    (超期): open, accepted, its clock running and its promised day passed; a
    paused case (补正, 特别程序) is not overdue while its clock stands still.
    """
    overdue = fn.SUM(((HubCase.due_date < today.isoformat())
                      & HubCase.state.not_in(_PAUSED)).cast("integer"))
    where = OPEN_LITERAL
    if centers is not None:
        where &= HubCase.center.in_(centers)
    if department:
        where &= HubCase.department == department
    if matter:
        where &= HubCase.matter_code == matter
    query = (HubCase.select(HubCase.center, fn.COUNT(SQL("*")), overdue)
             .where(where).group_by(HubCase.center).tuples())
    return {center: (int(count), int(late or 0)) for center, count, late in query}


def _now(rows: dict[str, tuple[int, int]], cards: dict[str, dict[str, int]],
         centers: Iterable[str]) -> dict:
    """Open and overdue cases now, and the open cases' cards (电子监察) per level."""
    centers = list(centers)
    open_ = sum(rows.get(c, (0, 0))[0] for c in centers)
    late = sum(rows.get(c, (0, 0))[1] for c in centers)
    levels = Counter({level: 0 for level in LEVELS})
    for code in centers:
        levels.update(cards.get(code, {}))
    return {"pending": open_, "overdue": late, "overdue_rate": _rate(late, open_),
            "cards": dict(levels)}


def report(code: str, period: Period, *, department: str | None = None,
           matter: str | None = None, today: datetime.date | None = None,
           topology: Topology | None = None) -> dict:
    """A center's figures for the period, the one before and the same one a year earlier,
    its own (``own``: cases of the center itself, so children + own = the total) and its
    children's; ``now`` (``own_now``, each child's): open and overdue cases and the open
    cases' 电子监察 cards per level as of ``today``; ``complaints`` (own and each child's):
    the 投诉 filed in the period, answered, answered late and open past their due day;
    ``appointments`` (own and each child's): the period's bookings whose applicant came
    (``arrived``) or did not (``no_show``), and the no-show rate."""
    topology = topology or load_topology()
    center = topology.get(code)
    matter = check_filters(department, matter)
    today = today or china_today()
    filters = {"department": department, "matter": matter}
    everyone = topology.subtree(code)
    # The city's subtree is every center: no IN list at all.
    scope = None if code == topology.hub.code else everyone
    before, year_before = period.previous(), period.year_before()
    rows_now = sums(period.start, period.end, scope, **filters)
    rows_before = sums(before.start, before.end, scope, **filters)
    rows_year_before = sums(year_before.start, year_before.end, scope, **filters)
    rows_open = pending(scope, today, **filters)
    rows_cards = open_counts(scope, today, **filters)
    # 投诉 are about a center, not a department or matter: counted unfiltered; so are the
    # bookings' 到场 and 未到场 (appointments.attendance), by the day booked.
    rows_complaints = complaints.counts(scope, period.start, period.end, today)
    rows_attendance = appointments.attendance(scope, period.start, period.end)

    def block(codes: list[str]) -> dict:
        return {"figures": derive(total(rows_now, codes)),
                "previous_figures": derive(total(rows_before, codes)),
                "now": _now(rows_open, rows_cards, codes),
                "complaints": complaints.total(rows_complaints, codes),
                "appointments": appointments.attendance_total(rows_attendance, codes)}

    children = []
    for child in topology.children(code):
        codes = topology.subtree(child.code)
        children.append({"code": child.code, "name": child.name, "level": child.level,
                         **block(codes)})
    whole = block(everyone)
    return {"code": center.code, "name": center.name, "level": center.level,
            "period": period.kind, "label": period.label(),
            "from": period.start.isoformat(), "to": period.end.isoformat(),
            "filters": filters, "figures": whole["figures"],
            "own": derive(total(rows_now, [code])), "own_now": _now(rows_open, rows_cards, [code]),
            "previous": {"from": before.start.isoformat(), "to": before.end.isoformat(),
                         "label": before.label(), "figures": whole["previous_figures"]},
            "year_before": {"from": year_before.start.isoformat(),
                            "to": year_before.end.isoformat(), "label": year_before.label(),
                            "figures": derive(total(rows_year_before, everyone))},
            "now": {"as_of": today.isoformat(), **whole["now"]},
            "complaints": whole["complaints"],
            "own_complaints": complaints.total(rows_complaints, [code]),
            "appointments": whole["appointments"],
            "own_appointments": appointments.attendance_total(rows_attendance, [code]),
            "children": children, "not_available": NOT_AVAILABLE}
