"""``hallsync node projects …``: this center's key-project lists (重点项目审批服务)."""
from __future__ import annotations

from pathlib import Path

import click

from node.cli import node
from sync.cli_output import data_dir_option, emit, json_option


@node.group()
def projects():
    """Key projects of this center: load a year's list, list progress."""


@projects.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_dir_option
@json_option
def load(file, data_dir, as_json):
    """Load (or replace) a year's key-project list from a TOML file; an error names the field.

    See config/key_projects.example.toml for the format.
    """
    from node import projects as key_projects
    from node import store
    store.bind(data_dir)
    store.state()  # the list is checked against the catalog: enrolled nodes only
    emit(key_projects.load(key_projects.read_toml(file.read_bytes()), user="cli"), as_json)


@projects.command("list")
@click.option("--year", type=click.IntRange(2000, 2100), default=None,
              help="The list's year (default: this year).")
@data_dir_option
@json_option
def list_(year, data_dir, as_json):
    """A year's key projects: steps done of total, overall deadline, status."""
    import datetime

    from node import projects as key_projects
    from node import store
    from node.app import load_settings
    from sync.case_clock import CHINA
    store.bind(data_dir)
    today = datetime.datetime.now(CHINA).date()
    shown = key_projects.project_list(
        year or today.year, store.state().center, today,
        yellow_within=load_settings({"data_dir": data_dir})["warning_yellow_days"])
    if not as_json:
        click.echo(f"{shown['year']} {shown['title'] or '（未载入）'}")
        for p in shown["projects"]:
            click.echo(f"{p['code']:<14} {p['done']}/{p['total']} {p['deadline']} "
                       f"{p['status']:<7} {p['name']}")
    emit(shown, as_json, quiet=not as_json)
