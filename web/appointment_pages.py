"""网上预约 for the citizen, the same pages and API at the hub's online hall and at a node:
``/citizen/appointments/…`` behind the SMS login, and ``/api/appointments``.

What differs is the site (``AppointmentSite``): a node books its window's places of its
own slots; the hub books the online places of any center that sent it a plan, chosen
with ``center``. The rules are ``web.appointments``' and ``sync.appointments``'.
"""
from __future__ import annotations

import datetime
from typing import Protocol

from flask import (Blueprint, Flask, abort, current_app, flash, jsonify, redirect,
                   render_template, request, url_for)

from sync.appointments import Slot
from sync.errors import ConflictError, HallsyncError, NotFound, ValidationError
from web.appointment_models import STATES
from web.appointments import Bookings
from web.auth import public
from web.citizen_auth import citizen_required, current_citizen
from web.errors import json_object

bp = Blueprint("appointments", __name__)


class AppointmentSite(Protocol):
    """Where a site finds plans, matters and bookings (``node.appointments``,
    ``hub.cases.appointments``)."""

    def centers(self) -> list[tuple[str, str]]: ...        # (code, name) bookable here
    def own_center(self) -> str | None: ...                # a node's own; the hub: None
    def matters(self, center: str) -> list[dict]: ...
    def matter(self, center: str, code: str) -> dict: ...  # ValidationError (field matter)
    def slots(self, center: str, matter: dict,
              day: datetime.date | None) -> list[dict]: ...
    def slot(self, center: str, key: str, matter: dict) -> Slot: ...  # ValidationError
    def share(self, center: str) -> int: ...  # the online hall's percent of each slot
    def bookings(self, center: str) -> Bookings: ...
    def center_of(self, number: str) -> str | None: ...    # the appointment's center
    def of_citizen(self, citizen) -> list: ...
    def now_ms(self) -> int: ...


def init_app(app: Flask, site: AppointmentSite) -> None:
    app.extensions["appointments"] = site
    app.register_blueprint(bp)


def _site() -> AppointmentSite:
    return current_app.extensions["appointments"]


def _hold_s() -> int:
    return current_app.config["HALLSYNC"]["appointment_hold_s"]


def _message(error: HallsyncError) -> str:
    return error.detail.split(": ", 1)[-1]


def parse_day(text: str | None) -> datetime.date | None:
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValidationError("date: 日期应为 YYYY-MM-DD", field="date") from None


def _center(given: str | None) -> str | None:
    """The center asked for, if bookable here: at a node its own (named or not), at the
    hub one that sent it a plan; None otherwise."""
    own = _site().own_center()
    if own is not None:
        return own if given in (None, "", own) else None
    return given if given in dict(_site().centers()) else None


def _bookings(number: str) -> Bookings:
    center = _site().center_of(number)
    if center is None:
        raise NotFound("没有该预约")
    return _site().bookings(center)


def _mine(number: str):
    try:
        return _bookings(number).get(number, current_citizen())
    except NotFound:
        abort(404)


# -- the pages --------------------------------------------------------------------

@bp.get("/citizen/appointments/")
@citizen_required
def index():
    centers = _site().centers()
    center = _center(request.args.get("center") or (centers[0][0] if len(centers) == 1
                                                     else None))
    return render_template("appointments/index.html", title="网上预约", centers=centers,
                           center=center, choose=_site().own_center() is None,
                           matters=_site().matters(center) if center else [],
                           mine=_site().of_citizen(current_citizen()), states=STATES)


def _matter(center: str | None, code: str) -> dict:
    if center is None:
        abort(404)
    try:
        return _site().matter(center, code)
    except ValidationError:
        abort(404)


def _slots_page(center: str, matter: dict, message: str = "", status: int = 200,
                moving=None):
    return render_template("appointments/slots.html", title="网上预约", matter=matter,
                           center=center, center_name=dict(_site().centers())[center],
                           slots=_site().slots(center, matter, None), message=message,
                           moving=moving), status


@bp.get("/citizen/appointments/new/<code>")
@citizen_required
def slots(code: str):
    center = _center(request.args.get("center"))
    return _slots_page(center, _matter(center, code))


@bp.post("/citizen/appointments/new/<code>")
@citizen_required
def hold(code: str):
    center = _center(request.args.get("center"))
    matter = _matter(center, code)
    try:
        slot = _site().slot(center, request.form.get("slot", ""), matter)
        held = _site().bookings(center).hold(slot, _site().share(center), matter,
                                             current_citizen(), _site().now_ms(), _hold_s())
    except (ValidationError, ConflictError) as exc:
        return _slots_page(center, matter, _message(exc), exc.status)
    return redirect(url_for(".confirm_page", number=held.id))


def _confirm_page(row, message: str = "", status: int = 200):
    return render_template("appointments/confirm.html", title="网上预约", a=row,
                           message=message, minutes=max(1, _hold_s() // 60)), status


@bp.get("/citizen/appointments/<number>/confirm")
@citizen_required
def confirm_page(number: str):
    row = _mine(number)
    if row.state != "held":
        return redirect(url_for(".detail", number=number))
    return _confirm_page(row)


@bp.post("/citizen/appointments/<number>/confirm")
@citizen_required
def confirm(number: str):
    row = _mine(number)
    try:
        _bookings(number).confirm(number, current_citizen(), request.form.get("name"),
                                  _site().now_ms())
    except (ValidationError, ConflictError) as exc:
        return _confirm_page(row, _message(exc), exc.status)
    flash(f"预约成功，预约号 {number}，请按时携带材料到窗口办理。")
    return redirect(url_for(".detail", number=number))


@bp.get("/citizen/appointments/<number>")
@citizen_required
def detail(number: str):
    row = _mine(number)
    return render_template("appointments/detail.html", title="网上预约", a=row,
                           center_name=dict(_site().centers()).get(row.center, row.center),
                           states=STATES)


@bp.post("/citizen/appointments/<number>/cancel")
@citizen_required
def cancel(number: str):
    _mine(number)
    try:
        _bookings(number).cancel(number, current_citizen(), _site().now_ms())
    except ConflictError as exc:
        flash(_message(exc))
    else:
        flash(f"预约 {number} 已取消。")
    return redirect(url_for(".detail", number=number))


@bp.route("/citizen/appointments/<number>/reschedule", methods=("GET", "POST"))
@citizen_required
def reschedule(number: str):
    row = _mine(number)
    try:
        matter = _site().matter(row.center, row.matter_code)
    except ValidationError as exc:
        flash(_message(exc))
        return redirect(url_for(".detail", number=number))
    if request.method == "GET":
        return _slots_page(row.center, matter, moving=row)
    try:
        slot = _site().slot(row.center, request.form.get("slot", ""), matter)
        _bookings(number).reschedule(number, current_citizen(), slot,
                                     _site().share(row.center), _site().now_ms())
    except (ValidationError, ConflictError) as exc:
        return _slots_page(row.center, matter, _message(exc), exc.status, moving=row)
    flash("改约成功，新的预约时间已短信通知。")
    return redirect(url_for(".detail", number=number))


# -- the API ----------------------------------------------------------------------

@bp.get("/api/appointments/slots")
@public
def api_slots():
    """A center's slots of a matter with this site's free places: on ``date``, or the days
    ahead; an empty list where there are none (a center or matter without appointments)."""
    day = parse_day(request.args.get("date"))
    center = _center(request.args.get("center"))
    try:
        matter = _site().matter(center, request.args.get("matter", "")) if center else None
    except ValidationError:
        matter = None
    if matter is None:
        return jsonify({"slots": []})
    return jsonify({"center": center, "matter": matter["basic_code"],
                    "slots": _site().slots(center, matter, day)})


def as_json(row) -> dict:
    return {"number": row.id, "center": row.center, "slot": row.slot, "date": row.day,
            "start": row.start, "window": row.window, "matter": row.matter_code,
            "matter_name": row.matter_name, "name": row.name, "state": row.state,
            "state_label": STATES[row.state]}


@bp.post("/api/appointments")
@citizen_required
def api_book():
    body = json_object()
    center = _center(str(body.get("center", "")))
    if center is None:
        raise ValidationError("center: 该中心未开放网上预约", field="center")
    matter = _site().matter(center, str(body.get("matter", "")))
    slot = _site().slot(center, str(body.get("slot", "")), matter)
    booked = _site().bookings(center).book(slot, _site().share(center), matter,
                                           current_citizen(), body.get("name", ""),
                                           _site().now_ms(), _hold_s())
    return jsonify(as_json(booked)), 201


@bp.get("/api/appointments")
@citizen_required
def api_mine():
    return jsonify({"appointments": [as_json(a) for a in
                                     _site().of_citizen(current_citizen())]})


@bp.post("/api/appointments/<number>/cancel")
@citizen_required
def api_cancel(number: str):
    return jsonify(as_json(_bookings(number).cancel(number, current_citizen(),
                                                    _site().now_ms())))
