"""The center admin's rectification orders (差评整改): ``/rectifications/`` the list with each
order's light, ``/rectifications/<number>`` one order with its 回访, reply and appeal forms;
``/api/rectifications…`` the same as JSON (``node/openapi.json``).

The evaluator is never named: an order shows the level, the comment and the case.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, \
    url_for

from node import rectification, store, window
from node.case_log import Actor
from node.work_calendar import calendar_in_force
from sync import case_clock
from sync import rectification as rules
from sync.case_labels import EVALUATION_LEVELS
from sync.errors import ConflictError, ValidationError
from web.auth import current_user, requires
from web.errors import json_object

bp = Blueprint("rectification_pages", __name__)
bp.context_processor(window._frame)  # the window's staff bar
READERS = ("center_admin", "auditor")
FIELDS = {"callback": "note", "reply": "text", "appeal": "reason"}


def _keys():
    return store.load_keys(current_app.config["HALLSYNC"]["data_dir"])


def _one(number: str) -> dict:
    row, order = rectification.load(number)
    return rectification.view(row, order, calendar_in_force(), case_clock.china_today())


def _act(number: str, action: str, data: dict) -> rules.Order:
    if action not in FIELDS:
        raise ValidationError(f"action: 未知的整改步骤 {action!r}", field="action")
    return rectification.act(_keys(), store.state().center, number, action,
                             Actor(current_user().username, "center_admin"), data)


@bp.get("/rectifications/")
@requires(*READERS)
def list_page():
    items = rectification.listing(case_clock.china_today())
    return render_template("rectification/list.html", items=items, levels=EVALUATION_LEVELS,
                           counts={k: sum(i["light"] == k for i in items) for k in rules.LIGHTS})


@bp.get("/rectifications/<number>")
@requires(*READERS)
def order_page(number: str, message: str = "", status: int = 200, action: str = ""):
    return render_template("rectification/order.html", o=_one(number), levels=EVALUATION_LEVELS,
                           message=message, failed=action, values=request.form), status


@bp.post("/rectifications/<number>/<action>")
@requires("center_admin")
def act_page(number: str, action: str):
    field = FIELDS.get(action, "")
    try:
        _act(number, action, {field: request.form.get(field, "")})
    except (ValidationError, ConflictError) as exc:
        return order_page(number, exc.detail.split(": ", 1)[-1],
                          422 if isinstance(exc, ValidationError) else 409, action)
    flash(f"已保存：{rules.ACTIONS[action]}")
    return redirect(url_for(".order_page", number=number), 303)


@bp.get("/api/rectifications")
@requires(*READERS)
def api_list():
    return jsonify({"orders": rectification.listing(case_clock.china_today())})


@bp.get("/api/rectifications/<number>")
@requires(*READERS)
def api_one(number: str):
    return jsonify(_one(number))


@bp.post("/api/rectifications/<number>/<action>")
@requires("center_admin")
def api_act(number: str, action: str):
    body = json_object()
    _act(number, action, body)
    return jsonify(_one(number)), 201
