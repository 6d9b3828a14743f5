"""网上申请 for the citizen, the same pages at the hub's online hall and at a node:
``/citizen/apply/…`` and ``/citizen/applications/…``, behind the SMS login.

What differs is the site (``ApplicationSite``): a node takes applications for itself;
the hub lets the citizen choose the center (``centers``) and forwards the application
there. The rules are ``sync.prereview``'s and ``sync.uploads``'.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from flask import (Blueprint, Flask, abort, current_app, flash, redirect, render_template,
                   request, url_for)

from sync.errors import ConflictError, HallsyncError, NotFound, ValidationError
from web.citizen_auth import citizen_required, current_citizen
from web.upload_forms import send_upload, uploaded_files

bp = Blueprint("online", __name__)


class ApplicationSite(Protocol):
    """Where a site finds matters and applications (``node.prereview.CenterSite``,
    ``hub.cases.applications.OnlineHall``)."""

    def matters(self) -> list[dict]: ...
    def matter(self, code: str) -> dict: ...  # ValidationError: not applicable online here
    def centers(self, matter: dict) -> list[tuple[str, str]]: ...  # to choose from; a node: []
    def apply(self, data_dir, citizen, form: dict, files: dict[str, bytes]) -> str: ...
    def resubmit(self, data_dir, citizen, number: str, files: dict[str, bytes]) -> None: ...
    def owns(self, citizen, number: str) -> bool: ...
    def described(self, number: str) -> dict: ...
    def of_citizen(self, citizen) -> list[dict]: ...
    def file_of(self, data_dir, number: str, sha256: str) -> tuple[Path, str]: ...


def init_app(app: Flask, site: ApplicationSite) -> None:
    app.extensions["applications"] = site
    app.register_blueprint(bp)


def _site() -> ApplicationSite:
    return current_app.extensions["applications"]


def _data_dir():
    return current_app.config["HALLSYNC"]["data_dir"]


def _message(error: HallsyncError) -> str:
    return error.detail.split(": ", 1)[-1]


@bp.get("/citizen/apply/")
@citizen_required
def matters():
    return render_template("online/matters.html", title="网上申请", matters=_site().matters(),
                           applications=_site().of_citizen(current_citizen()))


def _apply_page(matter: dict, message: str = "", status: int = 200):
    return render_template("online/apply.html", title="网上申请", matter=matter,
                           centers=_site().centers(matter),
                           center=request.values.get("center", ""),
                           name=request.form.get("name", ""), message=message), status


@bp.route("/citizen/apply/<code>", methods=("GET", "POST"))
@citizen_required
def apply(code: str):
    try:
        matter = _site().matter(code)
    except ValidationError as exc:
        return render_template("online/matters.html", title="网上申请", message=_message(exc),
                               matters=_site().matters(), applications=[]), 404
    if request.method == "GET":
        return _apply_page(matter)
    form = {"matter_code": code, "name": request.form.get("name", ""),
            "center": request.form.get("center", ""),
            "consent": request.form.get("consent") == "yes"}
    try:
        number = _site().apply(_data_dir(), current_citizen(), form, uploaded_files())
    except ValidationError as exc:
        return _apply_page(matter, _message(exc), exc.status)
    flash(f"申请已提交，申请编号 {number}，请等待受理中心窗口预审。")
    return redirect(url_for(".application", number=number))


def _own(number: str) -> None:
    if not _site().owns(current_citizen(), number):
        abort(404)


@bp.get("/citizen/applications/<number>")
@citizen_required
def application(number: str):
    _own(number)
    return render_template("online/application.html", title="网上申请",
                           application=_site().described(number))


@bp.post("/citizen/applications/<number>/resubmit")
@citizen_required
def resubmit(number: str):
    _own(number)
    try:
        _site().resubmit(_data_dir(), current_citizen(), number, uploaded_files())
    except (ValidationError, ConflictError) as exc:
        return render_template("online/application.html", title="网上申请",
                               application=_site().described(number),
                               message=_message(exc)), exc.status
    flash("补正材料已提交，请等待受理中心窗口预审。")
    return redirect(url_for(".application", number=number))


@bp.get("/citizen/applications/<number>/files/<sha256>")
@citizen_required
def citizen_file(number: str, sha256: str):
    _own(number)
    try:
        return send_upload(*_site().file_of(_data_dir(), number, sha256))
    except NotFound:
        abort(404)
