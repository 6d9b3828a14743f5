"""One case as the hub holds it: the whole timeline, whoever wrote each step.

``/cases/<number>`` and ``/api/cases/<number>`` show the hub's replay of the
signed events of every center that held or was consulted on the case: the
collecting center, the handling center of each handoff, and the centers a
joint approval consulted (并联审批), each step with the center that signed it.
Operators and auditors see any case; a district admin a case one of whose
centers is in its district (else 403, as for any center outside its scope).

The page lists the case's 电子监察 cards now; on a yellow one a district admin (of the
collecting center's district) or an operator issues a 督办 order
(``POST /cases/<number>/orders``, ``POST /api/cases/<number>/orders`` with
``{clock, department, due, note}``; ``hub.cases.orders``).
"""
from __future__ import annotations

import orjson
import datetime

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from hub.calendar.in_force import calendar_in_force
from hub.cases import orders
from hub.cases.cards import hub_cards
from hub.cases.copies import log_of, state_of
from hub.cases.handoffs import consulted_centers
from hub.ledger.ownership import owner_of
from hub.cases.search import search
from hub.ledger.signed_events import signed_events
from hub.models import HubCase
from hub.staff import visible
from hub.views.spreadsheets import xlsx_response
from sync import case_clock, case_labels, case_machine, case_records
from sync.case_numbers import parse_case_number
from sync.catalog_history import load_departments
from sync.catalog_search import department_name
from sync.errors import ConflictError, Forbidden, NotFound, ValidationError
from sync.identity_codes import RESIDENT_ID
from sync.topology import load_topology
from web.auth import current_user, requires
from web.errors import json_object
from web.frame import masked_id
from web.pagination import PER_PAGE

bp = Blueprint("case_pages", __name__)
ORDERING = ("operator", "district_admin")  # who issues 督办 orders (auditors read)


def case_view(number: str) -> dict:
    """The hub's copy of the case, for a logged-in hub user allowed to see it."""
    parse_case_number(number, field="number")
    row = HubCase.get_or_none(HubCase.number == number)
    if row is None:
        raise NotFound(f"市中心没有办件 {number}")
    case = state_of(row)
    parties = {row.center} | {h.target for h in case.handoffs} | consulted_centers(case)
    if not parties & visible():
        raise Forbidden(f"case {number} has no center in your scope {current_user().center}",
                        reason="scope")
    signers = [event["origin"] for event in signed_events([number])[number]]
    steps = [{"action": case_machine.RECEIVE, "user": orjson.loads(row.received)["user"]}] + \
        log_of(number)
    holder = owner_of(case_records.record_of(number))
    departments, name = load_departments(), load_topology().name_of
    received = orjson.loads(row.received)
    return {
        "number": number, "matter": orjson.loads(row.matter)["name"],
        "applicant": shown_party(received["applicant"]),
        # 委托代理人; None when the applicant came in person (and in every case before agents)
        "agent": shown_party(received["agent"]) if received.get("agent") else None,
        "matter_code": row.matter_code, "state": case.state,
        "state_label": case_labels.STATES[case.state],
        "collecting": row.center, "collecting_name": name(row.center),
        "holder": holder, "holder_name": name(holder) if holder else "",
        "due_date": row.due_date, "due_provisional": _provisional(row.due_date),
        "outcome": row.outcome, "document_number": row.document_number,
        "history": [{"action": s.action, "label": case_machine.ACTIONS[s.action].label,
                     "at": case_records.iso(s.at), "role": s.role, "reason": s.reason,
                     "user": step["user"],
                     # Logins stay at their center (never synced): the page names the post.
                     "role_label": case_labels.ROLES.get(s.role, s.role),
                     "center": signers[i] if i < len(signers) else None,
                     "center_name": name(signers[i]) if i < len(signers) else ""}
                    for i, (s, step) in enumerate(zip(case.history, steps))],
        "handoffs": [{"target": h.target, "target_name": name(h.target),
                      "sent_at": case_records.iso(h.sent_at), "waybill": h.waybill,
                      "taken_at": case_records.iso(h.taken_at) if h.taken_at else None,
                      "returned_at": case_records.iso(h.returned_at) if h.returned_at else None,
                      "return_reason": h.return_reason} for h in case.handoffs],
        "joint": [{"department": s.department,
                   "department_name": department_name(s.department, departments),
                   "deadline": s.deadline.isoformat(),
                   "center": s.center, "center_name": name(s.center) if s.center else "",
                   "decision": s.decision, "reason": s.reason, "missing": list(s.missing)}
                  for s in case.joint],
        "cards": [{**card.as_dict(), "order_by_name": name(card.order.by) if card.order else ""}
                  for card in hub_cards(case_clock.china_today(), [row.center],
                                        number=number).get(row.center, [])],
        # Orders are for the collecting center's district or the city; the page offers the
        # form only then (``orders.issue`` checks it again).
        "can_order": bool(set(ORDERING) & current_user().role_set) and row.center in visible(),
    }


def shown_party(party: dict) -> dict:
    """An applicant's or agent's name and document, the number masked as on the window's
    pages: supervising a case never needs the whole number, nor the phone."""
    kind = party.get("kind", "person")  # an agent is always a person
    return {"name": party["name"], "kind": kind,
            "id_type": (party.get("id_type") or RESIDENT_ID) if kind == "person" else None,
            "id_code": masked_id(party["id_code"], kind)}


def _provisional(due_date: str | None) -> bool:
    """Counted through a year the calendar does not hold yet (so Monday to Friday there):
    the day may move when the State Council publishes that year. A new calendar version
    recounts such days (``hub.calendar.authority``), so the stored day's year tells."""
    return bool(due_date) and not calendar_in_force().covers(
        datetime.date.fromisoformat(due_date))


@bp.get("/cases/<number>")
@requires()
def case_page(number: str, message: str = "", status: int = 200):
    """A case's whole timeline, as the hub holds it, and its cards."""
    return render_template("case.html", c=case_view(number), message=message,
                           joint_decisions=case_labels.JOINT_DECISIONS), status


def _issue(number: str, form) -> dict:
    at = datetime.datetime.now(case_clock.CHINA).replace(microsecond=0)
    user = current_user()
    return orders.issue(number, form, scope=visible(), by=user.center, user=user.username,
                        today=case_clock.china_today(), at=case_records.iso(at))


@bp.post("/cases/<number>/orders")
@requires(*ORDERING)
def order_page(number: str):
    """The case page's 督办 form; a refused one shows the page again saying why."""
    try:
        card = _issue(number, request.form)
    except (ValidationError, ConflictError) as exc:
        return case_page(number, exc.detail.split(": ", 1)[-1], exc.status)
    flash(f"已督办 {number} 的{card['clock_label']}黄牌，期限 {card['order_due']}")
    return redirect(url_for(".case_page", number=number), 303)


@bp.post("/api/cases/<number>/orders")
@requires(*ORDERING)
def order_json(number: str):
    """``{clock, department?, due, note}`` → 201 and the card with its order."""
    body = json_object()
    return jsonify(_issue(number, body)), 201


@bp.get("/api/cases/<number>")
@requires()
def case_json(number: str):
    """The same as JSON."""
    return jsonify(case_view(number))


def _found(per_page: int = PER_PAGE):
    return search(request.args, visible(), per_page=per_page,
                  everything=current_user().center == load_topology().hub.code)


@bp.get("/cases")
@requires()
def search_page():
    """全市办件查询: the cases of the login's scope by number, center, matter, state, days."""
    scope = visible()
    centers = [c for c in load_topology().centers if c.code in scope]
    return render_template("cases.html", found=_found(), centers=centers,
                           states=case_labels.STATES)


@bp.get("/api/cases")
@requires()
def search_json():
    """The same page as JSON: ``{total, page, pages, cases}``."""
    found = _found()
    return jsonify({"total": found.total, "page": found.number, "pages": found.pages,
                    "cases": list(found.items)})


XLSX_COLUMNS = ("办件编号", "收件中心", "中心编码", "事项编码", "事项名称", "状态", "收件时间", "承诺办结")
XLSX_ROWS = 10_000  # one sheet a person can open; narrow the query for more


@bp.get("/api/cases.xlsx")
@requires()
def search_xlsx():
    """The query's first 10,000 cases in an Excel workbook."""
    rows = [list(XLSX_COLUMNS)] + [
        [c["number"], c["center_name"], c["center"], c["matter_code"], c["matter_name"],
         c["state_label"], c["received_at"], c["due_date"]]
        for c in _found(XLSX_ROWS).items]
    return xlsx_response(rows, title="办件查询", filename="cases.xlsx")
