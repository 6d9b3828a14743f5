"""``hallsync node appointments …``: this center's appointment plan (网上预约) and the day's list."""
from __future__ import annotations

from pathlib import Path

import click

from node.cli import node
from sync.cli_output import data_dir_option, emit, json_option


@node.group()
def appointments():
    """Appointments at this center: set the plan of windows and slots, list a day's bookings."""


@appointments.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_dir_option
@json_option
def plan(file, data_dir, as_json):
    """Set the plan from a TOML file: [[windows]] with window, name, departments, weekdays,
    times, minutes, capacity; online_percent (the online hall's part of each slot, whole percent 0–100).

    See config/appointments.example.toml.
    """
    from node import appointments as booking
    from node import store
    from node.projects import read_toml
    store.bind(data_dir)
    store.state()
    windows = booking.set_plan(read_toml(file.read_bytes()))
    _, percent = booking.plan()
    emit({"windows": len(windows), "slots_per_day": sum(len(w.times) for w in windows),
          "online_percent": percent}, as_json)


@appointments.command("list")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day (default: today in China).")
@data_dir_option
@json_option
def list_(day, data_dir, as_json):
    """The day's bookings: time, window, number, matter, name, state."""
    from node import appointments as booking
    from node import store
    from sync.case_clock import china_today
    from web.appointment_models import STATES
    store.bind(data_dir)
    store.state()
    day = day.date() if day else china_today()
    rows = [{"number": a.id, "start": a.start, "window": a.window, "matter": a.matter_name,
             "name": a.name, "state": a.state} for a in booking.day_list(day)]
    if not as_json:
        click.echo(f"{day.isoformat()} 共 {len(rows)} 个预约")
        for r in rows:
            click.echo(f"{r['start']} {r['window']:<4} {r['number']} {STATES[r['state']]} "
                       f"{r['name']} {r['matter']}")
    emit({"date": day.isoformat(), "appointments": rows}, as_json, quiet=not as_json)


