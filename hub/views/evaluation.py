"""The applicant's evaluation screen at the hub's online hall: ``/e/<token>``, the link of
the SMS a center sent at completion (``hub.cases.evaluations``); public, the token is the key."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from hub.cases import evaluations
from sync import envelope as env
from sync.case_labels import EVALUATION_LEVELS
from sync.errors import NotFound, ValidationError
from web.auth import public

bp = Blueprint("evaluation", __name__)


def _done(message: str, status: int):
    return render_template("evaluation/done.html", title="服务评价", message=message), status


@bp.get("/e/<token>")
@public
def form(token: str):
    try:
        link = evaluations.link(token)
    except NotFound as exc:
        return _done(exc.detail, 404)
    return render_template("evaluation/form.html", title="服务评价", number=link.number,
                           action=url_for(".submit", token=token), levels=EVALUATION_LEVELS)


@bp.post("/e/<token>")
@public
def submit(token: str):
    level, comment = request.form.get("level", ""), request.form.get("comment", "")
    try:
        done = evaluations.submit(token, level, comment, env.now_ms())
    except NotFound as exc:
        return _done(exc.detail, 404)
    except ValidationError as exc:
        return render_template("evaluation/form.html", title="服务评价",
                               number=evaluations.link(token).number,
                               action=url_for(".submit", token=token),
                               levels=EVALUATION_LEVELS, message=exc.detail.split(": ", 1)[-1],
                               level=level, comment=comment), 422
    return _done(f"感谢您的评价：{EVALUATION_LEVELS[done['level']]}。评价已转交办理中心。", 201)
