"""``hallsync node supervise on|off``: a district follows its streets' cases (督导), read only;
``hallsync node cards``: this center's electronic supervision cards (电子监察)."""
from __future__ import annotations

import click

from node.cli import node
from sync.case_clock import china_today
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


@node.command()
@data_dir_option
@json_option
def cards(data_dir, as_json):
    """This center's 预警, 黄牌, 红牌 and irregular handling today, as the hub lists them."""
    from node import store
    from node.cards import listing
    from sync.cards import card_line, counts_line
    store.bind(data_dir)
    result = listing(china_today())
    if not as_json:
        click.echo(f"{result['name']} 电子监察（截至 {result['as_of']}）：" + counts_line(result["counts"]))
        for card in result["cards"]:
            click.echo("  " + card_line(card))
    emit(result, as_json, quiet=not as_json)
