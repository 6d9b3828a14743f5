"""差评整改 at the hub: every order in the user's scope with its light, and the appeals
(申诉) a district admin (its district's centers) or a city operator decides.

``/rectifications`` the page, ``/api/rectifications`` the same as JSON;
``POST /rectifications/<number>/decision`` (form) and
``POST /api/rectifications/<number>/decision`` (``{decision, note}``) decide an appeal.
Auditors read; they decide nothing.
"""
from __future__ import annotations

import datetime

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from hub.cases import rectifications
from hub.staff import visible
from sync import case_clock
from sync import rectification as rules
from sync.case_labels import EVALUATION_LEVELS
from sync.case_records import iso
from sync.errors import ConflictError, ValidationError
from web.auth import current_user, requires
from web.errors import json_object

bp = Blueprint("rectification_pages", __name__)
DECIDERS = ("operator", "district_admin")


def _decide(number: str, form) -> dict:
    at = datetime.datetime.now(case_clock.CHINA).replace(microsecond=0)
    return rectifications.decide(number, visible(), form.get("decision", ""),
                                 form.get("note", ""), current_user().username, iso(at))


@bp.get("/rectifications")
@requires()
def page(message: str = "", status: int = 200, failed: str = ""):
    items = rectifications.listing(visible(), case_clock.china_today())
    return render_template("rectifications.html", items=items, levels=EVALUATION_LEVELS,
                           decisions=rectifications.DECISIONS, message=message, failed=failed,
                           can_decide=bool(set(DECIDERS) & current_user().role_set),
                           counts={k: sum(i["light"] == k for i in items) for k in rules.LIGHTS},
                           pending=sum(i["appeal_state"] == "pending" for i in items)), status


@bp.post("/rectifications/<number>/decision")
@requires(*DECIDERS)
def decide_page(number: str):
    try:
        done = _decide(number, request.form)
    except (ValidationError, ConflictError) as exc:
        return page(exc.detail.split(": ", 1)[-1],
                    422 if isinstance(exc, ValidationError) else 409, number)
    flash(f"已审核 {number} 的申诉：{rectifications.DECISIONS[done['appeal_state']]}")
    return redirect(url_for(".page"), 303)


@bp.get("/api/rectifications")
@requires()
def api_list():
    return jsonify({"orders": rectifications.listing(visible(), case_clock.china_today())})


@bp.post("/api/rectifications/<number>/decision")
@requires(*DECIDERS)
def api_decide(number: str):
    body = json_object()
    return jsonify(_decide(number, body)), 201
