"""Figures from the case rollups: any center's subtree, any period, with the previous one.

A district's figures are its own center's plus its streets'; the city's are
every center's. ``drilldown`` splits a center's figures into its children's,
and they add up to it (a test says so).
"""
from __future__ import annotations

import datetime

from peewee import fn

from hub.models import CaseRollup
from hub.rollups import FIELDS
from sync.topology import Topology, load_topology


def subtree(code: str, topology: Topology) -> list[str]:
    """The center and every center below it."""
    found, todo = [], [code]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(c.code for c in topology.children(current))
    return found


def figures(centers: list[str], start: datetime.date, end: datetime.date) -> dict:
    """Counters summed over ``centers`` and the days ``start`` … ``end``, with the rates."""
    sums = (CaseRollup.select(*[fn.COALESCE(fn.SUM(getattr(CaseRollup, f)), 0) for f in FIELDS])
            .where(CaseRollup.center.in_(centers)
                   & CaseRollup.day.between(start.isoformat(), end.isoformat()))
            .tuples().first())
    result = dict(zip(FIELDS, (int(v) for v in sums)))
    completed = result["completed"]
    result["completion_rate"] = _rate(completed, result["accepted"])
    result["immediate_rate"] = _rate(result["completed_immediately"], completed)
    result["average_handling_days"] = (round(result["handling_days"] / completed, 2)
                                       if completed else None)
    return result


def _rate(part: int, whole: int) -> float | None:
    # Rates are shown, never hashed or signed, so a float is fine here.
    return round(part / whole, 4) if whole else None


def previous_period(start: datetime.date, end: datetime.date) -> tuple[datetime.date, datetime.date]:
    length = end - start + datetime.timedelta(days=1)
    return start - length, end - length


def report(code: str, start: datetime.date, end: datetime.date,
           topology: Topology | None = None) -> dict:
    """A center's figures for the period and the one before, and its children's."""
    topology = topology or load_topology()
    center = topology.get(code)
    before = previous_period(start, end)
    children = [{"code": c.code, "name": c.name, "level": c.level,
                 "figures": figures(subtree(c.code, topology), start, end)}
                for c in topology.children(code)]
    return {"code": center.code, "name": center.name, "level": center.level,
            "from": start.isoformat(), "to": end.isoformat(),
            "figures": figures(subtree(code, topology), start, end),
            "own": figures([code], start, end),
            "previous": {"from": before[0].isoformat(), "to": before[1].isoformat(),
                         "figures": figures(subtree(code, topology), *before)},
            "children": children}
