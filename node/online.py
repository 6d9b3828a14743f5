"""网上申请 and 网上预审 pages at a node: the citizen's (``/citizen/apply/…``,
``/citizen/applications/…``, behind the citizen's SMS login) and the clerk's
(``/window/prereview/…``). The pages gather input and show results; the rules are
``node.prereview``'s, ``sync.prereview``'s and ``sync.uploads``'."""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)

from node import prereview, store, window
from node.case_log import Actor
from node.window import keys, receipt_is_acceptance
from sync import uploads
from sync.prereview import REASONS, STATES, VERDICTS
from sync.errors import Code, ConflictError, HallsyncError, NotFound, ValidationError
from web.auth import current_user, requires
from web.citizen_auth import citizen_required, current_citizen

bp = Blueprint("online", __name__)
# The clerk's pages sit in the window's frame, which reads the window's context.
bp.context_processor(window._frame)  # as node.supervision does


def _data_dir():
    return current_app.config["HALLSYNC"]["data_dir"]


def _message(error: HallsyncError) -> str:
    return error.detail.split(": ", 1)[-1]


def _files() -> dict[str, bytes]:
    """The uploaded files by material name (the field is ``file:<material>``); the body's
    size is checked before Werkzeug reads it."""
    if request.content_length is None or request.content_length > uploads.MAX_BODY_BYTES:
        raise ValidationError(f"files: 上传内容合计不能超过 "
                              f"{uploads.MAX_BODY_BYTES // (1024 * 1024)} MB", field="files",
                              code=Code.UPLOAD_REFUSED)
    found = {}
    for field, storage in request.files.items(multi=True):
        if field.startswith("file:") and storage.filename:
            found[field.removeprefix("file:")] = storage.read(uploads.MAX_FILE_BYTES + 1)
    return found


def _send(path, content_type: str):
    # Inline, with the type its bytes were found to be (nosniff is set on every response).
    return send_file(path, mimetype=content_type, as_attachment=False, max_age=0)


# -- the citizen ------------------------------------------------------------------

@bp.get("/citizen/apply/")
@citizen_required
def matters():
    return render_template("online/matters.html", title="网上申请",
                           matters=prereview.online_matters(store.state().center),
                           applications=prereview.of_citizen(current_citizen()))


@bp.route("/citizen/apply/<code>", methods=("GET", "POST"))
@citizen_required
def apply(code: str):
    center = store.state().center
    try:
        matter = prereview.online_matter(code, center)
    except ValidationError as exc:
        return render_template("online/matters.html", title="网上申请", message=_message(exc),
                               matters=prereview.online_matters(center), applications=[]), 404
    if request.method == "GET":
        return render_template("online/apply.html", title="网上申请", matter=matter)
    form = {"matter_code": code, "name": request.form.get("name", ""),
            "consent": request.form.get("consent") == "yes"}
    try:
        number = prereview.apply(_data_dir(), center, current_citizen(), form, _files())
    except ValidationError as exc:
        return render_template("online/apply.html", title="网上申请", matter=matter,
                               message=_message(exc), name=form["name"]), exc.status
    flash(f"申请已提交，申请编号 {number}，请等待窗口预审。")
    return redirect(url_for(".application", number=number))


def _own(number: str) -> None:
    if not prereview.owns(current_citizen(), number):
        abort(404)


@bp.get("/citizen/applications/<number>")
@citizen_required
def application(number: str):
    _own(number)
    return render_template("online/application.html", title="网上申请",
                           application=prereview.described(number))


@bp.post("/citizen/applications/<number>/resubmit")
@citizen_required
def resubmit(number: str):
    _own(number)
    try:
        prereview.resubmit(_data_dir(), current_citizen(), number, _files())
    except (ValidationError, ConflictError) as exc:
        return render_template("online/application.html", title="网上申请",
                               application=prereview.described(number),
                               message=_message(exc)), exc.status
    flash("补正材料已提交，请等待窗口预审。")
    return redirect(url_for(".application", number=number))


@bp.get("/citizen/applications/<number>/files/<sha256>")
@citizen_required
def citizen_file(number: str, sha256: str):
    _own(number)
    try:
        return _send(*prereview.file_of(_data_dir(), number, sha256))
    except NotFound:
        abort(404)


# -- the clerk --------------------------------------------------------------------

@bp.get("/window/prereview/")
@requires()
def queue():
    return render_template("online/queue.html", items=prereview.waiting())


def _review_page(number: str, message: str = "", status: int = 200, verdicts=None):
    return render_template("online/review.html", application=prereview.described(number),
                           reasons=REASONS, verdicts_labels=VERDICTS, states=STATES,
                           message=message, given=verdicts or {}), status


@bp.get("/window/prereview/<number>")
@requires()
def review_page(number: str):
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
    try:
        return _send(*prereview.file_of(_data_dir(), number, sha256))
    except NotFound:
        abort(404)
