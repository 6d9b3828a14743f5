"""``hallsync hub city-node enroll``: the city center's node, served by the hub at ``/city/``."""
from __future__ import annotations

import click

from hub.cli import db_option, hub, open_hub
from sync import envelope as env
from sync.cli_output import data_dir_option, json_option
from sync.errors import Code, ValidationError


@hub.group("city-node")
def city_node():
    """The city center's own node, where the city's departments decide cases handed up."""


def _refuse_other_center(city_dir: str, hub_code: str) -> None:
    """Check before the token is spent: DIR must be new or already the city center's."""
    from node import store
    from node.models import NodeState, database
    if not store.db_path(city_dir).is_file():
        return
    store.bind(city_dir)
    with database.connection_context():
        state = NodeState.get_or_none(NodeState.id == 1)
    if state is not None and state.center != hub_code:
        raise ValidationError(f"{city_dir} is the node of center {state.center}, not of the city "
                              f"center {hub_code}", field="city_dir", code=Code.CONFLICT)


@city_node.command()
@click.option("--city-dir", required=True, type=click.Path(file_okay=False),
              help="The city node's data directory (made if missing).")
@click.option("--hub-url", required=True,
              help="The hub's URL as its own workers reach it, e.g. http://127.0.0.1:8700")
@data_dir_option
@db_option
@json_option
@click.pass_context
def enroll(ctx, city_dir, hub_url, data_dir, db_url, as_json):
    """Mint the city center's token and enroll its node with the running hub, in one step."""
    from hub.enrollment import make_token
    from hub.models import database
    from node.cli import enroll as node_enroll
    from sync.topology import load_topology
    if not hub_url.startswith(("http://", "https://")):
        raise click.BadParameter(f"{hub_url!r} is not an http:// or https:// URL",
                                 param_hint="--hub-url")
    code = load_topology().hub.code
    _refuse_other_center(city_dir, code)
    settings, keys = open_hub(data_dir, db_url)
    token = make_token(code, hub_keys=keys, ttl_s=settings["enroll_token_ttl_s"],
                       now_ms=env.now_ms())
    database.close()  # the running hub writes the enrollment, not this process
    ctx.invoke(node_enroll, hub_url=hub_url, token=token, data_dir=city_dir, as_json=as_json)
    click.echo(f"Serve it with the hub: hallsync hub run --data-dir {data_dir} --city-node-dir "
               f"{city_dir} (or the setting city_node_dir); its staff: hallsync node user add "
               f"NAME --role clerk --data-dir {city_dir}", err=True)
