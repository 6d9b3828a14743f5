"""网上预约 pages and API at a node: the citizen's (``/citizen/appointments/…``, behind
the SMS login), the clerk's list of the day (``/window/appointments``), and
``/api/appointments``. The rules are ``node.appointments``' and ``web.appointments``'."""
from __future__ import annotations

import datetime

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)

from node import appointments, store, window
from sync import case_clock
from sync.errors import ConflictError, HallsyncError, NotFound, ValidationError
from web.appointment_models import STATES
from web.auth import public, requires
from web.citizen_auth import citizen_required, current_citizen

bp = Blueprint("appointments", __name__)
bp.context_processor(window._frame)  # the clerk's page sits in the window's frame


def _hold_s() -> int:
    return current_app.config["HALLSYNC"]["appointment_hold_s"]


def _message(error: HallsyncError) -> str:
    return error.detail.split(": ", 1)[-1]


def _day(text: str | None, *, default: datetime.date | None = None) -> datetime.date | None:
    if not text:
        return default
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValidationError("date: 日期应为 YYYY-MM-DD", field="date") from None


def _mine(number: str):
    try:
        return appointments.bookings().get(number, current_citizen())
    except NotFound:
        abort(404)


# -- the citizen ------------------------------------------------------------------

@bp.get("/citizen/appointments/")
@citizen_required
def index():
    center = store.state().center
    return render_template("appointments/index.html", title="网上预约",
                           matters=appointments.bookable_matters(center),
                           mine=appointments.bookings().of_citizen(current_citizen()),
                           states=STATES)


def _slots_page(matter: dict, message: str = "", status: int = 200, moving=None):
    return render_template("appointments/slots.html", title="网上预约", matter=matter,
                           slots=appointments.open_slots(matter), message=message,
                           moving=moving), status


def _matter(code: str) -> dict:
    try:
        return appointments.bookable_matter(code, store.state().center)
    except ValidationError:
        abort(404)


@bp.get("/citizen/appointments/new/<code>")
@citizen_required
def slots(code: str):
    return _slots_page(_matter(code))


@bp.post("/citizen/appointments/new/<code>")
@citizen_required
def hold(code: str):
    matter = _matter(code)
    _, share = appointments.plan()
    try:
        slot = appointments.slot_of(request.form.get("slot"), matter)
        held = appointments.bookings().hold(slot, share, matter, current_citizen(),
                                            appointments.now_ms(), _hold_s())
    except (ValidationError, ConflictError) as exc:
        return _slots_page(matter, _message(exc), exc.status)
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
        appointments.bookings().confirm(number, current_citizen(), request.form.get("name"),
                                        appointments.now_ms())
    except (ValidationError, ConflictError) as exc:
        return _confirm_page(row, _message(exc), exc.status)
    flash(f"预约成功，预约号 {number}，请按时携带材料到窗口办理。")
    return redirect(url_for(".detail", number=number))


@bp.get("/citizen/appointments/<number>")
@citizen_required
def detail(number: str):
    return render_template("appointments/detail.html", title="网上预约", a=_mine(number),
                           states=STATES)


@bp.post("/citizen/appointments/<number>/cancel")
@citizen_required
def cancel(number: str):
    _mine(number)
    try:
        appointments.bookings().cancel(number, current_citizen(), appointments.now_ms())
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
        matter = appointments.bookable_matter(row.matter_code, store.state().center)
    except ValidationError as exc:
        flash(_message(exc))
        return redirect(url_for(".detail", number=number))
    if request.method == "GET":
        return _slots_page(matter, moving=row)
    _, share = appointments.plan()
    try:
        slot = appointments.slot_of(request.form.get("slot"), matter)
        appointments.bookings().reschedule(number, current_citizen(), slot, share,
                                           appointments.now_ms())
    except (ValidationError, ConflictError) as exc:
        return _slots_page(matter, _message(exc), exc.status, moving=row)
    flash("改约成功，新的预约时间已短信通知。")
    return redirect(url_for(".detail", number=number))


# -- the clerk --------------------------------------------------------------------

@bp.get("/window/appointments")
@requires()
def day_page():
    try:
        day = _day(request.args.get("date"), default=case_clock.china_today())
    except ValidationError as exc:
        return render_template("appointments/day.html", day=None, items=[], states=STATES,
                               message=_message(exc)), exc.status
    return render_template("appointments/day.html", day=day, items=appointments.day_list(day),
                           states=STATES, message="")


@bp.post("/window/appointments/<number>/mark")
@requires("clerk")
def mark(number: str):
    try:
        row = appointments.bookings().mark(number, request.form.get("state", ""),
                                           appointments.now_ms())
    except NotFound:
        abort(404)
    except (ValidationError, ConflictError) as exc:
        flash(_message(exc))
        return redirect(url_for(".day_page"))
    flash(f"预约 {number}（{row.name}）已登记为{STATES[row.state]}。")
    return redirect(url_for(".day_page", date=row.day))


# -- the API ----------------------------------------------------------------------

@bp.get("/api/appointments/slots")
@public
def api_slots():
    """The window's free places per slot of a matter: on ``date``, or the days ahead."""
    center = store.state().center
    day = _day(request.args.get("date"))
    if request.args.get("center", center) != center:
        return jsonify({"slots": []})  # another center's slots are the hub's to list
    try:
        matter = appointments.bookable_matter(request.args.get("matter", ""), center)
    except ValidationError:
        return jsonify({"slots": []})
    return jsonify({"center": center, "matter": matter["basic_code"],
                    "slots": appointments.open_slots(matter, day)})


def as_json(row) -> dict:
    return {"number": row.id, "center": row.center, "slot": row.slot, "date": row.day,
            "start": row.start, "window": row.window, "matter": row.matter_code,
            "matter_name": row.matter_name, "name": row.name, "state": row.state,
            "state_label": STATES[row.state]}


@bp.post("/api/appointments")
@citizen_required
def api_book():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("body: must be a JSON object", field="body")
    row = appointments.book(store.state().center, current_citizen(), str(body.get("matter", "")),
                            str(body.get("slot", "")), body.get("name", ""), _hold_s())
    return jsonify(as_json(row)), 201


@bp.get("/api/appointments")
@citizen_required
def api_mine():
    return jsonify({"appointments": [as_json(a) for a in
                                     appointments.bookings().of_citizen(current_citizen())]})


@bp.post("/api/appointments/<number>/cancel")
@citizen_required
def api_cancel(number: str):
    return jsonify(as_json(appointments.bookings().cancel(number, current_citizen(),
                                                          appointments.now_ms())))
