"""在线咨询 at the hub: the online hall's form ``/consult`` and ``/consult/mine`` (citizen
login; the question goes to the chosen center), and the staff's ``/consultations``:
every question in scope, overdue ones first, and an operator's 发布为常见问题."""
from __future__ import annotations

import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from hub.catalog import authority
from hub.cases import consultations
from hub.staff import visible
from sync import case_clock
from sync import consultation as rules
from sync.case_records import iso
from sync.errors import ConflictError, NotFound, ValidationError
from sync.topology import load_topology
from web.auth import current_user, requires
from web.citizen_auth import citizen_required, current_citizen

bp = Blueprint("consultation_pages", __name__)


def _form(message: str = "", status: int = 200, values=None):
    matters = sorted(((code, m["name"]) for code, m in authority.in_force().items()),
                     key=lambda m: m[0])
    centers = [(c.code, c.name) for c in load_topology().centers]
    return render_template("consult/form.html", matters=matters, centers=centers,
                           values=values or {}, message=message,
                           action=url_for(".ask_page"), mine=url_for(".mine")), status


@bp.get("/consult")
@citizen_required
def ask_page():
    """``?matter=``: the matter whose guide page the citizen came from, chosen already."""
    return _form(values={"matter_code": request.args.get("matter", "")})


@bp.post("/consult")
@citizen_required
def ask():
    form = request.form
    try:
        consultations.ask(form.get("matter_code", ""), form.get("center", ""),
                          form.get("question", ""), current_citizen().phone,
                          iso(datetime.datetime.now(case_clock.CHINA).replace(microsecond=0)))
    except ValidationError as exc:
        return _form(exc.detail.split(": ", 1)[-1], 422, form)
    flash("咨询已提交并转至所选中心，主管部门将在 1 个工作日内答复。")
    return redirect(url_for(".mine"), 303)


@bp.get("/consult/mine")
@citizen_required
def mine():
    items = consultations.listing(None, case_clock.china_today(),
                                  phone=current_citizen().phone)
    return render_template("consult/mine.html", items=items, ask=url_for(".ask_page"))


@bp.get("/consultations")
@requires()
def staff_page(message: str = "", status: int = 200):
    items = consultations.listing(visible(), case_clock.china_today())
    return render_template("consultations.html", items=items, message=message,
                           can_publish="operator" in current_user().role_set,
                           counts={k: sum(i["state"] == k for i in items)
                                   for k in rules.STATES}), status


@bp.post("/consultations/<consultation_id>/publish")
@requires("operator")
def publish(consultation_id: str):
    try:
        version = consultations.publish(consultation_id, current_user().username,
                                        current_app.extensions["hallsync"].keys,
                                        case_clock.china_today())
    except (NotFound, ConflictError) as exc:
        return staff_page(exc.detail, 404 if isinstance(exc, NotFound) else 409)
    flash(f"已发布为常见问题（目录第 {version} 版），正在下发至各中心。")
    return redirect(url_for(".staff_page"), 303)
