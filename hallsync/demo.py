"""``hallsync demo``: a hub and three enrolled nodes syncing on SQLite, printing what moved.

Everything runs as real processes on loopback, exactly as operators would run
them: ``hub run``, ``hub enroll-token``, ``node enroll``, ``node sync``, and
``hub city-node enroll`` for the city center's node the hub serves at ``/city/``.
The centers' profiles written here are demo data and say so.
"""
from __future__ import annotations

import datetime
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import orjson
import requests

from node import cases, parallel, records, store
from node.case_log import Actor
from sync.catalog_history import load_matters
from sync.topology import load_topology

CENTERS = ("210102001", "210102")  # a street center of 和平区, and 和平区's own center


def _hallsync(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hallsync", *map(str, args)],
                          capture_output=True, text=True)


def _json(result: subprocess.CompletedProcess) -> dict:
    return orjson.loads(result.stdout.strip().splitlines()[-1])


def _start_hub(hub_dir: Path, port: int, city_dir: Path | None = None) -> subprocess.Popen:
    city = ["--city-node-dir", str(city_dir)] if city_dir else []
    proc = subprocess.Popen([sys.executable, "-m", "hallsync", "hub", "run", "--data-dir",
                             str(hub_dir), "--port", str(port), "--workers", "1", *city],
                            stderr=subprocess.DEVNULL)
    for _ in range(400):
        try:
            requests.get(f"http://127.0.0.1:{port}/__heartbeat__", timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.05)
    raise click.ClickException("the hub did not start")


def _write_profile(node_dir: Path, center: str, note: str) -> None:
    """A change at the node: its public profile (demo data), with its event."""
    store.bind(node_dir)
    records.put(store.load_keys(node_dir), center, f"profile:{center}",
                {"demo": True, "hours": "周一至周五 9:00-17:00", "windows_open": 6, "note": note})


def _window_case(node_dir: Path, center: str) -> dict:
    """A demo case at the district's window: received, accepted, reviewed, approved."""
    store.bind(node_dir)
    keys = store.load_keys(node_dir)
    matter = next(m for m in load_matters() if m.basic_code == "SY04001")
    case = cases.intake(keys, center, Actor("demo-clerk", "clerk"), {
        "matter_code": matter.basic_code, "outcome": "accept",
        "materials": [m.name for m in matter.materials],
        "applicant": {"kind": "enterprise", "name": "演示用建设有限公司",
                      "id_code": "91210100MA0Q123430", "phone": "02423456789"}})
    for action, role, data in (("start_review", "reviewer", {}),
                               ("submit_for_approval", "reviewer", {}),
                               ("decide", "approver", {"outcome": "approved",
                                                       "document_number": "演示〔2026〕1号"})):
        case = cases.act(keys, center, case["number"], action, Actor("demo", role), data)
    return case


def _act(node_dir: Path, center: str, number: str, steps) -> dict:
    """Actions on a case at one center's window (the store bound to that node)."""
    store.bind(node_dir)
    keys = store.load_keys(node_dir)
    case = None
    for action, role, data in steps:
        case = cases.act(keys, center, number, action, Actor("demo", role), data)
    return case


def _collected_case(node_dir: Path, center: str) -> dict:
    """A street window collects a food business licence, which its district decides."""
    store.bind(node_dir)
    matter = next(m for m in load_matters() if m.basic_code == "SY24901")
    return cases.intake(store.load_keys(node_dir), center, Actor("demo-clerk", "clerk"), {
        "matter_code": matter.basic_code, "outcome": "accept", "consent": True,
        "materials": [m.name for m in matter.materials],
        "applicant": {"kind": "person", "name": "演示申请人", "id_code": "210102198503150013",
                      "phone": "13800000000"}})


def _opinion(node_dir: Path, center: str, number: str, data: dict) -> None:
    """A consulted center signs its department's opinion (并联审批)."""
    store.bind(node_dir)
    parallel.give_opinion(store.load_keys(node_dir), center, number, "demo", data)


def _view(node_dir: Path, number: str) -> dict:
    store.bind(node_dir)
    return cases.view(number)


def _show_sync(name: str, result: subprocess.CompletedProcess) -> dict:
    moved = _json(result)
    errors = "; ".join(moved["errors"]) or "none"
    click.echo(f"  {name}: pushed {moved['pushed']} event(s), acked up to seq "
               f"{moved['acked_seq']}, pulled {moved['pulled']} message(s); errors: {errors}")
    return moved


@click.command()
@click.option("--data-dir", default="demo-data", show_default=True,
              type=click.Path(file_okay=False), help="Where the demo keeps its centers' data.")
def demo(data_dir):
    """Run a hub and three nodes on SQLite, and show what moves between them."""
    root = Path(data_dir)
    shutil.rmtree(root, ignore_errors=True)
    hub_dir = root / "hub"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    topology = load_topology()
    click.echo(f"City network: {len(topology.centers)} centers "
               + ", ".join(f"{n} {lvl}" for lvl, n in topology.counts().items()))
    hub = _start_hub(hub_dir, port)
    url = f"http://127.0.0.1:{port}"
    click.echo(f"1. Hub ({topology.hub.name}) running at {url}, data in {hub_dir}")
    try:
        nodes = {}
        for code in CENTERS:
            token = _hallsync("hub", "enroll-token", code, "--data-dir", hub_dir)
            token = token.stdout.strip().splitlines()[-1]
            node_dir = root / f"node-{code}"
            enrolled = _json(_hallsync("node", "enroll", "--hub", url, "--token", token,
                                       "--data-dir", node_dir, "--json"))
            nodes[code] = node_dir
            click.echo(f"2. Enrolled {topology.get(code).name} ({code}): its own key "
                       f"{enrolled['key_id']}, hub key pinned {enrolled['hub_key_id']}")
        for code, node_dir in nodes.items():
            _write_profile(node_dir, code, "开门营业")
        _hallsync("hub", "notice", "系统升级通知", "本周六 9:00-12:00 暂停同步", "--data-dir",
                  hub_dir)
        _hallsync("hub", "set", CENTERS[0], "push_interval_s=30", "--data-dir", hub_dir)
        click.echo("3. Each node recorded a change; the hub queued a notice for everyone "
                   f"and a settings change for {CENTERS[0]}. One sync cycle each:")
        for code, node_dir in nodes.items():
            _show_sync(code, _hallsync("node", "sync", "--data-dir", node_dir, "--json"))
        change = root / "catalog-change.json"
        change.write_bytes(orjson.dumps(
            {"op": "cancel", "codes": ["SY01006"], "author": "市政务服务中心（演示）",
             "reason": "演示：取消一项审批事项", "effective_date": "2026-12-01"}))
        applied = _json(_hallsync("hub", "catalog", "apply", change, "--data-dir", hub_dir,
                                  "--json"))
        click.echo(f"3b. The hub signs catalog version {applied['version']} (cancel "
                   f"{', '.join(applied['removed'])}: {applied['count_before']} → "
                   f"{applied['count_after']} matters); the nodes pull it:")
        for code, node_dir in nodes.items():
            _show_sync(code, _hallsync("node", "sync", "--data-dir", node_dir, "--json"))
            status = _json(_hallsync("node", "status", "--data-dir", node_dir, "--json"))
            click.echo(f"     {code} runs catalog v{status['catalog_version']} with "
                       f"{status['catalog_matters']} matters in force")
        case = _window_case(nodes[CENTERS[1]], CENTERS[1])
        click.echo(f"3c. At {CENTERS[1]}'s window: case {case['number']} "
                   f"({case['matter']['name']}), accepted, promised by {case['promised_date']}, "
                   f"reviewed and approved: {case['state_label']}, {case['document_number']}")
        _show_sync(CENTERS[1], _hallsync("node", "sync", "--data-dir", nodes[CENTERS[1]],
                                         "--json"))
        street, district = CENTERS
        handed = _collected_case(nodes[street], street)
        click.echo(f"3d. 异地代收代办: {street}'s window collects case {handed['number']} "
                   f"({handed['matter']['name']}, decided by the district): "
                   f"{handed['state_label']}")
        for code in (street, district):
            _show_sync(code, _hallsync("node", "sync", "--data-dir", nodes[code], "--json"))
        decided = _act(nodes[district], district, handed["number"], (
            ("take_over", "reviewer", {}), ("start_review", "reviewer", {}),
            ("submit_for_approval", "reviewer", {}),
            ("decide", "approver", {"outcome": "approved", "document_number": "演示食经〔2026〕1号"})))
        click.echo(f"     {district} takes it over and decides: {decided['state_label']}, "
                   f"{decided['document_number']}; the result flows back:")
        for code in (district, street):
            _show_sync(code, _hallsync("node", "sync", "--data-dir", nodes[code], "--json"))
        delivered = _act(nodes[street], street, handed["number"],
                         (("deliver", "clerk", {"method": "window"}),))
        click.echo(f"     {street} delivers it to the applicant: {delivered['state_label']} "
                   f"({len(delivered['history'])} steps, signed by both centers)")
        _show_sync(street, _hallsync("node", "sync", "--data-dir", nodes[street], "--json"))
        hub = _parallel_approval(root, hub, hub_dir, port, nodes)
        click.echo("4. The network goes down; the street center keeps working:")
        hub.terminate()
        hub.wait(10)
        for note in ("上午办件", "午间办件", "下午办件"):
            _write_profile(nodes[CENTERS[0]], CENTERS[0], note)
        _show_sync(CENTERS[0], _hallsync("node", "sync", "--data-dir", nodes[CENTERS[0]],
                                         "--json"))
        status = _json(_hallsync("node", "status", "--data-dir", nodes[CENTERS[0]], "--json"))
        click.echo(f"  backlog waiting at the node: {status['backlog']} event(s)")
        hub = _start_hub(hub_dir, port, root / "city")
        click.echo("5. The hub is back; the backlog drains:")
        _show_sync(CENTERS[0], _hallsync("node", "sync", "--data-dir", nodes[CENTERS[0]],
                                         "--json"))
        hub_status = _json(_hallsync("hub", "status", "--data-dir", hub_dir, "--json"))
        audit = _json(_hallsync("audit", "verify", "--data-dir", hub_dir, "--json"))
        click.echo(f"6. Hub holds {hub_status['events_held']} event(s) from "
                   f"{hub_status['centers_enrolled']} centers "
                   f"({hub_status['events_by_state']}); refusals: {hub_status['refusals']}")
        click.echo(f"   audit of every chain and signature at the hub: "
                   f"{'intact' if audit['intact'] else 'BROKEN at ' + audit['first_bad']}")
    finally:
        hub.terminate()
        hub.wait(10)


def _parallel_approval(root: Path, hub: subprocess.Popen, hub_dir: Path, port: int,
                       nodes: dict) -> subprocess.Popen:
    """市区两级并联审批: the district consults a city bureau, which asks for a material."""
    street, district = CENTERS
    city, city_dir, url = load_topology().hub.code, root / "city", f"http://127.0.0.1:{port}"
    enrolled = _json(_hallsync("hub", "city-node", "enroll", "--data-dir", hub_dir,
                               "--city-dir", city_dir, "--hub-url", url, "--json"))
    hub.terminate()
    hub.wait(10)
    hub = _start_hub(hub_dir, port, city_dir)
    click.echo(f"3e. 市区两级并联审批: the city center's node (key {enrolled['key_id']}) is "
               f"enrolled and served by the hub at {url}/city/window/")

    def sync(*codes):
        for code in codes:
            node_dir = city_dir if code == city else nodes[code]
            _show_sync(code, _hallsync("node", "sync", "--data-dir", node_dir, "--json"))

    number = _collected_case(nodes[street], street)["number"]
    sync(street, district)
    due = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    _act(nodes[district], district, number, (
        ("take_over", "reviewer", {}), ("start_review", "reviewer", {}),
        ("open_joint", "reviewer", {"departments": {"fire": due, "natres": due},
                                    "centers": {"natres": city}})))
    click.echo(f"     {district} takes case {number} over and opens a joint approval: its own "
               f"fire brigade, and the city's natural-resources bureau at {city}")
    sync(district, city)
    _opinion(city_dir, city, number, {"department": "natres", "decision": "supplement",
                                      "missing": ["建设项目规划设计方案"]})
    sync(city, district)
    paused = _view(nodes[district], number)
    click.echo(f"     the city asks for a material: at {district} the case is "
               f"{paused['state_label']}, missing {'、'.join(paused['missing'])}; "
               "the fire brigade consents meanwhile, then the material comes in")
    _act(nodes[district], district, number, (
        ("joint_decide", "approver", {"department": "fire", "decision": "consent"}),
        ("supplement_in", "clerk", {})))
    sync(district, city)
    _opinion(city_dir, city, number, {"department": "natres", "decision": "consent"})
    sync(city, district)
    decided = _act(nodes[district], district, number, (
        ("decide", "approver", {"outcome": "approved", "document_number": "演示食经〔2026〕2号"}),))
    sync(district, street)
    delivered = _act(nodes[street], street, number, (("deliver", "clerk", {"method": "window"}),))
    sync(street, district, city)
    seen = [[step["action"] for step in _view(d, number)["history"]]
            for d in (nodes[street], nodes[district], city_dir)]
    click.echo(f"     both sides decided, {district} approved ({decided['document_number']}) and "
               f"{street} delivered: {delivered['state_label']}; {len(seen[0])} steps, the same "
               f"at all three centers: {seen[0] == seen[1] == seen[2]}")
    return hub
