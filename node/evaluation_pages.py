"""The applicant's evaluation screen: ``/e/<token>`` (the link in the SMS, or the window's
evaluation pad) and ``POST /api/evaluations/<token>``; public, the one-time token is the key."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request, url_for

from node import evaluation, store
from sync.case_labels import EVALUATION_LEVELS
from sync.errors import ConflictError, NotFound, ValidationError
from web.auth import public
from web.errors import json_object

bp = Blueprint("evaluation_pages", __name__)


def _keys():
    return store.load_keys(current_app.config["HALLSYNC"]["data_dir"])


def _form(token: str, message: str = "", status: int = 200, **values):
    return render_template("evaluation/form.html", title="服务评价",
                           action=url_for("evaluation_pages.submit", token=token),
                           levels=EVALUATION_LEVELS, message=message, **values), status


@bp.get("/e/<token>")
@public
def form(token: str):
    try:
        invite = evaluation.invitation(token)
    except NotFound as exc:
        return render_template("evaluation/done.html", title="服务评价", message=exc.detail), 404
    return _form(token, number=invite.number)


@bp.post("/e/<token>")
@public
def submit(token: str):
    values = {"level": request.form.get("level", ""), "comment": request.form.get("comment", "")}
    try:
        done = evaluation.submit(_keys(), store.state().center, evaluation.token_hash(token),
                                 values)
    except NotFound as exc:
        return render_template("evaluation/done.html", title="服务评价", message=exc.detail), 404
    except (ValidationError, ConflictError) as exc:
        return _form(token, exc.detail.split(": ", 1)[-1], 422 if isinstance(
            exc, ValidationError) else 409, number=evaluation.invitation(token).number, **values)
    return render_template("evaluation/done.html", title="服务评价",
                           message=f"感谢您的评价：{EVALUATION_LEVELS[done['level']]}。"), 201


@bp.post("/api/evaluations/<token>")
@public
def api_submit(token: str):
    body = json_object()
    done = evaluation.submit(_keys(), store.state().center, evaluation.token_hash(token), body)
    return jsonify(done), 201
