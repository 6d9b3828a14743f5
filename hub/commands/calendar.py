"""``hallsync hub calendar …``: the working-day calendar's signed versions."""
from __future__ import annotations

import click

from hub.commands.hub import db_option, hub, open_hub
from sync.cli_output import data_dir_option, emit, json_option


@hub.group()
def calendar():
    """The working-day calendar: signed versions, sent to every center."""


@calendar.command("list")
@data_dir_option
@db_option
@json_option
def list_versions(data_dir, db_url, as_json):
    """Every version: number, digest, years covered, when it was applied."""
    from hub.calendar.authority import history
    open_hub(data_dir, db_url)
    versions = history()
    if not as_json:
        for v in versions:
            first, last = v["years"]
            click.echo(f"v{v['version']:<4} {v['digest']}  {first}–{last}  {v['applied_at']}")
    emit({"versions": versions}, as_json, quiet=not as_json)


@calendar.command()
@click.argument("calendar_file", type=click.Path(exists=True, dir_okay=False))
@data_dir_option
@db_option
@json_option
def apply(calendar_file, data_dir, db_url, as_json):
    """Publish CALENDAR_FILE (TOML, as config/calendar.toml) as the next signed version.

    It is checked first: a mistake names its field and nothing changes. A file with the
    same working days as the newest version, or one dropping a year it covers, is refused.
    """
    from hub.calendar.authority import apply_table
    from sync.calendar import read_table
    _settings, keys = open_hub(data_dir, db_url)
    body = apply_table(read_table(calendar_file), keys=keys)
    emit({"version": body["version"], "digest": body["digest"],
          "years": [body["first_year"], body["last_year"]], "applied_at": body["created_at"]},
         as_json)
