"""``hallsync bench node``: a street's node as a street PC runs it, against a real hub.

In temporary directories: a hub (``hallsync hub run``, a port from the OS),
a street node enrolled with it, then

* ``catchup_s``: 30 days of a busy street's window work done offline through
  the node's own code (``hallsync.bench.street_work``, about 6,000 events),
  then one ``hallsync node sync`` timed from spawn to exit (and the CPU
  seconds it and the hub spent, which a busy shared machine does not inflate);
* ``startup_s``: ``hallsync node run`` spawned → the first 200 page (/login);
* ``rss_mb``: the node's memory (PSS of its process and any children, the
  peak of samples) while a logged-in clerk requests its pages and its jobs
  run; a small backlog made offline before the start is theirs to push, so
  the samples see a real push, pull and heartbeat. PSS splits the pages of
  shared libraries among the processes mapping them, and the bench's own hub
  maps the same ones, so ``resident_mb`` (RSS, nothing shared) is printed
  too: alone on a street PC the node's PSS lies between the two.

Each number prints beside its target; progress goes to stderr; the last line
of stdout is one JSON object.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from hallsync.child_processes import NotAnswering, free_port, stop, wait_until_answers
from sync.cli_output import emit, json_option

TARGETS = {"rss_mb": 60.0, "startup_s": 1.5, "catchup_s": 10.0}
USER, PASSWORD = "bench", "bench-窗口-correct-horse"
PAGES = ("/", "/window/", "/window/figures", "/catalog/", "/api/queue", "/api/status")
# The node's jobs every second while it is measured, instead of every 15–60 s.
FAST_JOBS = {"HALLSYNC_PUSH_INTERVAL_S": "1", "HALLSYNC_PULL_INTERVAL_S": "1",
             "HALLSYNC_HEARTBEAT_INTERVAL_S": "1", "HALLSYNC_JITTER_S": "0"}


def _say(text: str) -> None:
    click.echo(text, err=True)


def _env(extra: dict | None = None) -> dict:
    """The children's environment: this checkout first on the path, no stray HALLSYNC_ settings."""
    root = str(Path(__file__).resolve().parents[2])
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLSYNC_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return {**env, **(extra or {})}


def _command(*args) -> list[str]:
    return [sys.executable, "-m", "hallsync", *map(str, args)]


def _run(*args) -> str:
    """Run ``hallsync ARGS``; its stdout (its failure, with stderr, stops the bench)."""
    result = subprocess.run(_command(*args), capture_output=True, text=True, env=_env())
    if result.returncode != 0:
        raise click.ClickException(f"hallsync {' '.join(map(str, args))} exited "
                                   f"{result.returncode}: {result.stdout[-1000:]}"
                                   f"{result.stderr[-2000:]}")
    return result.stdout


def _last_json(stdout: str) -> dict:
    import orjson
    return orjson.loads(stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def _server(args: list, log: Path, env: dict | None = None):
    """A ``hallsync …`` server process until the block ends (stopped with SIGTERM)."""
    with open(log, "ab") as err:
        proc = subprocess.Popen(_command(*args), env=_env(env), stdout=subprocess.DEVNULL,
                                stderr=err)
    try:
        yield proc
    finally:
        stop(proc, timeout=15)


def _first_200(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Return at the first 200 (polled often: it ends ``startup_s``)."""
    try:
        wait_until_answers(url, proc, timeout, status=200, pause=0.01)
    except NotAnswering as exc:
        raise click.ClickException(f"{exc}: {log.read_text()[-2000:]}")


def _enroll_street(root: Path, hub_url: str) -> Path:
    from hallsync.bench.street_work import STREET
    token = _run("hub", "enroll-token", STREET, "--data-dir", root / "hub").strip().splitlines()[-1]
    data_dir = root / "node"
    _run("node", "enroll", "--hub", hub_url, "--token", token, "--data-dir", data_dir, "--json")
    _run("node", "sync", "--data-dir", data_dir, "--json")  # the catalog, before any case
    _add_clerk(data_dir)
    return data_dir


def _add_clerk(data_dir: Path) -> None:
    from node import store
    from node.models import database
    from node.users import add_user
    from sync.envelope import now_ms
    store.bind(data_dir)
    with database.connection_context():
        add_user(USER, PASSWORD, ["clerk", "reviewer", "approver", "center_admin"],
                 now_ms=now_ms())


def _work(data_dir: Path, events: int, progress=_say) -> int:
    from hallsync.bench.street_work import do_work
    from node.models import database
    made = do_work(data_dir, events, progress=progress)
    database.close()  # the node's processes write next
    return made


def _hub_events(root: Path) -> int:
    return _last_json(_run("hub", "status", "--data-dir", root / "hub", "--json"))["events_held"]


def _catch_up(data_dir: Path, hub_pid: int) -> tuple[float, dict, dict]:
    """One ``hallsync node sync``: its wall time, what moved, and the CPU seconds it and the
    hub spent (what the wall time would be on an idle machine, give or take the disk)."""
    from hallsync.bench.proc import cpu_seconds
    hub_before, node_before = cpu_seconds(hub_pid), _children_cpu_s()
    start = time.perf_counter()
    moved = _last_json(_run("node", "sync", "--data-dir", data_dir, "--json"))
    wall = time.perf_counter() - start
    cpu = {"node": round(_children_cpu_s() - node_before, 3),
           "hub": round(cpu_seconds(hub_pid) - hub_before, 3)}
    return wall, moved, cpu


def _children_cpu_s() -> float:
    """CPU seconds of this process's finished children (0 where ``resource`` is missing)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _serve_and_sample(url: str, pid: int, seconds: float) -> dict:
    """Request the pages as a logged-in clerk while sampling memory, until ``seconds`` passed
    and the node's jobs have pushed its backlog (at most a minute more)."""
    import requests
    from hallsync.bench.proc import memory_mb, resident_mb
    session = requests.Session()
    token = session.get(f"{url}/api/csrf", timeout=10).json()["csrf_token"]
    login = session.post(f"{url}/login", data={"username": USER, "password": PASSWORD,
                                               "csrf_token": token}, timeout=30)
    if login.status_code != 200 or "/login" in login.url:
        raise click.ClickException(f"login to the node failed: {login.status_code}")
    peak, resident, kind, pages, failed = 0.0, 0.0, "pss", 0, []
    start = time.monotonic()
    status = {}
    while True:
        for page in PAGES:
            response = session.get(url + page, timeout=30)
            pages += 1
            if response.status_code != 200:
                failed.append(f"{page}: {response.status_code}")
            mb, kind = memory_mb(pid)
            peak, resident = max(peak, mb), max(resident, resident_mb(pid) or 0.0)
        status = session.get(f"{url}/api/status", timeout=30).json()
        elapsed = time.monotonic() - start
        if elapsed >= seconds and (status["backlog"] == 0 or elapsed > seconds + 60):
            break
    return {"peak_mb": peak, "resident_mb": resident, "kind": kind, "pages": pages,
            "failed": failed[:5], "status": status}


def _stop(proc: subprocess.Popen) -> float:
    start = time.perf_counter()
    proc.terminate()
    proc.wait(30)
    return time.perf_counter() - start


def _measure(root: Path, events: int, serve_seconds: float) -> dict:
    (root / "hub").mkdir(parents=True, exist_ok=True)
    hub_port = free_port()
    hub_url = f"http://127.0.0.1:{hub_port}"
    with _server(["hub", "run", "--data-dir", root / "hub", "--port", hub_port],
                 root / "hub.log") as hub:
        _first_200(f"{hub_url}/__heartbeat__", hub, root / "hub.log")
        _say(f"hub at {hub_url}; enrolling the street's node")
        data_dir = _enroll_street(root, hub_url)

        _say(f"30 days of window work offline, about {events} events")
        made = _work(data_dir, events)
        catchup_s, moved, catchup_cpu = _catch_up(data_dir, hub.pid)
        _say(f"catch-up: {moved['pushed']} events pushed in {catchup_s:.2f} s; CPU: "
             f"node {catchup_cpu['node']:.2f} s, hub {catchup_cpu['hub']:.2f} s")

        # A day's worth more, offline: the node's own push job sends it while measured.
        backlog = _work(data_dir, max(10, events // 30), progress=lambda _text: None)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = root / "node.log"
        start = time.perf_counter()
        with _server(["node", "run", "--data-dir", data_dir, "--port", port], log,
                     FAST_JOBS) as node:
            _first_200(f"{url}/login", node, log)
            startup_s = time.perf_counter() - start
            _say(f"node run answered in {startup_s:.2f} s; serving pages, jobs running")
            served = _serve_and_sample(url, node.pid, serve_seconds)
            stop_s = _stop(node)
        hub_events = _hub_events(root)
    return {"rss_mb": round(served["peak_mb"], 1), "startup_s": round(startup_s, 3),
            "catchup_s": round(catchup_s, 3), "catchup_cpu_s": catchup_cpu, "events": made,
            "pushed": moved["pushed"],
            "backlog_by_jobs": backlog, "backlog_left": served["status"]["backlog"],
            "node_events": served["status"]["last_seq"], "hub_events": hub_events,
            "pages": served["pages"], "failed_pages": served["failed"],
            "memory": served["kind"], "resident_mb": round(served["resident_mb"], 1),
            "stop_s": round(stop_s, 3),
            "targets": TARGETS}


@click.command("node")
@click.option("--events", default=6000, show_default=True, type=click.IntRange(1),
              help="Events of the 30 days' offline work the catch-up pushes.")
@click.option("--serve-seconds", default=5.0, show_default=True, type=click.FloatRange(0),
              help="How long pages are requested (and memory sampled) while the jobs run.")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Keep the hub's and the node's directories here (default: removed after).")
@json_option
def node(events, serve_seconds, data_dir, as_json):
    """A street node's memory, start-up and 30-day catch-up against a real hub."""
    root = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="hallsync-bench-node-"))
    try:
        result = _measure(root, events, serve_seconds)
    finally:
        if not data_dir:
            shutil.rmtree(root, ignore_errors=True)
    if not as_json:
        memory = "PSS" if result["memory"] == "pss" else f"{result['memory']} (no PSS here)"
        for name, unit, label in (("rss_mb", "MB", f"memory ({memory})"),
                                  ("startup_s", "s", "start-up to the first page"),
                                  ("catchup_s", "s", f"catch-up of {result['events']} events")):
            verdict = "ok" if result[name] < TARGETS[name] else "OVER"
            click.echo(f"{name:<10} {result[name]:>8} {unit:<3} target < {TARGETS[name]:g} "
                       f"{unit:<3} {verdict}  {label}")
    emit(result, as_json=True)  # the last line, with or without --json
