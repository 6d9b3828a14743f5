"""``hallsync bench appointments``: many citizens at once for the last places of a slot.

The real booking path of the hub's online hall (``hub.cases.appointments.OnlineHall``:
``web.appointments`` holding and confirming a place, the SMS queued and the booking
forwarded to the center's pull stream, each in the booking's transaction), on a
scratch hub database: SQLite in the work directory, then PostgreSQL if a server is
given. Each run opens a new slot of ``--capacity`` places, half of them online, and
``--clients`` threads book it at the same moment; a run is *overbooked* if more
bookings committed than the slot has online places. Then ``--abandoned`` forms are
held and left: after the holds ran out, one sweep must leave none behind.

Beside it, the raw limit of the same database: single-row inserts into a table with
one unique column, one transaction each, as fast as one thread can. The last line
is JSON; exit status 1 if anything was overbooked or a hold was left behind.
"""
from __future__ import annotations

import datetime
import shutil
import tempfile
import threading
import time
from pathlib import Path

import click

from hallsync.bench.city import scratch_pg_database
from hallsync.bench.ingest import DEFAULT_PG
from sync.cli_output import emit, json_option, progress_bar

CENTER = "210102001"  # 和平区太原街街道便民服务中心
MATTER = {"basic_code": "SY06006", "name": "出生登记", "department": "police"}
PERCENT = 50


def _plan() -> None:
    from hub.models import HubAppointmentPlan
    HubAppointmentPlan.create(center=CENTER, windows="[]", online_percent=PERCENT,
                              changed_at="2026-01-01T00:00:00.000+08:00")


def _slot(run: int, capacity: int):
    from sync import appointments
    day = datetime.date(2099, 1, 5)
    start = f"{run // 60 % 24:02d}:{run % 60:02d}"
    window = f"R{run // 1440:04d}"
    return appointments.Slot(appointments.slot_key(day, start, window), day, start, start,
                             window, "bench", capacity)


def _citizen(i: int):
    from web.citizens import Citizen
    return Citizen(f"139{i:08d}", "210102198503150013", "")


def _race(hall, slot, clients: int, run: int) -> tuple[int, list[float]]:
    from hub.models import database
    from sync.errors import ConflictError
    barrier, booked, waits = threading.Barrier(clients), [], []

    def one(i: int) -> None:
        person = _citizen(run * clients + i)
        barrier.wait()
        started = time.perf_counter()
        try:
            with database.connection_context(), database.atomic():
                bookings = hall.bookings(CENTER)
                held = bookings.hold(slot, PERCENT, MATTER, person, hall.now_ms(), 600)
                bookings.confirm(held.id, person, "某", hall.now_ms())
            booked.append(1)
        except ConflictError:
            pass
        waits.append(time.perf_counter() - started)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(booked), waits


def _abandon(hall, forms: int, capacity: int) -> tuple[int, float]:
    """Hold ``forms`` places an hour ago and leave them; sweep; holds left behind."""
    from hub.models import HubAppointment, database
    bookings, an_hour_ago = hall.bookings(CENTER), hall.now_ms() - 3_600_000
    online = capacity * PERCENT // 100
    with database.atomic():
        for i in range(forms):
            bookings.hold(_slot(100_000 + i // online, capacity), PERCENT, MATTER,
                          _citizen(i), an_hour_ago, 600)
    started = time.perf_counter()
    bookings.release_expired(hall.now_ms())
    swept = time.perf_counter() - started
    left = HubAppointment.select().where(HubAppointment.state == "held").count()
    return left, swept


def _raw_inserts(db, seconds: float = 2.0) -> float:
    db.execute_sql("CREATE TABLE raw_place (k VARCHAR(64) PRIMARY KEY)")
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        with db.atomic():
            db.execute_sql("INSERT INTO raw_place (k) VALUES (%s)" if "Postgres" in
                           type(db).__name__ else "INSERT INTO raw_place (k) VALUES (?)",
                           (f"k{n}",))
        n += 1
    return n / (time.perf_counter() - started)


def run_backend(url: str, runs: int, clients: int, capacity: int, forms: int) -> dict:
    from hub import db as hub_db
    from hub.cases.appointments import OnlineHall
    from hub.ledger import stream
    from hub.models import database
    from sync.signing import KeyPair
    bound = hub_db.bind(url)
    keys = KeyPair.generate()
    stream.use_keys(lambda: keys)  # the hub's key, for the forwarded messages
    hall = OnlineHall()
    online = capacity * PERCENT // 100
    with database.connection_context():
        _plan()
    overbooked, booked_total, waits = 0, 0, []
    started = time.perf_counter()
    with progress_bar(runs, "slots raced for") as bar:
        for run in range(runs):
            booked, run_waits = _race(hall, _slot(run, capacity), clients, run)
            overbooked += booked > online
            booked_total += booked
            waits += run_waits
            bar.update(1)
    seconds = time.perf_counter() - started
    with database.connection_context():
        left, swept = _abandon(hall, forms, capacity)
        raw = _raw_inserts(bound)
    waits.sort()
    return {"runs": runs, "clients": clients, "online_places": online,
            "overbooked_runs": overbooked, "booked": booked_total,
            "attempts_per_s": round(runs * clients / seconds),
            "attempt_p50_ms": round(waits[len(waits) // 2] * 1000, 1),
            "attempt_p95_ms": round(waits[int(len(waits) * 0.95)] * 1000, 1),
            "abandoned_forms": forms, "holds_left": left, "sweep_s": round(swept, 3),
            "raw_inserts_per_s": round(raw)}


@click.command("appointments")
@click.option("--runs", default=100, show_default=True, type=click.IntRange(1, 100_000),
              help="Slots raced for, one after another.")
@click.option("--clients", default=64, show_default=True, type=click.IntRange(2, 512),
              help="Citizens booking each slot at the same moment, a thread each.")
@click.option("--capacity", default=4, show_default=True, type=click.IntRange(1, 50),
              help="Places per slot; half of them (rounded down) are the online hall's.")
@click.option("--abandoned", default=10_000, show_default=True, type=click.IntRange(0),
              help="Forms held and left, then swept.")
@click.option("--pg-url", default=DEFAULT_PG, show_default=True,
              help="PostgreSQL server for the second run (a scratch database, dropped after); "
                   "empty to skip.")
@json_option
def appointments(runs, clients, capacity, abandoned, pg_url, as_json):
    """Race CLIENTS citizens for each of RUNS slots at the hub; none may be overbooked."""
    work = Path(tempfile.mkdtemp(prefix="hallsync-bench-appointments-"))
    try:
        results = {"sqlite": run_backend(f"sqlite:///{work / 'hub.db'}", runs, clients,
                                         capacity, abandoned)}
        if pg_url:
            with scratch_pg_database(pg_url) as scratch:
                if scratch:
                    results["postgresql"] = run_backend(scratch, runs, clients, capacity,
                                                        abandoned)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for backend, r in results.items():
        click.echo(f"{backend}: {r['runs']:,} slots × {r['clients']} citizens for "
                   f"{r['online_places']} online places: {r['overbooked_runs']} overbooked, "
                   f"{r['booked']:,} booked; {r['attempts_per_s']:,} attempts/s "
                   f"(p50 {r['attempt_p50_ms']} ms, p95 {r['attempt_p95_ms']} ms) beside "
                   f"{r['raw_inserts_per_s']:,} raw single-row inserts/s; "
                   f"{r['abandoned_forms']:,} abandoned forms: {r['holds_left']} holds left "
                   f"after a {r['sweep_s']} s sweep")
    ok = all(r["overbooked_runs"] == 0 and r["holds_left"] == 0 for r in results.values())
    emit({**results, "ok": ok}, as_json, quiet=not as_json)
    if not ok:
        raise SystemExit(1)
