"""What every ``hallsync`` command shares: ``--data-dir``, ``--json`` and how results print.

With ``--json`` a command prints one JSON object as its last line; without
it, ``key: value`` lines for people.
"""
from __future__ import annotations

import contextlib
import sys
from types import SimpleNamespace

import click
import orjson

data_dir_option = click.option("--data-dir", required=True, envvar="HALLSYNC_DATA_DIR",
                               type=click.Path(file_okay=False),
                               help="The data directory (env HALLSYNC_DATA_DIR).")
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print one JSON object as the last line.")


def emit(result: dict, as_json: bool, *, quiet: bool = False) -> None:
    """Print ``result`` for a script (one JSON line) or for a person."""
    if as_json:
        click.echo(orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS).decode())
        return
    if quiet:
        return
    for key, value in result.items():
        click.echo(f"{key}: {value}")


def progress_bar(length: int, label: str, *, shown: bool = True):
    """A long command's progress bar (``with … as bar: bar.update(n)``), on stderr and only
    on a terminal: piped, or read by a test, stderr stays quiet and stdout keeps its result.
    ``shown=False`` gives the same object drawing nothing (code a command shares)."""
    if not shown or not sys.stderr.isatty():
        return contextlib.nullcontext(SimpleNamespace(update=lambda n: None))
    return click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True)
