"""在线咨询 at a node: the citizen's form ``/consult`` and ``/consult/mine`` (citizen login),
and the staff's list ``/consultations/`` with the answer forms."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from node import consultation, departments, store, window
from node.catalog import matters_in_force
from sync import case_clock
from sync import consultation as rules
from sync.errors import ConflictError, ValidationError
from web.auth import current_user, requires
from web.citizen_auth import citizen_required, current_citizen

bp = Blueprint("consultation_pages", __name__)
staff_bp = Blueprint("consultation_staff", __name__)
staff_bp.context_processor(window._frame)  # the window's staff bar
ANSWERERS = ("clerk", "reviewer", "approver", "center_admin")


def _keys():
    return store.load_keys(current_app.config["HALLSYNC"]["data_dir"])


def _form(message: str = "", status: int = 200, values=None):
    matters = sorted(((code, m["name"]) for code, m in matters_in_force().items()),
                     key=lambda m: m[0])
    return render_template("consult/form.html", matters=matters, centers=None,
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
    try:
        consultation.ask(_keys(), store.state().center, request.form.get("matter_code", ""),
                         request.form.get("question", ""), phone=current_citizen().phone)
    except ValidationError as exc:
        return _form(exc.detail.split(": ", 1)[-1], 422, request.form)
    flash("咨询已提交，主管部门将在 1 个工作日内答复。")
    return redirect(url_for(".mine"), 303)


@bp.get("/consult/mine")
@citizen_required
def mine():
    items = consultation.listing(case_clock.china_today(), phone=current_citizen().phone)
    return render_template("consult/mine.html", items=items, ask=url_for(".ask_page"))


@staff_bp.get("/consultations/")
@requires(*ANSWERERS, "auditor")
def staff_page(message: str = "", status: int = 200):
    items = consultation.listing(case_clock.china_today(),
                                 departments=departments.seeing(current_user()))
    return render_template("consult/staff.html", items=items, message=message,
                           counts={k: sum(i["state"] == k for i in items)
                                   for k in rules.STATES}), status


@staff_bp.post("/consultations/<consultation_id>/answer")
@requires(*ANSWERERS)
def answer_page(consultation_id: str):
    departments.require_consultation(consultation_id, departments.seeing(current_user()))
    try:
        consultation.answer(_keys(), store.state().center, consultation_id,
                            request.form.get("answer", ""), current_user().username)
    except (ValidationError, ConflictError) as exc:
        return staff_page(exc.detail.split(": ", 1)[-1],
                          422 if isinstance(exc, ValidationError) else 409)
    flash("已答复")
    return redirect(url_for(".staff_page"), 303)
