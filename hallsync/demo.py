"""``hallsync demo``: the hub and a district's nodes as real processes, a working day, then
their sites with a login for every role, served until Ctrl-C (``--once``: figures and exit).

Everything runs as operators would run it: ``hub run`` with the city's departments
at ``/city/`` (``hub city-node enroll``), ``hub enroll-token`` and ``node enroll``,
``hub user add`` and ``node user add``, and a ``node run`` per center; the day is
played in ``hallsync.demo_day``. The nodes sync every second here (their settings by
``HALLSYNC_*``) so that the day does not wait on the production intervals.
"""
from __future__ import annotations

import secrets
import shutil
import signal
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

import config
from hallsync.child_processes import free_port
from hallsync.demo_day import CITY, DISTRICT, NODES, Day, Sites, figures, sms_summary
from hallsync.demo_processes import Processes
from sync import roles
from sync.topology import load_topology

SYNC_EVERY_SECOND = {"HALLSYNC_PUSH_INTERVAL_S": "1", "HALLSYNC_PULL_INTERVAL_S": "1",
                     "HALLSYNC_HEARTBEAT_INTERVAL_S": "5", "HALLSYNC_JITTER_S": "0",
                     "HALLSYNC_BACKOFF_BASE_S": "1", "HALLSYNC_BACKOFF_CAP_S": "2"}
CITY_ROLES = ("clerk", "reviewer", "approver")  # the city's departments decide cases
# The fake gateway misbehaves a little, as providers do; the hub sends each SMS once anyway.
SMS_FAULTS = "timeout=0.1,error=0.1,lost_receipt=0.2,duplicate_receipt=0.2,delay_s=3"


def _start_sms_gateway(procs: Processes, hub_url: str) -> str:
    """``hallsync sms fake-gateway`` as the city's SMS provider, and the hub pointed at it
    (its settings by ``HALLSYNC_*``: the nodes ignore the hub's)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    procs.env.update({"HALLSYNC_SMS_GATEWAY_URL": url, "HALLSYNC_SMS_ACCESS_KEY_ID": "hallsync",
                      "HALLSYNC_SMS_ACCESS_KEY_SECRET": secrets.token_hex(16),
                      "HALLSYNC_SMS_INTERVAL_S": "1", "HALLSYNC_SMS_TIMEOUT_S": "1",
                      "HALLSYNC_SMS_QUIET_HOURS": "",  # a demo at night sends too
                      # the demo's applicants share one number: no hour's wait for it
                      "HALLSYNC_SMS_PER_NUMBER_HOUR": "100", "HALLSYNC_SMS_PER_NUMBER_DAY": "100"})
    procs.start("sms-gateway", ["sms", "fake-gateway", "--port", port, "--faults", SMS_FAULTS,
                                "--receipt-url", f"{hub_url}/sms/v1/receipts"],
                f"{url}/_fake/state")
    return url


def _add_logins(procs: Processes, group: str, data_dir: Path, site_roles, scope: dict | None,
                password: str) -> None:
    """One login per role, named after it: ``hallsync hub|node user add``."""
    for role in site_roles:
        extra = ("--scope", scope[role]) if scope and role in scope else ()
        procs.run(group, "user", "add", role, "--role", role, *extra, "--data-dir", data_dir,
                  "--password-stdin", input=password + "\n")


def start_network(procs: Processes, root: Path, password: str) -> Sites:
    """The hub, the city's node at /city/, and the district's three nodes, each enrolled."""
    topology = load_topology()
    hub_dir, city_dir = root / "hub", root / "city"
    port = free_port()
    hub_url = f"http://127.0.0.1:{port}"
    hub_args = ["hub", "run", "--data-dir", hub_dir, "--port", port, "--workers", "1"]

    def start_hub(city: bool = True) -> None:
        procs.start("hub", hub_args + (["--city-node-dir", city_dir] if city else []),
                    f"{hub_url}/__heartbeat__")

    click.echo(f"City network: {len(topology.centers)} centers "
               + ", ".join(f"{n} {lvl}" for lvl, n in topology.counts().items()))
    sms_url = _start_sms_gateway(procs, hub_url)
    start_hub(city=False)
    click.echo(f"1. Hub ({topology.hub.name}) running at {hub_url}, data in {root}; its SMS "
               f"go through a fake gateway that injects faults ({SMS_FAULTS})")
    for code in NODES:
        token = procs.run("hub", "enroll-token", code, "--data-dir", hub_dir).split()[-1]
        enrolled = procs.run_json("node", "enroll", "--hub", hub_url, "--token", token,
                                  "--data-dir", root / f"node-{code}")
        click.echo(f"2. Enrolled {topology.get(code).name} ({code}): its own key "
                   f"{enrolled['key_id']}, hub key pinned {enrolled['hub_key_id']}")
        # 网上预约: the example plan, sent to the hub with the node's first push
        procs.run("node", "appointments", "plan", config.path("appointments.example.toml"),
                  "--data-dir", root / f"node-{code}")
    enrolled = procs.run_json("hub", "city-node", "enroll", "--data-dir", hub_dir,
                              "--city-dir", city_dir, "--hub-url", hub_url)
    click.echo(f"2. Enrolled the city center's node ({CITY}, key {enrolled['key_id']}), "
               "for the hub to serve at /city/")
    sites_logins = [("hub", hub_dir, roles.HUB, {"district_admin": DISTRICT}),
                    ("node", city_dir, CITY_ROLES, None),
                    *(("node", root / f"node-{code}", roles.NODE, None) for code in NODES)]
    # A site's logins one after another (one database), the sites side by side.
    with ThreadPoolExecutor(len(sites_logins)) as pool:
        list(pool.map(lambda site: _add_logins(procs, *site, password), sites_logins))
    procs.stop("hub")  # the hub serves the city's node from its next start
    start_hub()
    ports = {code: free_port() for code in NODES}
    urls = {CITY: f"{hub_url}/city",
            **{code: f"http://127.0.0.1:{port}" for code, port in ports.items()}}
    procs.start_together([(f"node-{code}", ["node", "run", "--data-dir", root / f"node-{code}",
                                            "--port", port], f"{urls[code]}/__heartbeat__")
                          for code, port in ports.items()])
    click.echo(f"2. Logins made for every role; `hub run` with /city/ and a `node run` for "
               f"each of {', '.join(NODES)}, syncing on their own every second")
    return Sites(procs, hub_dir, hub_url, urls, password, stop_hub=lambda: procs.stop("hub"),
                 start_hub=start_hub, sms_gateway_url=sms_url)


def show_sites(sites: Sites) -> None:
    """Each site's URL and its logins, so one can look around."""
    topology = load_topology()

    def site(title: str, url: str, site_roles, names: dict, notes: dict | None = None) -> None:
        click.echo(f"  {title}: {url}/")
        for role in site_roles:
            note = f", {notes[role]}" if notes and role in notes else ""
            click.echo(f"      {role:<14} / {sites.password}   {names[role]}{note}")

    click.echo("\nThe centers serve until Ctrl-C. Log in with username / password:")
    site(f"hub, {topology.hub.name}", sites.hub_url, roles.HUB, roles.HUB,
         {"district_admin": topology.get(DISTRICT).name})
    site("the city's departments", sites.urls[CITY], CITY_ROLES, roles.NODE)
    for code in NODES:
        site(f"{code} {topology.get(code).name}", sites.urls[code], roles.NODE, roles.NODE)
    click.echo("Ctrl-C stops them all.")


def _serve(procs: Processes) -> None:
    """Wait for Ctrl-C (or SIGTERM); a server stopping on its own ends the demo too."""
    try:
        while not procs.exited():
            time.sleep(1)
        click.echo(f"{', '.join(procs.exited())} stopped on its own; stopping the rest")
    except KeyboardInterrupt:
        click.echo("\nStopping the hub and the nodes …")


@click.command()
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Keep the centers' data here (a new or empty directory). "
                   "Default: a temporary directory, removed at the end.")
@click.option("--once", is_flag=True, help="Play the day, print the figures and exit.")
def demo(data_dir, once):
    """Run the hub and a district's nodes, play a working day, and serve until Ctrl-C."""
    root = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="hallsync-demo-"))
    if data_dir and root.exists() and any(root.iterdir()):
        raise click.ClickException(f"{root} is not empty: give a new or empty directory")
    # SIGTERM as Ctrl-C (and Ctrl-C even where a shell started us with SIGINT ignored):
    # both end in the `finally` that stops every process started here.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
    procs = Processes(root, SYNC_EVERY_SECOND)
    try:
        sites = start_network(procs, root, secrets.token_urlsafe(9))
        day = Day(sites)
        day.play()
        figures(sites, len(day.made))
        sms_summary(sites)
        if not once:
            show_sites(sites)
            _serve(procs)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut the stopping
        procs.stop_all()
        if not data_dir:
            shutil.rmtree(root, ignore_errors=True)
