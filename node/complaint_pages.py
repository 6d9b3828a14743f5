"""投诉 at a node: the citizen's form ``/complain`` (and ``POST /api/complaints``) and
``/complain/mine`` (citizen login), and the center admin's list ``/complaints/`` with the
answer forms."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, \
    url_for

from node import complaints, store, window
from node.work_calendar import calendar_in_force
from sync import case_clock
from sync import complaints as rules
from sync.errors import ConflictError, ValidationError
from web.auth import current_user, requires
from web.citizen_auth import citizen_required, current_citizen
from web.errors import json_object

bp = Blueprint("complaint_pages", __name__)
staff_bp = Blueprint("complaint_staff", __name__)
staff_bp.context_processor(window._frame)  # the window's staff bar


def _keys():
    return store.load_keys(current_app.config["HALLSYNC"]["data_dir"])


def _file(body) -> dict:
    citizen = current_citizen()
    row = complaints.file(_keys(), store.state().center, str(body.get("category") or ""),
                          body.get("text", ""), phone=citizen.phone, id_code=citizen.id_code,
                          case_number=str(body.get("case_number") or ""))
    return {**rules.view(row, calendar_in_force(), case_clock.china_today()),
            "center": store.state().center}


def _form(message: str = "", status: int = 200, values=None):
    return render_template("complain/form.html", categories=rules.CATEGORIES, centers=None,
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
    flash(f"投诉已提交，中心管理员将在 {rules.ANSWER_DAYS} 个工作日内答复。")
    return redirect(url_for(".mine"), 303)


@bp.post("/api/complaints")
@citizen_required
def api_file():
    return jsonify(_file(json_object())), 201


@bp.get("/complain/mine")
@citizen_required
def mine():
    items = complaints.listing(case_clock.china_today(), phone=current_citizen().phone)
    return render_template("complain/mine.html", items=items, file=url_for(".file_page"))


@staff_bp.get("/complaints/")
@requires("center_admin", "auditor")
def staff_page(message: str = "", status: int = 200):
    items = complaints.listing(case_clock.china_today())
    return render_template("complain/staff.html", items=items, message=message,
                           can_answer="center_admin" in current_user().role_set,
                           days=rules.ANSWER_DAYS, counts={k: sum(i["state"] == k for i in items)
                                                           for k in rules.STATES}), status


@staff_bp.post("/complaints/<complaint_id>/answer")
@requires("center_admin")
def answer_page(complaint_id: str):
    try:
        complaints.answer(_keys(), store.state().center, complaint_id,
                          request.form.get("answer", ""), current_user().username)
    except (ValidationError, ConflictError) as exc:
        return staff_page(exc.detail.split(": ", 1)[-1],
                          422 if isinstance(exc, ValidationError) else 409)
    flash("已答复，已短信告知投诉人")
    return redirect(url_for(".staff_page"), 303)
