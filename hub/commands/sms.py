"""``hallsync hub sms status``: the hub's SMS queue, message counts by state."""
from __future__ import annotations

import click

from hub.commands.hub import db_option, hub, open_hub
from sync.cli_output import data_dir_option, emit, json_option

LABELS = {"queued": "待发送", "sending": "发送中（结果待确认）", "sent": "已发送",
          "delivered": "已送达", "undelivered": "未送达", "failed": "被拒绝",
          "dropped": "过期未发"}


@hub.group("sms")
def sms():
    """The SMS the hub sends through the city's gateway account."""


@sms.command("status")
@data_dir_option
@db_option
@json_option
def status(data_dir, db_url, as_json):
    """Messages by state: queued, sending (in doubt), sent, delivered, … dropped."""
    from hub.sms.queue import counts
    open_hub(data_dir, db_url)
    found = counts()
    if not as_json:
        for state, n in found.items():
            click.echo(f"{LABELS[state]:<12} {state:<12} {n}")
    emit(found, as_json, quiet=not as_json)
