"""``hallsync bench progress``: the public progress query (进度查询) at N cases.

N cases with their action logs (default the article's 4,742,000) are loaded into a
hub on SQLite as ``hallsync bench stats`` loads them (``hallsync.bench.stats.load``,
``with_actions``); a marker keeps the load for the next run with the same N. Then
``--sample`` cases picked at random get a query code, its salted hash written into
their ``received`` as a node sends it (``sync.query_hash``), and each is asked for
through the Flask test client: with its code (must answer 200), with a wrong code
and with an unknown number (must answer 404, the same bytes). Each timing is the
real request: the throttle's count, the one lookup, the hash check and the replay.
The last line is JSON with ``cases`` and ``p95_ms`` (target: under 200 ms).

``--guesses G`` then guesses one sampled case's code G times through the hub with the
real throttle, each guess from an address of its own (so the throttle never answers
for the code: the attacker with G addresses, the worst case for us). Every answer
must be the same bytes as an unknown number's; ``found`` counts guesses that opened
the case (about G / 2^40 expected: 0), ``answers`` the distinct replies (1).
"""
from __future__ import annotations

import datetime
import statistics
import time
from pathlib import Path

import click
import orjson

from sync.case_clock import china_today
from sync.cli_output import emit, json_option

MARK = "bench_progress_loaded"


def _loaded(db) -> int | None:
    db.execute_sql(f"CREATE TABLE IF NOT EXISTS {MARK} (cases BIGINT)")
    row = db.execute_sql(f"SELECT cases FROM {MARK}").fetchone()
    return row[0] if row else None


def _sample(db, size: int) -> list[tuple[str, str]]:
    """``size`` random cases, each given a fresh query code whose hash it now carries."""
    import secrets

    from hub.models import HubCase
    from sync import query_hash
    from sync.case_numbers import QUERY_ALPHABET, QUERY_LENGTH
    picked = []
    for number, received in (HubCase.select(HubCase.number, HubCase.received)
                             .order_by(db.random()).limit(size).tuples()):
        code = "".join(secrets.choice(QUERY_ALPHABET) for _ in range(QUERY_LENGTH))
        kept = {**orjson.loads(received), "query_hash": query_hash.hash_code(code)}
        HubCase.update(received=orjson.dumps(kept).decode()).where(
            HubCase.number == number).execute()
        picked.append((number, code))
    return picked


def _timed(client, number: str, code: str, expect: int) -> tuple[float, bytes]:
    start = time.perf_counter()
    response = client.get("/api/progress", query_string={"number": number, "code": code})
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != expect:
        raise click.ClickException(f"{number}: HTTP {response.status_code}, expected {expect}: "
                                   f"{response.get_data(as_text=True)[:300]}")
    return elapsed, response.data


def _guess(data_dir: Path, url: str, number: str, code: str, guesses: int) -> dict:
    """``guesses`` random wrong codes for ``number``, each from an address of its own."""
    import secrets

    from hub.app import create_app
    from sync.case_numbers import QUERY_ALPHABET, QUERY_LENGTH
    client = create_app({"data_dir": str(data_dir), "database_url": url}).test_client()
    unknown = client.get("/api/progress", query_string={"number": number[:-5] + "99999",
                                                        "code": code},
                         environ_base={"REMOTE_ADDR": "192.0.2.1"})  # an address of its own
    if unknown.status_code != 404:
        raise click.ClickException(f"an unknown number answered HTTP {unknown.status_code}")
    answers, found, start = {unknown.data}, 0, time.perf_counter()
    for i in range(guesses):
        guess = "".join(secrets.choice(QUERY_ALPHABET) for _ in range(QUERY_LENGTH))
        reply = client.get("/api/progress", query_string={"number": number, "code": guess},
                           environ_base={"REMOTE_ADDR": f"10.{i >> 16 & 255}.{i >> 8 & 255}."
                                                        f"{i & 255}"})
        if reply.status_code == 200:
            found += 1
        else:
            answers.add(reply.data)
        if i % 10_000 == 9_999:
            click.echo(f"{i + 1:,} guesses, {found} found, {len(answers)} distinct answers",
                       err=True)
    return {"guesses": guesses, "found": found, "answers": len(answers),
            "seconds": round(time.perf_counter() - start, 1)}


def _summary(timings: list[float]) -> dict:
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return {"p50_ms": round(statistics.median(timings), 1), "p95_ms": round(cuts[94], 1),
            "max_ms": round(max(timings), 1)}


@click.command("progress")
@click.option("--cases", "n", default=4_742_000, show_default=True, type=click.IntRange(1),
              help="Cases to load (with their action logs).")
@click.option("--sample", default=200, show_default=True, type=click.IntRange(2),
              help="Cases given a query code and asked for (three requests each).")
@click.option("--data-dir", default="/tmp/hallsync-bench-progress", show_default=True,
              type=click.Path(file_okay=False), help="Hub data directory (and SQLite file).")
@click.option("--guesses", default=0, show_default=True, type=click.IntRange(0),
              help="Then guess one case's code this many times, each from its own address "
                   "(the issue's figure: 100000).")
@json_option
def progress(n, sample, data_dir, guesses, as_json):
    """Load N cases (or reuse a load of N) and time the progress query."""
    from hallsync.bench.stats import load, loaded
    from hub import db as hub_db
    from hub.app import create_app
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{data_dir / 'hub.db'}"
    db = hub_db.bind(url)
    seconds = None
    with db.connection_context():
        if _loaded(db) != n:
            loaded(db)  # makes the stats load's own marker table, which ``load`` resets
            last_day = china_today() - datetime.timedelta(days=1)
            seconds = load(db, n, last_day, with_actions=True,
                           progress=lambda text: click.echo(text, err=True))
            db.execute_sql(f"DELETE FROM {MARK}")
            db.execute_sql(f"INSERT INTO {MARK} VALUES (?)", (n,))
        picked = _sample(db, sample)
    app = create_app({"data_dir": str(data_dir), "database_url": url,
                      "progress_max_queries": 10 ** 9})
    client = app.test_client()
    right, wrong, unknown = [], [], []
    for number, code in picked:
        right.append(_timed(client, number, code, 200)[0])
        other = "23456789" if code != "23456789" else "98765432"
        took, miss = _timed(client, number, other, 404)
        wrong.append(took)
        took, none = _timed(client, number[:-5] + "99999", code, 404)
        unknown.append(took)
        if miss != none:
            raise click.ClickException("a wrong code and an unknown number answered differently")
    everything = _summary(right + wrong + unknown)
    result = {"cases": n, "sample": len(picked), "load_seconds": seconds and round(seconds),
              "p95_ms": everything["p95_ms"], "all": everything, "right_code": _summary(right),
              "wrong_code": _summary(wrong), "unknown_number": _summary(unknown),
              "guessing": _guess(data_dir, url, *picked[0], guesses) if guesses else None}
    if not as_json:
        for name in ("right_code", "wrong_code", "unknown_number"):
            click.echo(f"{name:<16} p50 {result[name]['p50_ms']:>6.1f} ms   "
                       f"p95 {result[name]['p95_ms']:>6.1f} ms")
        if guesses:
            g = result["guessing"]
            click.echo(f"guessing         {g['guesses']:,} codes from as many addresses: "
                       f"{g['found']} found, {g['answers']} distinct answer(s), {g['seconds']} s")
    emit(result, True)
