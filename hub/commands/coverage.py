"""``hallsync hub coverage`` and ``hallsync hub alerts``: who is online, current, in trouble."""
from __future__ import annotations

import click

from hub.commands.hub import db_option, hub, open_hub
from sync import envelope as env
from sync.cli_output import data_dir_option, emit, json_option

COLOUR_NAMES = {"red": "红", "yellow": "黄"}


def _level_line(label: str, figures: dict) -> str:
    return (f"{label} {figures['centers']}：在线 {figures['online']}（{figures['percent_online']}%），"
            f"目录最新 {figures['current']}（{figures['percent_current']}%）；"
            f"绿 {figures['green']} 黄 {figures['yellow']} 红 {figures['red']}")


@hub.command("coverage")
@data_dir_option
@db_option
@json_option
def coverage_command(data_dir, db_url, as_json):
    """Per level the centers online and current; the red and yellow ones with reasons."""
    from hub.coverage.centers import LEVEL_NAMES, coverage
    settings, _keys = open_hub(data_dir, db_url)
    view = coverage(env.now_ms(), settings)
    if not as_json:
        click.echo(f"事项目录最新为第 {view['catalog_version']} 版")
        for level, figures in view["levels"].items():
            click.echo(_level_line(LEVEL_NAMES.get(level, level), figures))
        click.echo(_level_line("合计", view["totals"]))
        supervisors = [c for c in view["centers"] if c["supervision"]]
        if supervisors:
            click.echo("督导中：" + "、".join(f"{c['name']}（{c['code']}，"
                                             f"{c['supervision']['streets']} 个街道）"
                                             for c in supervisors))
        # Before the rollout is done most centers are simply not enrolled: one line, not 180.
        absent = [c for c in view["centers"] if not c["enrolled"]]
        if absent:
            click.echo(f"从未注册接入：{len(absent)} 个中心（名单见 --json）")
        for colour in ("red", "yellow"):
            for c in view["centers"]:
                if c["status"] == colour and c["enrolled"]:
                    click.echo(f"{COLOUR_NAMES[colour]} {c['code']:<10} {c['name']}："
                               + "；".join(c["reasons"]))
    emit(view, as_json, quiet=not as_json)


@hub.command("alerts")
@data_dir_option
@db_option
@json_option
def alerts_command(data_dir, db_url, as_json):
    """Evaluate coverage now, then list the open alerts and when each began."""
    from hub.coverage.alerts import evaluate, open_alerts
    settings, _keys = open_hub(data_dir, db_url)
    # What the hub's workers do every coverage_interval_s; idempotent, so running it
    # here too only brings the list up to this minute (a hub that is down included).
    changed = evaluate(env.now_ms(), settings)
    alerts = open_alerts()
    if not as_json:
        for a in alerts:
            click.echo(f"{a['began_at']}  {a['center']:<10} {a['name']}  "
                       f"{a['kind_name']}：{a['detail']}")
        click.echo(f"{len(alerts)} 条告警未解除（本次新开 {changed['opened']}，"
                   f"解除 {changed['cleared']}）")
    emit({"alerts": alerts, **changed}, as_json, quiet=not as_json)
