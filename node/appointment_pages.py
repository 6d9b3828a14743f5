"""网上预约 at a node, the clerk's side: the list of the day (``/window/appointments``),
with the bookings made here and those the hub's online hall forwarded, and 已到场 /
未到场 recorded on the day. The citizen's pages and API are ``web.appointment_pages``."""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)

from node import appointments, store, window
from sync import case_clock
from sync.errors import ConflictError, HallsyncError, NotFound, ValidationError
from web.appointment_models import STATES
from web.appointment_pages import parse_day
from web.auth import requires

bp = Blueprint("appointment_day", __name__)
bp.context_processor(window._frame)  # the window's frame


def _message(error: HallsyncError) -> str:
    return error.detail.split(": ", 1)[-1]


@bp.get("/window/appointments")
@requires()
def day_page():
    try:
        day = parse_day(request.args.get("date")) or case_clock.china_today()
    except ValidationError as exc:
        return render_template("appointments/day.html", day=None, items=[], states=STATES,
                               message=_message(exc)), exc.status
    return _day(day, "", {})


def _day(day, message: str, form, status: int = 200):
    center = store.state().center
    return render_template("appointments/day.html", day=day, items=appointments.day_list(day),
                           states=STATES, message=message, form=form,
                           matters=appointments.bookable_matters(center),
                           slots=appointments.day_slots(center, day)), status


@bp.post("/window/appointments")
@requires("clerk")
def book():
    """The clerk books a window's place for a caller (phone or walk-in) by the same
    ``Bookings`` as the citizen's own booking, with the confirmation SMS."""
    form = request.form
    try:
        matter = appointments.bookable_matter(form.get("matter", ""), store.state().center)
        slot = appointments.slot_of(form.get("slot", ""), matter)
        booked = appointments.bookings().book(
            slot, appointments.plan()[1], matter,
            appointments.caller(form.get("phone", ""), form.get("id_code", "")),
            form.get("name", ""), appointments.now_ms(),
            current_app.config["HALLSYNC"]["appointment_hold_s"])
    except (ValidationError, ConflictError) as exc:
        try:
            day = parse_day(form.get("date")) or case_clock.china_today()
        except ValidationError:
            day = case_clock.china_today()
        return _day(day, _message(exc), form, exc.status)
    flash(f"已为 {booked.name} 预约 {booked.day} {booked.start}，预约号 {booked.id}，"
          "确认短信已发送。")
    return redirect(url_for(".day_page", date=booked.day))


@bp.post("/window/appointments/<number>/mark")
@requires("clerk")
def mark(number: str):
    try:
        row = appointments.mark(number, request.form.get("state", ""), appointments.now_ms())
    except NotFound:
        abort(404)
    except (ValidationError, ConflictError) as exc:
        flash(_message(exc))
        return redirect(url_for(".day_page"))
    flash(f"预约 {number}（{row.name}）已登记为{STATES[row.state]}。")
    return redirect(url_for(".day_page", date=row.day))
