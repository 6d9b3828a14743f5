"""District supervision pages (督导, read only): the streets' queues, overdue cases and handoffs.

At a district node, from the copy the hub relays (``node.supervised``):
``/supervision/`` its streets with open, overdue (red), due-soon (yellow) and
handed-off cases; ``/supervision/<street>`` that street's open cases by urgency
as the window's queue orders them; ``/supervision/cases/<number>`` one case and
its timeline. ``/api/supervision/…`` answers the same as JSON (``node/openapi.json``).

Nothing here writes. A street node, or a district asking about another
district's street, gets 403 FORBIDDEN (reason ``supervision``).
"""
from __future__ import annotations

import datetime

import orjson
from flask import Blueprint, jsonify, render_template
from peewee import fn

from node import store, supervised, window
from node.handoffs import described
from node.models import SupervisedCase
from node.queue import WARNING_ORDER, clock
from node.work_calendar import calendar_in_force
from sync import case_labels, case_machine, case_records, case_state
from sync.case_numbers import case_number, parse_case_number
from sync.errors import Forbidden, NotFound, ValidationError
from sync.supervision import streets_of
from sync.topology import Center, load_topology
from web.auth import DENIED, requires

bp = Blueprint("supervision", __name__, url_prefix="/supervision")
api_bp = Blueprint("supervision_api", __name__, url_prefix="/api/supervision")
# Oversight, not casework: the center's admins and its auditors.
READERS = ("center_admin", "auditor")


# -- what the pages and the API show ----------------------------------------------------

def _streets() -> list[Center]:
    """This district's streets; 403 at a node that is not a district's."""
    topology = load_topology()
    return [topology.by_code[code] for code in streets_of(store.state().center, topology)]


def _street(code: str) -> Center:
    """One of this district's streets; 404 for no such center, 403 for any other."""
    center = load_topology().by_code.get(code)
    if center is None:
        raise NotFound(f"没有编码为 {code} 的政务服务中心")
    if code not in {s.code for s in _streets()}:
        raise Forbidden(f"{center.name}（{code}）不是本区的街道，本中心不能督导", reason="supervision")
    return center


def _item(row: SupervisedCase, case: case_state.CaseState, today: datetime.date,
          yellow: int, calendar) -> dict:
    return {"number": row.number, "street": row.street, "matter_code": row.matter_code,
            "matter_name": orjson.loads(row.matter)["name"], "applicant_name": row.applicant_name,
            "applicant_kind": row.applicant_kind, "state": case.state,
            "state_label": case_labels.STATES[case.state], "green_channel": row.green_channel,
            "received_at": row.received_at, "promised_date": row.promised_date,
            "holder": row.holder, "holder_name": load_topology().name_of(row.holder),
            "handed_off": row.holder != row.street,
            **clock(row, case, today, yellow_within=yellow, calendar=calendar)}


def open_cases(streets: list[str], today: datetime.date, yellow: int) -> list[dict]:
    """The streets' open cases, most urgent first (green channel, red, yellow, as the window)."""
    calendar = calendar_in_force()
    items = []
    for row in SupervisedCase.select().where(SupervisedCase.street.in_(streets),
                                             SupervisedCase.state.not_in(case_labels.TERMINAL)):
        case, _log = supervised.replayed(row)
        items.append(_item(row, case, today, yellow, calendar))
    items.sort(key=lambda i: (not i["green_channel"], WARNING_ORDER[i["warning"]],
                              i["deadline"] or "9999-12-31", i["received_at"]))
    return items


def overview(today: datetime.date, yellow: int) -> dict:
    """Per street: cases held, open, overdue (red), due soon (yellow), handed off now."""
    streets = _streets()
    held = dict(SupervisedCase.select(SupervisedCase.street, fn.COUNT(SupervisedCase.number))
                .group_by(SupervisedCase.street).tuples())
    rows = {s.code: {"code": s.code, "name": s.name, "cases": held.get(s.code, 0), "open": 0,
                     "red": 0, "yellow": 0, "green_channel": 0, "handed_off": 0}
            for s in streets}
    for item in open_cases(list(rows), today, yellow):
        counts = rows[item["street"]]
        counts["open"] += 1
        counts["red"] += item["warning"] == "red"
        counts["yellow"] += item["warning"] == "yellow"
        counts["green_channel"] += item["green_channel"]
        counts["handed_off"] += item["handed_off"]
    center = store.state().center
    totals = {key: sum(r[key] for r in rows.values())
              for key in ("cases", "open", "red", "yellow", "green_channel", "handed_off")}
    return {"district": center, "name": load_topology().name_of(center),
            "as_of": today.isoformat(),
            "subscription": supervised.subscribed(), "totals": totals,
            "streets": list(rows.values())}


def street_queue(code: str, today: datetime.date, yellow: int) -> dict:
    street = _street(code)
    items = open_cases([street.code], today, yellow)
    return {"street": street.code, "name": street.name, "as_of": today.isoformat(),
            "count": len(items), "cases": items}


def case_view(number: str, today: datetime.date, yellow: int) -> dict:
    """One supervised case: where it stands, its clock and its whole timeline."""
    parts = parse_case_number(number, field="number")
    street = _street(parts.center)
    row, case, log = supervised.load(case_number(parts.center, parts.day, parts.seq))
    received = orjson.loads(row.received)
    steps = [({}, received["user"])] + [(a["data"], a["user"]) for a in log]
    return {**_item(row, case, today, yellow, calendar_in_force()), "street_name": street.name,
            "matter": orjson.loads(row.matter), "applicant": received["applicant"],
            "accepted_at": row.accepted_at, "decided_at": row.decided_at,
            "outcome": row.outcome, "document_number": row.document_number,
            "handoffs": described(case, row),
            "history": [{"action": s.action, "label": case_machine.ACTIONS[s.action].label,
                         "at": case_records.iso(s.at), "role": s.role, "reason": s.reason,
                         "user": user, "data": data, "center": center,
                         "center_name": load_topology().name_of(center)}
                        for s, (data, user), center in zip(
                            case.history, steps, case_records.signers(received, log))]}


# -- pages ---------------------------------------------------------------------------------

# The window's frame (header, staff bar, label tables): these pages extend window/base.html.
bp.context_processor(window._frame)


@bp.errorhandler(Forbidden)
def _forbidden(error: Forbidden):
    reason = error.extra.get("reason")
    message = error.detail if reason == "supervision" else DENIED.get(reason, DENIED["role"])
    return render_template("auth/denied.html", title="无权访问", message=message), 403


@bp.errorhandler(NotFound)
@bp.errorhandler(ValidationError)
def _not_found(error):
    # A case or street that is not there, or a malformed number: a page that does not exist.
    return render_template("window/problem.html", status=404, text=window.message(error)), 404


@bp.get("/")
@requires(*READERS)
def index():
    """This district's streets: open, overdue, due-soon and handed-off cases of each."""
    return render_template("supervision/index.html",
                           o=overview(window.today(), window.yellow_days()),
                           yellow=window.yellow_days())


@bp.get("/<street>")
@requires(*READERS)
def street_page(street: str):
    """One street's open cases, most urgent first."""
    return render_template("supervision/street.html",
                           q=street_queue(street, window.today(), window.yellow_days()),
                           yellow=window.yellow_days())


@bp.get("/cases/<number>")
@requires(*READERS)
def case_page(number: str):
    """One street case and its timeline (read only)."""
    return render_template("supervision/case.html",
                           c=case_view(number, window.today(), window.yellow_days()))


# -- the same as JSON ------------------------------------------------------------------------

@api_bp.get("")
@requires(*READERS)
def get_overview():
    """This district's streets with their open, overdue, due-soon and handed-off cases."""
    return jsonify(overview(window.today(), window.yellow_days()))


@api_bp.get("/<street>")
@requires(*READERS)
def get_street(street: str):
    """One street's open cases, most urgent first."""
    return jsonify(street_queue(street, window.today(), window.yellow_days()))


@api_bp.get("/cases/<number>")
@requires(*READERS)
def get_case(number: str):
    """One supervised case with its clock and timeline."""
    return jsonify(case_view(number, window.today(), window.yellow_days()))
