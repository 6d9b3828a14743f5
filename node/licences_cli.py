"""``hallsync node licences …``: the licences this center issued (电子证照库), and revoking one."""
from __future__ import annotations

import click

from node.cli import node
from sync.case_clock import china_today
from sync.cli_output import data_dir_option, emit, json_option


@node.group()
def licences():
    """Licences this center issued: list them, revoke one."""


@licences.command("list")
@data_dir_option
@json_option
def list_(data_dir, as_json):
    """The licences this center issued, newest first: number, name, holder, validity, state."""
    from node import licences as register
    from node import store
    store.bind(data_dir)
    found = register.issued_here(store.state().center, china_today())
    if not as_json:
        for item in found:
            click.echo(f"{item['number']}  {item['state_label']:<4} {item['name']}  "
                       f"{item['holder_name']}  {item['valid_from']}–{item['valid_to'] or '长期'}  "
                       f"{item['case_number']}")
    emit({"licences": found}, as_json, quiet=not as_json)


@licences.command()
@click.argument("number")
@click.option("--reason", required=True, help="Why the licence is revoked (撤销原因).")
@data_dir_option
@json_option
def revoke(number, reason, data_dir, as_json):
    """Revoke a licence this center issued; every center hears of it at its next pull."""
    from node import case_log, store
    from node import licences as register
    store.bind(data_dir)
    emit(register.revoke(store.load_keys(data_dir), store.state().center, number, reason,
                         case_log.now()), as_json)
