"""``hallsync node import FILE``: a center's past cases from an old system (docs/import.md)."""
from __future__ import annotations

from pathlib import Path

import click

from node.cli import node
from sync.cli_output import data_dir_option, emit, json_option


@node.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_dir_option
@json_option
def import_(file, data_dir, as_json):
    """Import past cases (JSON lines, or CSV with one row per step), all or nothing.

    Each case is checked through the state machine; a bad line is named
    (`line N: field`) and nothing is written. Cases already here are skipped.
    See config/examples/import.jsonl and docs/import.md.
    """
    from node import importer, store
    store.bind(data_dir)
    result = importer.import_file(file, store.load_keys(data_dir), shown=True)
    if not as_json and not result["cases_imported"]:
        click.echo(f"nothing to import: all {result['cases_in_file']} cases of the file "
                   "are already at this node")
    emit(result, as_json)
