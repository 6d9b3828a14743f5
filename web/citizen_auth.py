"""The citizens' login pages and API, at the hub and at every node: ``/citizen/…``.

A citizen's login lives in a cookie of its own (``hallsync_citizen_<site>_<port>``),
never in the staff session: a citizen never passes a staff ``requires`` (no
``user_id`` in the staff session), and a member of staff is no citizen here
(``citizen_required`` reads only the citizen cookie). The rules of codes and
logins are ``web.citizens``'.
"""
from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Callable

from flask import (Blueprint, Flask, current_app, g, jsonify, redirect, render_template, request,
                   url_for)

from sync.errors import AuthError, Code, HallsyncError
from sync.identity_codes import ID_TYPES, RESIDENT_ID
from web.auth import public
from web.citizens import Citizen, Citizens
from web.errors import json_object, problem_response

bp = Blueprint("citizen", __name__)


def init_app(app: Flask, code_model, session_model, send: Callable, *, server: str,
             cases_of: Callable[[Citizen], list[dict]] | None = None,
             services: tuple[tuple[str, str, str], ...] = (),
             cases_scope: str = "本中心") -> None:
    """After ``web.auth.init_app`` (its secret key and clock). ``send(phone, code, ttl_s,
    now_ms)`` sends a code in the caller's transaction; ``cases_of`` lists a citizen's cases
    (``cases_scope``: where from, as the page says it: 本中心, or the hub's 全市各中心);
    ``services``: the site's citizen pages linked from the citizen's home, as (label,
    endpoint, what it offers): 网上申请, 网上预约, where the site has them."""
    settings = app.config["HALLSYNC"]
    citizens = Citizens(code_model, session_model, app.secret_key.encode(), send)
    app.extensions["citizen"] = SimpleNamespace(
        citizens=citizens, cookie=f"hallsync_citizen_{server}_{settings['port']}",
        cases_of=cases_of or (lambda citizen: []), services=services, cases_scope=cases_scope)
    app.before_request(_load_citizen)
    app.register_blueprint(bp)


def _site():
    return current_app.extensions["citizen"]


def _now() -> int:
    return current_app.extensions["auth"].now_ms()


def _settings() -> dict:
    return current_app.config["HALLSYNC"]


def current_citizen() -> Citizen | None:
    return g.get("citizen")


def _load_citizen():
    token = request.cookies.get(_site().cookie, "")
    timeout_s = _settings()["citizen_session_timeout_s"]
    g.citizen = _site().citizens.session(token, _now(), timeout_s) if token else None


def citizen_required(view):
    """Let the view run only for a citizen logged in with a code (never for staff alone)."""
    @functools.wraps(view)
    def checked(*args, **kwargs):
        if current_citizen() is None:
            if request.path.startswith("/api/"):
                return problem_response(AuthError("no citizen login: ask a code at "
                                                  "POST /api/citizen/code",
                                                  code=Code.NOT_AUTHENTICATED))
            return redirect(url_for("citizen.login"))
        return view(*args, **kwargs)
    checked.citizen = True  # the route test: guarded by the citizen's login, not staff roles
    return checked


def _with_cookie(response, token: str):
    response.set_cookie(_site().cookie, token, httponly=True, samesite="Lax",
                        path=request.script_root or "/",
                        max_age=_settings()["citizen_session_timeout_s"])
    return response


def _page(message: str = "", status: int = 200, *, sent_to: str = "", phone: str = ""):
    return render_template("citizen/login.html", title="市民登录", message=message,
                           sent_to=sent_to, phone=phone, id_types=ID_TYPES,
                           id_type=request.form.get("id_type") or RESIDENT_ID,
                           minutes=_settings()["citizen_code_ttl_s"] // 60), status


def _message(error: HallsyncError) -> str:
    return error.detail.split(": ", 1)[-1]


@bp.get("/citizen/login")
@public
def login():
    if current_citizen() is not None:
        return redirect(url_for("citizen.home"))
    return _page()


@bp.post("/citizen/code")
@public
def send_code():
    phone = request.form.get("phone", "")
    try:
        _site().citizens.request_code(phone, request.remote_addr or "", _now(), _settings())
    except HallsyncError as error:
        return _page(_message(error), error.status, phone=phone)
    return _page(sent_to=phone[:3] + "****" + phone[-4:], phone=phone)


@bp.post("/citizen/login")
@public
def log_in():
    form = request.form
    try:
        token, _citizen = _site().citizens.log_in(form.get("phone", ""), form.get("code", ""),
                                                  form.get("id_code", ""), _now(), _settings(),
                                                  form.get("id_type"))
    except HallsyncError as error:
        return _page(_message(error), error.status, sent_to="1", phone=form.get("phone", ""))
    return _with_cookie(redirect(url_for("citizen.home")), token)


@bp.post("/citizen/logout")
@citizen_required
def log_out():
    _site().citizens.log_out(current_citizen(), _now())
    response = redirect(url_for("citizen.login"))
    response.delete_cookie(_site().cookie, path=request.script_root or "/")
    return response


@bp.get("/citizen/")
@citizen_required
def home():
    citizen = current_citizen()
    return render_template("citizen/home.html", title="我的办件", citizen=citizen,
                           cases=_site().cases_of(citizen), cases_scope=_site().cases_scope,
                           services=[(label, url_for(endpoint), offers)
                                     for label, endpoint, offers in _site().services])


@bp.post("/api/citizen/code")
@public
def api_code():
    ttl_s = _site().citizens.request_code(json_object().get("phone"), request.remote_addr or "",
                                          _now(), _settings())
    return jsonify({"expires_in_s": ttl_s}), 202


@bp.post("/api/citizen/session")
@public
def api_session():
    body = json_object()
    token, citizen = _site().citizens.log_in(body.get("phone"), body.get("code"),
                                             body.get("id_code"), _now(), _settings(),
                                             body.get("id_type"))
    return _with_cookie(jsonify({"phone": citizen.masked_phone,
                                 "id_code": citizen.masked_id}), token), 201


@bp.get("/api/citizen/me")
@citizen_required
def api_me():
    citizen = current_citizen()
    return jsonify({"phone": citizen.masked_phone, "id_code": citizen.masked_id,
                    "cases": _site().cases_of(citizen)})
