"""``hallsync node supervise on|off``: a district follows its streets' cases (督导), read only."""
from __future__ import annotations

import click

from node.cli import node
from sync.cli_output import data_dir_option, emit, json_option


@node.command()
@click.argument("switch", type=click.Choice(["on", "off"]))
@data_dir_option
@json_option
def supervise(switch, data_dir, as_json):
    """Ask the hub to relay (on) or stop relaying (off) this district's streets' case events.

    Only a district center may; the next sync sends the request. Turning it on
    also brings the cases the streets already hold.
    """
    from node import store, supervised
    store.bind(data_dir)
    emit(supervised.subscribe(store.load_keys(data_dir), store.state().center, switch == "on"),
         as_json)
