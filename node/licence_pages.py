"""电子证照库 at a node: ``/licences/``, the licences this center issued, and the center
admin's form to revoke one (``node.licences``; the CLI is ``hallsync node licences``)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from node import case_log, licences, store, window
from sync import case_clock
from sync.errors import ConflictError, Forbidden, NotFound, ValidationError
from sync.licences import TRUST_LEVELS
from web.auth import current_user, requires

bp = Blueprint("licence_pages", __name__)
bp.context_processor(window._frame)  # the window's staff bar

_STATUS = {ValidationError: 422, NotFound: 404, Forbidden: 403, ConflictError: 409}


@bp.get("/licences/")
@requires(*licences.READERS)
def list_page(message: str = "", status: int = 200):
    """The licences this center issued; with ``?holder=``, above them, every licence the
    center holds for that holder (shared by other centers and departments too)."""
    today = case_clock.china_today()
    found = None
    if request.args.get("holder") is not None:
        try:
            found = licences.holding(request.args["holder"], today, request.args)[1]
        except ValidationError as exc:
            message, status = exc.detail.split(": ", 1)[-1], 422
    center = store.state().center
    return render_template("licences/list.html", items=licences.issued_here(center, today),
                           found=found, message=message, center=center,
                           holder=request.args.get("holder", ""),
                           can_revoke="center_admin" in current_user().role_set,
                           levels=TRUST_LEVELS), status


@bp.post("/licences/<number>/revoke")
@requires("center_admin")
def revoke_page(number: str):
    keys = store.load_keys(current_app.config["HALLSYNC"]["data_dir"])
    try:
        licences.revoke(keys, store.state().center, number, request.form.get("reason", ""),
                        case_log.now())
    except (ValidationError, NotFound, Forbidden, ConflictError) as exc:
        return list_page(exc.detail.split(": ", 1)[-1], _STATUS[type(exc)])
    flash(f"电子证照 {number} 已撤销，下次同步后全市各中心不再复用")
    return redirect(url_for(".list_page"), 303)
