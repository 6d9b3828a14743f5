"""``hallsync simulate``: the article's years of work, generated at real nodes and synced
through the real signed protocol to one hub, then counted on both sides.

Every chosen center of ``config/centers.toml`` gets a node data directory enrolled
with a ``hallsync hub run`` (``hallsync.bench.city.BenchHub``). The article's
4,742,000 cases are the city's and the districts' centers' (市中心, 分中心, 区县中心)
from 2002 to the article's day (2015-05-18, "截至目前"), so by default they are generated there over that period, with
the article's enterprise registrations (and capital) and key projects of ≥ 1 亿元
(and investment) among them, scaled to ``--cases``; the street centers' own work
(``STREET_SHARE`` more) is generated beside it and reported apart. All of it goes
through the historical import; only the streets' handoffs to their district (which
the import refuses: they involve another center) are made at the window, live, so
they are counted on the day of the run, apart. Each center runs in a pool process
(``hallsync.simulate_node``).
The figures counted while generating are printed beside the hub's (``hub.stats``),
the disk used per event, and, last on stdout, one JSON object.

Progress lives in the data directory (``plan.json``, ``progress/CENTER.json``): a
killed run resumes; a rerun of a finished one only reprints its figures.
"""
from __future__ import annotations

import datetime
import json
import multiprocessing
import random
import sys
import time
from pathlib import Path

import click

from hallsync import simulate_node
from hallsync.simulate_mix import amounts, spread
from sync import article
from sync.case_clock import china_today

# The article's figures, period and scope (sync.article, cited there).
ARTICLE_CASES = article.BY_KEY["accepted"].value
ARTICLE_ENTERPRISES = article.BY_KEY["enterprises_registered"].value
ARTICLE_CAPITAL_WAN = article.BY_KEY["registered_capital"].value        # 1,265.4 亿元
ARTICLE_PROJECTS = article.BY_KEY["projects_over_100m"].value
ARTICLE_INVESTMENT_WAN = article.BY_KEY["investment"].value             # 4,141 亿元
ARTICLE_FROM, ARTICLE_TO = article.PERIOD_START.isoformat(), article.PERIOD_END.isoformat()
SCOPE_LEVELS = article.SCOPE_LEVELS  # what the article's count covers
# The streets' own work beside it: the article gives no figure; an assumption, named.
STREET_SHARE = 0.10
# Of a street's cases, collected for its district (异地代收); made live, at least one.
HANDOFF_SHARE = 0.02
SEED = 2015


def choose_centers(count: int | None) -> tuple[list[str], list[str]]:
    """(city and district centers, street centers): all, or ``count`` in the network's
    proportions (at least one of the city's level, and a street when there are two)."""
    from sync.topology import load_topology
    topology = load_topology()
    scope = [c.code for level in SCOPE_LEVELS for c in topology.at_level(level)]
    streets = [c.code for c in topology.at_level("street")]
    if count is None or count >= len(scope) + len(streets):
        return scope, streets
    in_scope = max(1, round(count * len(scope) / (len(scope) + len(streets))))
    in_scope = min(in_scope, count - 1) if count > 1 else 1
    return scope[:in_scope], streets[:count - in_scope]


def make_plan(cases: int, count: int | None, start: str, end: str) -> dict:
    """Each center's quota: its cases, its enterprise registrations' capitals and its key
    projects' investments (the article's, scaled to ``cases``)."""
    from hub.stats.rollups import PROJECT_THRESHOLD_WAN
    scope, streets = choose_centers(count)
    rng = random.Random(SEED)
    capitals = _scaled(ARTICLE_ENTERPRISES, ARTICLE_CAPITAL_WAN, cases, len(scope), rng, 1)
    investments = _scaled(ARTICLE_PROJECTS, ARTICLE_INVESTMENT_WAN, cases, len(scope), rng,
                          PROJECT_THRESHOLD_WAN)
    jobs = [{"center": center, "scope": "city_district", "cases": n, "capitals": money,
             "investments": projects}
            for center, n, money, projects in zip(scope, spread(cases, len(scope)), capitals,
                                                   investments)]
    for center, n in zip(streets, spread(round(cases * STREET_SHARE), len(streets) or 1)):
        jobs.append({"center": center, "scope": "streets", "cases": n, "capitals": [],
                     "investments": [], "handoffs": max(1, round(n * HANDOFF_SHARE))})
    for job in jobs:  # each registration and project is a case of its own
        if job["cases"] < len(job["capitals"]) + len(job["investments"]):
            raise click.BadParameter(f"too few for {len(scope)} centers of the city and "
                                     "districts: each needs a case per registration and "
                                     "project", param_hint="--cases")
    return {"cases": cases, "centers": len(jobs), "from": start, "to": end, "seed": SEED,
            "jobs": [j | {"from": start, "to": end, "seed": SEED} for j in jobs if j["cases"]]}


@click.command()
@click.option("--cases", type=click.IntRange(min=1), default=ARTICLE_CASES, show_default=True,
              help="Cases of the city's and the districts' centers (the article's scope).")
@click.option("--centers", "count", type=click.IntRange(min=1), default=None,
              help="Only this many centers (default: all of config/centers.toml).")
@click.option("--from", "start", default=ARTICLE_FROM, show_default=True,
              help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "end", default=ARTICLE_TO, show_default=True,
              help="Last day of the period, before today.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("simulate-data"), show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Center processes at once.")
@click.option("--stop-after", type=click.IntRange(min=1), default=None, hidden=True,
              help="Test hook: stop (exit 3) once this many centers are synced.")
@click.option("--json", "as_json", is_flag=True, help="Only the JSON line on stdout.")
def simulate(cases, count, start, end, data_dir, workers, stop_after, as_json):
    """Generate the article's cases at every center's node, sync them to one hub, and
    compare the figures counted at the nodes with the hub's."""
    started = time.perf_counter()
    _check_period(start, end)
    plan = _load_plan(data_dir, make_plan(cases, count, start, end))
    pending = [j for j in plan["jobs"]
               if not simulate_node.read_progress(data_dir, j["center"]).get("synced")]
    if pending:
        _run(data_dir, pending, workers, stop_after)
    else:
        click.echo(f"{data_dir}: every center generated and synced; reading the figures",
                   err=True)
    from hallsync.simulate_report import compare
    result = compare(data_dir, plan)
    seconds = round(time.perf_counter() - started, 1)
    result = {"cases": plan["cases"], "seconds": seconds,
              "seconds_total": _add_seconds(data_dir, seconds, bool(pending)), **result}
    if not as_json:
        from hallsync.simulate_report import print_table
        print_table(result)
    click.echo(json.dumps(result, ensure_ascii=False, sort_keys=True))
    if result["generated"] != result["hub"]:
        click.echo("error: the hub's figures differ from what the nodes generated", err=True)
        sys.exit(1)


def _scaled(count: int, total_wan: int, cases: int, centers: int, rng: random.Random,
            least: int) -> list[list[int]]:
    """The article's ``count`` items worth ``total_wan`` scaled to ``cases``, dealt out
    to ``centers`` in turn; at least one, so a small run goes through every path."""
    scaled = max(1, round(count * cases / ARTICLE_CASES))
    money = amounts(scaled, max(least * scaled, round(total_wan * cases / ARTICLE_CASES)),
                    rng, least)
    return [money[i::centers] for i in range(centers)]


def _check_period(start: str, end: str) -> None:
    try:
        first, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--from/--to") from None
    if first > last or last >= china_today():
        raise click.BadParameter("need --from <= --to, both before today (the import's rule)",
                                 param_hint="--from/--to")


def _load_plan(data_dir: Path, plan: dict) -> dict:
    """The directory's plan; a rerun with other arguments would mix two simulations."""
    path = data_dir / "plan.json"
    if path.exists():
        kept = json.loads(path.read_text())
        if kept != plan:
            raise click.UsageError(f"{data_dir} holds a simulation of {kept['cases']} cases at "
                                   f"{kept['centers']} centers, {kept['from']} … {kept['to']}: "
                                   "rerun with those arguments, or use another --data-dir")
        return kept
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plan))
    return plan


def _run(data_dir: Path, jobs: list[dict], workers: int, stop_after: int | None) -> None:
    """The hub up, tokens for the centers not enrolled yet, each center in a pool process."""
    from hallsync.bench.city import BenchHub
    total = sum(j["cases"] for j in jobs)
    click.echo(f"simulate: {len(jobs)} centers to do, {total:,} cases", err=True)
    _stop_stray_hub(data_dir)
    with BenchHub(data_dir / "hub") as hub:
        (data_dir / "hub.pid").write_text(str(hub.process.pid))
        tokens = _tokens(data_dir, [j["center"] for j in jobs])
        work = sorted(({**j, "data_dir": str(data_dir), "hub_url": hub.url,
                        "token": tokens.get(j["center"])} for j in jobs),
                      key=lambda j: -j["cases"])  # the largest first: the pool ends together
        done, started = 0, time.perf_counter()
        context = multiprocessing.get_context("spawn")
        with context.Pool(workers, initializer=simulate_node.start_worker,
                          initargs=(context.Lock(),)) as pool:
            for progress in pool.imap_unordered(simulate_node.run_center, work):
                done += 1
                click.echo(f"  [{done}/{len(work)}] {time.perf_counter() - started:7.1f} s: "
                           f"{progress['center']} synced, {progress['generated']['received']:,} "
                           f"cases, {progress['events']:,} events", err=True)
                if stop_after and done >= stop_after:
                    pool.terminate()
                    click.echo(f"stopped after {done} centers (--stop-after)", err=True)
                    sys.exit(3)


def _stop_stray_hub(data_dir: Path) -> None:
    """The hub a killed run left serving this directory (its pid kept in ``hub.pid``,
    checked to be that hub): ended, so one hub writes ``hub.db``."""
    import os
    import signal
    path = data_dir / "hub.pid"
    if not path.exists():
        return
    pid = int(path.read_text())
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return  # gone already
    if b"run" in command and str(data_dir / "hub").encode() in command:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.1)


def _tokens(data_dir: Path, centers: list[str]) -> dict[str, str]:
    """One-time enrollment tokens for the centers whose node is not enrolled yet."""
    from hub.commands.hub import open_hub
    from hub.ledger.enrollment import make_token
    from sync import envelope as env
    need = [c for c in centers if not simulate_node.enrolled(data_dir / "nodes" / c)]
    if not need:
        return {}
    settings, keys = open_hub(str(data_dir / "hub"), None)
    return {c: make_token(c, hub_keys=keys, ttl_s=settings["enroll_token_ttl_s"],
                          now_ms=env.now_ms()) for c in need}


def _add_seconds(data_dir: Path, seconds: float, worked: bool) -> float:
    """Seconds of every run that did work, added up (a resumed run's whole cost)."""
    path = data_dir / "seconds.json"
    total = json.loads(path.read_text())["seconds"] if path.exists() else 0.0
    if worked:
        total = round(total + seconds, 1)
        path.write_text(json.dumps({"seconds": total}))
    return total

