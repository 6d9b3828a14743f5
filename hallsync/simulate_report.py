"""What ``hallsync simulate`` prints: the figures counted at the nodes while generating,
the same figures read back from the hub's stats (``hub.stats.figures``, what
``hub stats`` and ``hub report`` show), city and district centers and streets apart,
and the disk each side used per event.
"""
from __future__ import annotations

import datetime
from collections import Counter
from pathlib import Path

import click

from hallsync import simulate_node
from hallsync.simulate_mix import COUNTED

# (label, figure) in the order printed; the rates as ``hub.stats.figures.derive`` rounds them.
SHOWN = (("收件", "received"), ("受理", "accepted"), ("办结", "completed"),
         ("办结率", "completion_rate"), ("即办件", "completed_immediately"),
         ("即办率", "immediate_rate"), ("承诺件平均承诺时限（工作日）", "average_promised_days"),
         ("企业设立登记（户）", "enterprises_registered"), ("注册资本（万元）", "registered_capital"),
         ("亿元以上项目", "projects_over_100m"), ("项目总投资（万元）", "investment"),
         ("移交办理", "handed_off"), ("好差评", "evaluated"))
SCOPES = {"city_district": "市、分中心、区县中心（文章口径）", "streets": "街道（乡镇）中心（另列）",
          "live_handoffs": "街道收件后移交区县（窗口实时办理，统计日）"}


def figures_of(counts: dict) -> dict:
    """The shown figures of raw counters (rates rounded as the hub rounds them)."""
    def rate(part, whole, digits=4):
        return round(part / whole, digits) if whole else None
    shown = {k: counts[k] for k in COUNTED if k != "promised_days"}
    shown["completion_rate"] = rate(counts["completed"], counts["accepted"])
    shown["immediate_rate"] = rate(counts["completed_immediately"], counts["completed"])
    shown["average_promised_days"] = rate(  # of the 承诺件: an immediate case's limit is 0
        counts["promised_days"], counts["accepted"] - counts["completed_immediately"], 2)
    return shown


def compare(data_dir: Path, plan: dict) -> dict:
    """Generated and hub figures by scope, and the disk used per event."""
    generated, hub, centers = {}, {}, {}
    for scope in SCOPES:
        jobs = [j for j in plan["jobs"] if j["scope"] == scope]
        if not jobs:
            continue
        codes = [j["center"] for j in jobs]
        counts = Counter({k: 0 for k in COUNTED})
        for code in codes:
            counts.update(simulate_node.read_progress(data_dir, code).get("generated", {}))
        generated[scope] = figures_of(counts)
        centers[scope] = len(codes)
        hub[scope] = _hub_figures(data_dir, codes, plan)
    live = [simulate_node.read_progress(data_dir, j["center"]).get("live")
            for j in plan["jobs"] if j.get("handoffs")]
    if live:  # the handoffs made at the windows today, compared over the days they took
        codes = [j["center"] for j in plan["jobs"] if j.get("handoffs")]
        days = (min(d["from"] for d in live), max(d["to"] for d in live))
        generated["live_handoffs"] = {k: sum(d[k] for d in live)
                                      for k in ("received", "handed_off")}
        found = _hub_figures(data_dir, codes, {"from": days[0], "to": days[1]})
        hub["live_handoffs"] = {k: found[k] for k in ("received", "handed_off")}
        centers["live_handoffs"] = len(codes)
        generated["live_handoffs"]["days"] = hub["live_handoffs"]["days"] = list(days)
    from hub.stats.article_figures import catalog_promised_days
    return {"centers": centers, "generated": generated, "hub": hub,
            "catalog": catalog_promised_days(),  # the article's 承诺事项 figure: of the matters
            "disk": _disk(data_dir, plan), "rates": _rates(data_dir, plan)}


def _rates(data_dir: Path, plan: dict) -> dict:
    """Per center process: cases imported a second at a node, events pushed a second to the
    hub (what the hub's apply allows); summed over centers' own seconds, not wall time."""
    done = [simulate_node.read_progress(data_dir, j["center"]) for j in plan["jobs"]]
    cases = sum(p.get("generated", {}).get("received", 0) for p in done)
    generating = sum(p.get("generate_seconds", 0) for p in done)
    pushed = sum(p.get("pushed", 0) for p in done)
    pushing = sum(p.get("push_seconds", 0) for p in done)
    return {"generated_cases_per_s": round(cases / generating, 1) if generating else None,
            "pushed_events_per_s": round(pushed / pushing, 1) if pushing else None}


def _hub_figures(data_dir: Path, codes: list[str], plan: dict) -> dict:
    from hub.commands.hub import open_hub
    from hub.stats.figures import figures
    open_hub(str(data_dir / "hub"), None)
    start, end = (datetime.date.fromisoformat(plan[k]) for k in ("from", "to"))
    found = figures(codes, start, end)
    return figures_of(found)


def _disk(data_dir: Path, plan: dict) -> dict:
    """Bytes per event: the hub's database over the events it holds, the nodes' over theirs."""
    from hub.models import Event
    hub_bytes = _size(data_dir / "hub", "hub.db")
    hub_events = Event.select().count()
    node_bytes = sum(_size(data_dir / "nodes" / j["center"], "node.db") for j in plan["jobs"])
    node_events = sum(simulate_node.read_progress(data_dir, j["center"]).get("events", 0)
                      for j in plan["jobs"])
    return {"hub_bytes": hub_bytes, "hub_events": hub_events,
            "hub_bytes_per_event": round(hub_bytes / hub_events) if hub_events else None,
            "node_bytes": node_bytes, "node_events": node_events,
            "node_bytes_per_event": round(node_bytes / node_events) if node_events else None}


def _size(directory: Path, name: str) -> int:
    # SQLite's write-ahead log holds pages not yet checkpointed into the file.
    return sum(p.stat().st_size for p in (directory / name, directory / f"{name}-wal")
               if p.exists())


def print_table(result: dict) -> None:
    """The figures side by side, per scope, then the disk."""
    for scope, title in SCOPES.items():
        if scope not in result["generated"]:
            continue
        gen, hub = result["generated"][scope], result["hub"][scope]
        click.echo(f"{title}：{result['centers'][scope]} 个中心")
        click.echo(f"  {'':<22}{'节点生成':>16}{'中心库统计':>16}")
        for label, key in SHOWN:
            if key not in gen:
                continue
            mark = "" if gen[key] == hub[key] else "  ≠"
            click.echo(f"  {label:<22}{_show(gen[key]):>16}{_show(hub[key]):>16}{mark}")
    catalog = result["catalog"]
    click.echo(f"承诺事项平均审批时限（现行目录市区两级承诺事项 {catalog['matters']} 项）："
               f"{_show(catalog['average_days'])} 个工作日（报道：不到 5 个工作日）")
    disk = result["disk"]
    click.echo(f"disk: hub {disk['hub_bytes']:,} B for {disk['hub_events']:,} events "
               f"({disk['hub_bytes_per_event']} B/event); nodes {disk['node_bytes']:,} B for "
               f"{disk['node_events']:,} events ({disk['node_bytes_per_event']} B/event)")
    rates = result["rates"]
    click.echo(f"rates (per center process): {rates['generated_cases_per_s']} cases/s imported "
               f"at a node, {rates['pushed_events_per_s']} events/s pushed to the hub")
    click.echo(f"seconds: {result['seconds']} (this run), {result['seconds_total']} (all runs)")


def _show(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return f"{value:,}"
