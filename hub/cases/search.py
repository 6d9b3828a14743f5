"""全市办件查询: the hub's copies of cases found by number, center, matter, state and day
received, within the logged-in user's scope, a page at a time.

Every filter runs on an index at the city's millions: the number as a prefix (the
primary key's range), the center, the matter and the state. The list is in case-number
order, newest first: a number carries its center and its day (``sync.case_numbers``), so
one center's list is its newest cases first.
"""
from __future__ import annotations

import datetime

import orjson

from hub.models import CatalogMatter, HubCase
from sync import case_labels
from sync.errors import Forbidden, ValidationError
from sync.topology import load_topology
from web import matter_lookup
from web.pagination import PER_PAGE, Page, page, page_count, page_number

COLUMNS = (HubCase.number, HubCase.center, HubCase.matter, HubCase.state, HubCase.received_at,
           HubCase.due_date)


def _day(args, name: str) -> str | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw).isoformat()
    except ValueError:
        raise ValidationError(f"{name}: 日期应写作年-月-日，例如 2026-11-05；填写的是 {raw!r}",
                              field=name) from None


def search(args, scope: frozenset[str], *, everything: bool, per_page: int = PER_PAGE) -> Page:
    """The page ``?page=`` of the cases matching ``?number=&center=&matter=&state=&from=&to=``
    (``everything``: the whole city is in scope, so no list of centers is needed)."""
    query = HubCase.select(*COLUMNS)
    number = (args.get("number") or "").strip().upper()
    if len(number) > 40:
        raise ValidationError("number: 办件编号不超过 40 个字符", field="number")
    if number:  # a prefix: the range of the primary key
        query = query.where(HubCase.number >= number, HubCase.number < number + "\uffff")
    center = (args.get("center") or "").strip()
    if center:
        load_topology().get(center)  # 404 CENTER_UNKNOWN
        if center not in scope:
            raise Forbidden(f"center {center} is outside your scope", reason="scope")
        query = query.where(HubCase.center == center)
    elif not everything:
        query = query.where(HubCase.center.in_(sorted(scope)))
    matter = (args.get("matter") or "").strip().upper()
    if matter:
        query = query.where(HubCase.matter_code == (matter_lookup.basic_code(CatalogMatter, matter)
                                                    or matter))
    state = args.get("state") or ""
    if state:
        if state not in case_labels.STATES:
            raise ValidationError(f"state: 未知的办件状态 {state!r}", field="state")
        query = query.where(HubCase.state == state)
    start, end = _day(args, "from"), _day(args, "to")
    if start:
        query = query.where(HubCase.received_at >= start)
    if end:  # times are China local ISO text: the day's end is the next day's start
        after = (datetime.date.fromisoformat(end) + datetime.timedelta(days=1)).isoformat()
        query = query.where(HubCase.received_at < after)
    total = query.count()
    number_of_page = page_number(args, page_count(total, per_page))
    rows = (query.order_by(HubCase.number.desc()).limit(per_page)
            .offset((number_of_page - 1) * per_page).tuples())
    name_of = load_topology().name_of
    items = [{"number": n, "center": c, "center_name": name_of(c),
              "matter_code": orjson.loads(m)["basic_code"], "matter_name": orjson.loads(m)["name"],
              "state": s, "state_label": case_labels.STATES[s], "received_at": r, "due_date": d}
             for n, c, m, s, r, d in rows]
    return page(items, number_of_page, total, per_page)
