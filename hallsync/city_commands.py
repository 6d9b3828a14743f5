"""``hallsync hub run`` (the hub, with the city center's node at ``/city/``) and
``hallsync hub city-node enroll``: the commands that need both hub and node."""
from __future__ import annotations

import click

from hub.commands.hub import db_option, hub, open_hub
from sync import envelope as env
from sync.cli_output import data_dir_option, json_option
from sync.errors import Code, ValidationError


@hub.command()
@data_dir_option
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8700, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Worker processes (default: cores).")
@click.option("--city-node-dir", default=None, type=click.Path(file_okay=False),
              help="The city center's enrolled node, served at /city/ (setting city_node_dir).")
def run(data_dir, db_url, host, port, workers, city_node_dir):
    """Serve the hub (initialises its data directory on first run)."""
    from hallsync.city_node import create_app, start_jobs
    from hub.app import load_settings
    from sync.serve import serve
    config = {"data_dir": data_dir, "host": host, "port": port}
    if db_url:
        config["database_url"] = db_url
    if workers is not None:  # 0 is refused by the setting's check, not taken for "default"
        config["workers"] = workers
    if city_node_dir:
        config["city_node_dir"] = city_node_dir
    create_app(config)  # initialise keys and tables once, before the workers start
    settings = load_settings(config)
    click.echo(f"hub listening on http://{host}:{port}", err=True)
    if settings["city_node_dir"]:
        click.echo(f"the city's departments at http://{host}:{port}/city/", err=True)
    # The city node's sync jobs start in every worker, after the fork; one of them runs them.
    serve(lambda: create_app(config), host=host, port=port, workers=settings["workers"],
          threads=settings["threads"], post_worker_init=start_jobs)


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
    from hub.ledger.enrollment import make_token
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
