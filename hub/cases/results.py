"""The decided cases a department's business system pulls (``/dept/v1/results``).

A department sees the results of its own matters only (the matter's ``department`` in
the catalog, kept on each case's row): every case decided so far, in the order the
decisions were made, a page at a time after a cursor (the last one's decision time and
number), so a system that pulls again continues where it stopped.
"""
from __future__ import annotations

import orjson

from hub.models import HubCase
from sync import matter_codes
from sync.errors import Forbidden, ValidationError

MAX_PAGE = 500


def _cursor(since) -> tuple[str, str]:
    if since in (None, ""):
        return "", ""
    decided_at, _, number = since.partition("|") if isinstance(since, str) else ("", "", "")
    if not decided_at or not number:
        raise ValidationError("since: 游标应为上次答复的 next 原样", field="since")
    return decided_at, number


def results(department: str, *, since=None, limit: int = MAX_PAGE,
            matter: str | None = None, in_force: dict[str, dict]) -> dict:
    """A page of ``department``'s decided cases after ``since``; ``next`` to continue
    (None when none is left). ``in_force``: the catalog, to check a ``matter`` filter.

    :raises Forbidden: ``matter`` is another department's. :raises ValidationError: a
        malformed cursor.
    """
    decided_at, number = _cursor(since)
    if matter is not None:
        matter = matter_codes.resolve(matter, in_force, matter_codes.index(in_force.values())) or matter
        owner = in_force.get(matter, {}).get("department")
        if owner != department:
            raise Forbidden(f"事项 {matter} 不是本部门（{department}）的事项", reason="scope")
    query = (HubCase.select(HubCase.number, HubCase.center, HubCase.matter_code, HubCase.matter,
                            HubCase.state, HubCase.outcome, HubCase.decided_at,
                            HubCase.document_number, HubCase.received)
             .where((HubCase.department == department) & HubCase.decided_at.is_null(False)
                    & ((HubCase.decided_at > decided_at)
                       | ((HubCase.decided_at == decided_at) & (HubCase.number > number))))
             .order_by(HubCase.decided_at, HubCase.number).limit(limit + 1))
    if matter is not None:
        query = query.where(HubCase.matter_code == matter)
    rows = list(query.tuples())
    page = [_result(*row) for row in rows[:limit]]
    more = len(rows) > limit
    return {"results": page,
            "next": f"{page[-1]['decided_at']}|{page[-1]['number']}" if more else None}


def _result(number, center, matter_code, matter, state, outcome, decided_at, document_number,
            received) -> dict:
    applicant = orjson.loads(received)["applicant"]
    return {"number": number, "center": center, "matter_code": matter_code,
            "matter_name": orjson.loads(matter)["name"], "state": state, "outcome": outcome,
            "decided_at": decided_at, "document_number": document_number,
            # The department decides on this applicant's behalf: the whole identity, no phone.
            "applicant": {k: applicant[k] for k in ("kind", "name", "id_code", "id_type")
                          if k in applicant}}
