"""``hallsync hub departments add|list|revoke``: the keys of the departments' business
systems, which read their matters' results at ``/dept/v1/`` (``hub.views.department_api``)."""
from __future__ import annotations

import click

from hub.commands.hub import db_option, hub, open_hub
from sync.cli_output import data_dir_option, emit, json_option
from sync.envelope import now_ms


@hub.group("departments")
def departments():
    """Departments' business systems: their keys at the hub."""


@departments.command("add")
@click.argument("department")
@click.option("--public-key", default=None,
              help="The system's Ed25519 public key (base64). Without it the hub makes a pair "
                   "and writes the private key to --key-out, to hand over once.")
@click.option("--key-out", type=click.Path(dir_okay=False), default=None,
              help="Where to write the new private key (PEM, owner-only).")
@data_dir_option
@db_option
@json_option
def add(department, public_key, key_out, data_dir, db_url, as_json):
    """Register a key for DEPARTMENT (a code of config/departments.toml)."""
    from hub.ledger import department_keys
    if (public_key is None) == (key_out is None):
        raise click.UsageError("give exactly one of --public-key and --key-out")
    open_hub(data_dir, db_url)
    added, pair = department_keys.add(department, public_key, now_ms())
    if pair is not None:
        pair.save(key_out)
    emit({**added, "key_file": key_out}, as_json)


@departments.command("list")
@data_dir_option
@db_option
@json_option
def list_keys(data_dir, db_url, as_json):
    """Every department key, revoked ones too."""
    from hub.ledger import department_keys
    open_hub(data_dir, db_url)
    found = department_keys.listing()
    if not as_json:
        for key in found:
            click.echo(f"{key['department']:<12} {key['key_id']}  "
                       f"{'已吊销' if key['revoked_ms'] else '可用'}")
    emit({"keys": found}, as_json, quiet=not as_json)


@departments.command("revoke")
@click.argument("department")
@data_dir_option
@db_option
@json_option
def revoke(department, data_dir, db_url, as_json):
    """Revoke DEPARTMENT's keys: its system is refused from its next request."""
    from hub.ledger import department_keys
    open_hub(data_dir, db_url)
    emit({"department": department, "revoked": department_keys.revoke(department, now_ms())},
         as_json)
