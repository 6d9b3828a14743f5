"""网上预审 pages at a node: the clerk's queue and review (``/window/prereview/…``). The
citizen's pages are shared with the hub (``web.application_pages``, with
``node.prereview.CenterSite``). The rules are ``node.prereview``'s and
``sync.prereview``'s."""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)

from node import departments, prereview, store, window
from node.case_log import Actor
from node.window import keys, receipt_is_acceptance
from sync.prereview import REASONS, STATES, VERDICTS
from sync.errors import ConflictError, HallsyncError, NotFound, ValidationError
from web.auth import current_user, requires
from web.upload_forms import send_upload

bp = Blueprint("prereview", __name__)
# The clerk's pages sit in the window's frame, which reads the window's context.
bp.context_processor(window._frame)  # as node.supervision does


def _data_dir():
    return current_app.config["HALLSYNC"]["data_dir"]


def _message(error: HallsyncError) -> str:
    return error.detail.split(": ", 1)[-1]


@bp.get("/window/prereview/")
@requires()
def queue():
    return render_template("prereview/queue.html",
                           items=prereview.waiting(departments.seeing(current_user())))


def _review_page(number: str, message: str = "", status: int = 200, verdicts=None):
    return render_template("prereview/review.html", application=prereview.described(number),
                           reasons=REASONS, verdicts_labels=VERDICTS, states=STATES,
                           message=message, given=verdicts or {}), status


@bp.get("/window/prereview/<number>")
@requires()
def review_page(number: str):
    departments.require_application(number, departments.seeing(current_user()))
    try:
        return _review_page(number)
    except NotFound:
        abort(404)


@bp.post("/window/prereview/<number>")
@requires("clerk")
def review(number: str):
    form = request.form
    names = [m["name"] for m in prereview.described(number)["materials"] if m["sha256"]]
    verdicts = {name: {"verdict": form.get(f"verdict:{name}", ""),
                       "reason": form.get(f"reason:{name}", ""),
                       "note": form.get(f"note:{name}", "")} for name in names}
    try:
        done = prereview.review(keys(), store.state().center,
                                Actor(current_user().username, "clerk"), number, verdicts,
                                receipt_is_acceptance=receipt_is_acceptance())
    except (ValidationError, ConflictError) as exc:
        return _review_page(number, _message(exc), exc.status, verdicts)
    if done["state"] == "passed":
        flash(f"预审通过，已受理：办件 {done['case']}")
        return redirect(url_for("window.case_page", number=done["case"]))
    flash(f"已一次性告知申请人补正 {len(done['rejected'])} 项材料，并已短信通知")
    return redirect(url_for(".queue"))


@bp.get("/window/prereview/<number>/files/<sha256>")
@requires()
def clerk_file(number: str, sha256: str):
    departments.require_application(number, departments.seeing(current_user()))
    try:
        return send_upload(*prereview.file_of(_data_dir(), number, sha256))
    except NotFound:
        abort(404)
