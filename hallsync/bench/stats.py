"""``hallsync bench stats``: load N cases (default the article's 4,742,000) into a hub on
SQLite or PostgreSQL, then time every stats API and page at that scale.

The load (``hallsync.bench.stats_cases``) goes straight into the hub's tables with bulk
inserts (``executemany`` on SQLite, ``COPY`` on PostgreSQL), secondary indexes
dropped during the load and built after it. A marker table records N, so a
later run with the same N reuses the database. On PostgreSQL the bench uses
its own database, ``hallsync_bench``, on the server named by ``--db`` (created
if missing); it never touches the database in the URL.

Each target is requested through the Flask test client (warm-up, then
``--requests`` timed); every line prints its p50/p99, and the last line is a
JSON object with ``cases`` and ``p99_ms``, the slowest target's 99th percentile.
"""
from __future__ import annotations

import csv
import datetime
import io
import statistics
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import click

from sync.case_clock import china_today
from sync.cli_output import emit, json_option

BENCH_DB = "hallsync_bench"
MARK = "bench_stats_loaded"  # with the counters it holds: other counters, load again


def targets(last_day: datetime.date) -> list[tuple[str, str]]:
    """(name, URL) of every timed page and API; add a page here to time it."""
    from sync.topology import load_topology
    topology = load_topology()
    district = topology.at_level("district")[0]
    street = topology.children(district.code)[0]
    dates = {"day": last_day.isoformat(), "month": last_day.isoformat()[:7],
             "year": str(last_day.year)}
    found = []
    for scope, code in (("city", topology.hub.code), ("district", district.code),
                        ("street", street.code)):
        for period, date in dates.items():
            found.append((f"stats {scope} {period}",
                          f"/api/stats?center={code}&period={period}&date={date}"))
    year = dates["year"]
    found += [
        ("stats city year department", f"/api/stats?period=year&date={year}&department=market"),
        ("stats city year matter", f"/api/stats?period=year&date={year}&matter=SY24001"),
        ("stats city custom range",
         f"/api/stats?start={last_day.year - 2}-02-14&end={last_day.isoformat()}"),
        ("stats district month department",
         f"/api/stats?center={district.code}&period=month&date={dates['month']}"
         "&department=police"),
    ]
    for scope, code in (("city", topology.hub.code), ("district", district.code),
                        ("street", street.code)):
        found.append((f"report page {scope} quarter",
                      f"/reports/quarter?center={code}&date={last_day.year}-Q"
                      f"{(last_day.month - 1) // 3 + 1}"))
        found.append((f"report csv {scope} year",
                      f"/api/reports/year.csv?center={code}&date={year}"))
        found.append((f"dashboard {scope} month",
                      f"/dashboard?center={code}&period=month&date={dates['month']}"))
    found.append(("dashboard city year", f"/dashboard?period=year&date={year}"))
    return found


def bench_url(db_url: str | None, data_dir: Path) -> str:
    """The bench's own database: a file in ``data_dir``, or ``hallsync_bench`` on the server."""
    if not db_url:
        return f"sqlite:///{data_dir / 'hub.db'}"
    parts = urlparse(db_url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise click.BadParameter("--db must be a postgresql:// URL (SQLite is the default)")
    import psycopg2
    admin = psycopg2.connect(db_url, connect_timeout=5)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{BENCH_DB}"')
    admin.close()
    return urlunparse(parts._replace(path=f"/{BENCH_DB}"))


def _schema() -> str:
    """What a load is made of: a load of another set of counters must be made again."""
    from hub.stats import rollups
    return ",".join(rollups.FIELDS)


def loaded(db) -> int | None:
    """The N of the load already in this database, if a load finished with today's counters."""
    db.execute_sql(f"CREATE TABLE IF NOT EXISTS {MARK} (cases BIGINT, last_day VARCHAR(10), "
                   "counters TEXT)")
    row = db.execute_sql(f"SELECT cases, counters FROM {MARK}").fetchone()
    return row[0] if row and row[1] == _schema() else None


def _copy(db, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Bulk rows: COPY on PostgreSQL (NULL is an empty unquoted field), executemany on SQLite."""
    from sync.database import insert_rows, is_postgresql
    if not rows:
        return
    if not is_postgresql(db):
        insert_rows(db, table, columns, rows)
        return
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    buffer.seek(0)
    quoted = ", ".join(f'"{c}"' for c in columns)  # "user" is a reserved word
    db.cursor().copy_expert(f"COPY {table} ({quoted}) FROM STDIN WITH (FORMAT csv)",
                            buffer)


def load(db, n: int, last_day: datetime.date, *, with_actions: bool = False,
         progress=lambda text: None) -> float:
    """Replace the cases and rollups with N generated ones; returns the seconds taken."""
    from hallsync.bench.stats_cases import ACTION_COLUMNS, HUBCASE_COLUMNS, generate
    from hub.models import ROLLUPS, HubCase, HubCaseAction
    from hub.stats import rollups
    from sync.topology import load_topology
    started = time.perf_counter()
    tables = (HubCase, HubCaseAction, *ROLLUPS)
    db.execute_sql(f"DELETE FROM {MARK}")
    db.drop_tables(tables, safe=True)
    db.create_tables(tables)
    for model in tables:  # built once after the load, not row by row
        model._schema.drop_indexes(safe=True)
    total = 0
    for batch in generate(n, load_topology(), last_day, with_actions=with_actions):
        with db.atomic():
            _copy(db, HubCase._meta.table_name, HUBCASE_COLUMNS, batch.cases)
            _copy(db, HubCaseAction._meta.table_name, ACTION_COLUMNS, batch.actions)
            for rows, (model, columns, _key) in zip(batch.grains, rollups.GRAINS):
                _copy(db, model._meta.table_name, columns + rollups.FIELDS,
                      [(*key, *values) for key, values in rows.items()])
        total += len(batch.cases)
        progress(f"{total} cases, {time.perf_counter() - started:.0f} s")
    progress("indexing")
    for model in tables:
        model._schema.create_indexes(safe=True)
    db.execute_sql("ANALYZE")
    db.execute_sql(f"INSERT INTO {MARK} VALUES (%s, %s, %s)".replace("%s", db.param),
                   (int(n), last_day.isoformat(), _schema()))
    return time.perf_counter() - started


def logged_in(app):
    """A test client logged in as a city-wide auditor, so every timing includes the login
    check a real page pays (the account is made afresh, with a random password)."""
    import secrets

    from hub.models import database
    from hub.staff import HUB_STAFF
    password = secrets.token_urlsafe(16)
    with database.connection_context():
        HUB_STAFF.user.delete().where(HUB_STAFF.user.username == "bench-auditor").execute()
        HUB_STAFF.add_user("bench-auditor", password, ["auditor"], now_ms=0)
    client = app.test_client()
    token = client.get("/api/csrf").get_json()["csrf_token"]
    answer = client.post("/login", data={"username": "bench-auditor", "password": password,
                                         "csrf_token": token})
    if answer.status_code != 302:
        raise click.ClickException(f"bench login failed: HTTP {answer.status_code}")
    return client


def measure(client, url: str, requests: int) -> dict:
    """p50/p99 milliseconds of ``requests`` GETs after two warm-ups; refuses a non-200."""
    timings = []
    for i in range(requests + 2):
        start = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise click.ClickException(f"{url}: HTTP {response.status_code}: "
                                       f"{response.get_data(as_text=True)[:300]}")
        if i >= 2:
            timings.append(elapsed)
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return {"p50_ms": round(statistics.median(timings), 1), "p99_ms": round(cuts[98], 1)}


@click.command("stats")
@click.option("--cases", "n", default=4_742_000, show_default=True, type=click.IntRange(1),
              help="Cases to load.")
@click.option("--db", "db_url", default=None,
              help="A PostgreSQL server URL (the bench uses its database hallsync_bench); "
                   "default SQLite in --data-dir.")
@click.option("--data-dir", default="/tmp/hallsync-bench-stats", show_default=True,
              type=click.Path(file_okay=False), help="Hub data directory (and SQLite file).")
@click.option("--requests", default=50, show_default=True, type=click.IntRange(1),
              help="Timed requests per target.")
@click.option("--reload", is_flag=True, help="Load again even if N cases are loaded.")
@json_option
def stats(n, db_url, data_dir, requests, reload, as_json):
    """Load N cases (or reuse a load of N) and time every stats API and page."""
    from hub import db as hub_db
    from hub.app import create_app
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    url = bench_url(db_url, data_dir)
    db = hub_db.bind(url)
    seconds = None
    with db.connection_context():
        if reload or loaded(db) != n:
            last_day = china_today() - datetime.timedelta(days=1)
            seconds = load(db, n, last_day, progress=lambda text: click.echo(text, err=True))
            click.echo(f"loaded {n} cases in {seconds:.0f} s", err=True)
        last_day = datetime.date.fromisoformat(
            db.execute_sql(f"SELECT last_day FROM {MARK}").fetchone()[0])
    client = logged_in(create_app({"data_dir": str(data_dir), "database_url": url}))
    results = {}
    for name, target in targets(last_day):
        results[name] = measure(client, target, requests)
        if not as_json:
            click.echo(f"{name:<36} p50 {results[name]['p50_ms']:>7.1f} ms   "
                       f"p99 {results[name]['p99_ms']:>7.1f} ms")
    slowest = max(results, key=lambda k: results[k]["p99_ms"])
    emit({"cases": n, "db": urlparse(url).scheme, "load_seconds": seconds and round(seconds),
          "requests": requests, "p99_ms": results[slowest]["p99_ms"], "slowest": slowest,
          "targets": results}, True)
