"""电子证照库 at a node: ``/licences/``, the licences this center issued, and the center
admin's form to revoke one (``node.licences``; the CLI is ``hallsync node licences``)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from node import case_log, licences, store, window
from sync import case_clock
from sync.errors import ConflictError, Forbidden, NotFound, ValidationError
from sync.identity_codes import ID_TYPES
from sync.licences import TRUST_LEVELS
from web.auth import current_user, requires

bp = Blueprint("licence_pages", __name__)
bp.context_processor(window._frame)  # the window's staff bar

_STATUS = {ValidationError: 422, NotFound: 404, Forbidden: 403, ConflictError: 409}


@bp.get("/licences/")
@requires("clerk", "reviewer", "approver", "center_admin", "auditor")
def list_page(message: str = "", status: int = 200):
    items = licences.issued_here(store.state().center, case_clock.china_today())
    return render_template("licences/list.html", items=items, message=message,
                           can_revoke="center_admin" in current_user().role_set,
                           id_types=ID_TYPES, levels=TRUST_LEVELS), status


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
