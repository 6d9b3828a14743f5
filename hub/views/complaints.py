"""投诉 at the hub: the online hall's form ``/complain`` (and ``POST /api/complaints``) and
``/complain/mine`` (citizen login; the complaint goes to the center concerned), and the
staff's ``/complaints``: every complaint in scope, overdue ones first (read only: the
center admin answers)."""
from __future__ import annotations

import datetime

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from hub.calendar.in_force import calendar_in_force
from hub.cases import complaints
from hub.staff import visible
from sync import case_clock
from sync import complaints as rules
from sync.case_records import iso
from sync.errors import ValidationError
from sync.topology import load_topology
from web.auth import requires
from web.citizen_auth import citizen_required, current_citizen
from web.errors import json_object

bp = Blueprint("complaint_pages", __name__)


def _file(body) -> dict:
    citizen = current_citizen()
    row = complaints.file(str(body.get("category") or ""), body.get("text", ""),
                          case_number=str(body.get("case_number") or ""),
                          center=str(body.get("center") or ""), phone=citizen.phone,
                          id_code=citizen.id_code,
                          at=iso(datetime.datetime.now(case_clock.CHINA).replace(microsecond=0)))
    return {**rules.view(row, calendar_in_force(), case_clock.china_today()), "center": row.center}


def _form(message: str = "", status: int = 200, values=None):
    centers = [(c.code, c.name) for c in load_topology().centers]
    return render_template("complain/form.html", categories=rules.CATEGORIES, centers=centers,
                           values=values or {}, message=message, days=rules.ANSWER_DAYS,
                           action=url_for(".file_page"), mine=url_for(".mine")), status


@bp.get("/complain")
@citizen_required
def file_page():
    """``?case=``: the case the citizen came from, filled in already."""
    return _form(values={"case_number": request.args.get("case", "")})


@bp.post("/complain")
@citizen_required
def file():
    try:
        _file(request.form)
    except ValidationError as exc:
        return _form(exc.detail.split(": ", 1)[-1], 422, request.form)
    flash(f"投诉已提交并转至所涉中心，中心管理员将在 {rules.ANSWER_DAYS} 个工作日内答复。")
    return redirect(url_for(".mine"), 303)


@bp.post("/api/complaints")
@citizen_required
def api_file():
    return jsonify(_file(json_object())), 201


@bp.get("/complain/mine")
@citizen_required
def mine():
    items = complaints.listing(None, case_clock.china_today(), phone=current_citizen().phone)
    return render_template("complain/mine.html", items=items, file=url_for(".file_page"))


@bp.get("/complaints")
@requires()
def staff_page():
    items = complaints.listing(visible(), case_clock.china_today())
    return render_template("complaints.html", items=items, days=rules.ANSWER_DAYS,
                           counts={k: sum(i["state"] == k for i in items) for k in rules.STATES})
