"""``hallsync hub catalog …``: list, show, diff, apply and history of the catalog."""
from __future__ import annotations

import tomllib
from pathlib import Path

import click
import orjson

from hub.commands.hub import db_option, hub, open_hub
from sync.cli_output import data_dir_option, emit, json_option
from sync.errors import ValidationError


@hub.group()
def catalog():
    """The catalog of matters: one authority, signed versions."""


def _read_change(path: str) -> dict:
    text = Path(path).read_bytes()
    try:
        return tomllib.loads(text.decode("utf-8")) if path.endswith(".toml") else orjson.loads(text)
    except (tomllib.TOMLDecodeError, orjson.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{path}: 不是有效的 JSON/TOML：{exc}", field="$") from None


@catalog.command("list")
@click.option("--level", default=None, help="Only matters exercised at this level.")
@click.option("--department", default=None, help="Only this department's matters (code).")
@data_dir_option
@db_option
@json_option
def list_matters(level, department, data_dir, db_url, as_json):
    """The matters in force."""
    from hub.catalog.authority import current_version, in_force
    open_hub(data_dir, db_url)
    matters = [m for _code, m in sorted(in_force().items())
               if (not level or level in m["levels"])
               and (not department or m["department"] == department)]
    if not as_json:
        for m in matters:
            click.echo(f"{m['basic_code']:<9} {m['department']:<10} {','.join(m['levels']):<16} "
                       f"{m['promised_limit_days']:>3}d  {m['name']}")
    emit({"version": current_version(), "count": len(matters), "matters": matters}, as_json,
         quiet=not as_json)


@catalog.command()
@click.argument("code")
@data_dir_option
@db_option
@json_option
def show(code, data_dir, db_url, as_json):
    """One matter, as it stands (in force or not)."""
    from hub.models import CatalogMatter
    from web import matter_lookup
    open_hub(data_dir, db_url)
    row = matter_lookup.find(CatalogMatter, code)
    if row is None:
        raise click.ClickException(f"no matter {code}")
    emit({"status": row.status, "version": row.version, "matter": orjson.loads(row.data)},
         as_json)


@catalog.command()
@click.argument("old", type=int)
@click.argument("new", type=int)
@data_dir_option
@db_option
@json_option
def diff(old, new, data_dir, db_url, as_json):
    """Matters added, removed and changed between versions OLD and NEW."""
    from hub.catalog.authority import diff as catalog_diff
    open_hub(data_dir, db_url)
    emit(catalog_diff(old, new), as_json)


@catalog.command()
@click.argument("change_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--preview", is_flag=True, help="Show the diff, change nothing.")
@data_dir_option
@db_option
@json_option
def apply(change_file, preview, data_dir, db_url, as_json):
    """Apply a change file (JSON or TOML): the next signed version, sent to every center."""
    from hub.catalog import authority
    _settings, keys = open_hub(data_dir, db_url)
    change = _read_change(change_file)
    shown = authority.preview(change)
    if preview:
        emit({"preview": True, **shown}, as_json)
        return
    body = authority.apply_change(change, keys=keys)
    emit({"version": body["version"], "op": body["op"], **{k: shown[k] for k in (
        "added", "removed", "changed", "count_before", "count_after")}}, as_json)


@catalog.command()
@data_dir_option
@db_option
@json_option
def history(data_dir, db_url, as_json):
    """Every version: operation, author, reason, effective date."""
    from hub.catalog.authority import history as catalog_history
    open_hub(data_dir, db_url)
    versions = catalog_history()
    if not as_json:
        for v in versions:
            click.echo(f"v{v['version']:<4} {v['op']:<8} {v['effective_date']} {v['author']}: "
                       f"{v['reason'][:60]} (+{len(v['put'])} −{len(v['removed'])})")
    emit({"versions": versions}, as_json, quiet=not as_json)


@catalog.command("attach-form")
@click.argument("code")
@click.argument("form_file")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--author", required=True, help="Who publishes it (shown in the history).")
@click.option("--reason", default="上传表格文件", show_default=True)
@click.option("--effective-date", default=None, help="YYYY-MM-DD (default: today).")
@data_dir_option
@db_option
@json_option
def attach_form(code, form_file, path, author, reason, effective_date, data_dir, db_url,
                as_json):
    """Publish the file at PATH as matter CODE's form FORM_FILE (as the catalog names it,
    e.g. forms/SY01001/application.docx): stored by its SHA-256, named in the next
    signed version; every node fetches it and checks the digest."""
    from hub.catalog.form_files import attach
    from sync.catalog_search import form_store_path
    _settings, keys = open_hub(data_dir, db_url)
    body = attach(data_dir, keys, code, form_file, Path(path).read_bytes(), author=author,
                  reason=reason, effective_date=effective_date)
    form = next(f for f in body["put"][0]["forms"]
                if form_store_path(f["file"]) == form_store_path(form_file))
    emit({"version": body["version"], "code": code, "file": form["file"],
          "sha256": form["sha256"]}, as_json)


@catalog.command("add-national-codes")
@click.option("--author", required=True, help="Who publishes it (shown in the history).")
@click.option("--effective-date", default=None, help="YYYY-MM-DD (default: today).")
@click.option("--preview", is_flag=True, help="Show the diff, change nothing.")
@data_dir_option
@db_option
@json_option
def add_national_codes(author, effective_date, preview, data_dir, db_url, as_json):
    """Give the matters in force their national codes (国家事项编码) and, for those created
    after March 2015, their established dates, as the seed catalog has them: one signed
    amend version that every center applies. Nothing to do: says so, changes nothing."""
    from hub.catalog import authority
    from sync.case_clock import china_today
    from sync.catalog_history import load_matters
    from sync.catalog_schema import matter_to_dict
    from sync.catalog_upgrade import amendment
    from sync.topology import load_topology
    _settings, keys = open_hub(data_dir, db_url)
    change = amendment(authority.in_force(), map(matter_to_dict, load_matters()),
                       load_topology().hub.code, author=author,
                       effective_date=effective_date or china_today().isoformat())
    if change is None:
        if not as_json:
            click.echo("nothing to do: every matter in force has its national code and date")
        emit({"version": authority.current_version(), "changed": {}}, as_json, quiet=not as_json)
        return
    shown = authority.preview(change)
    if preview:
        emit({"preview": True, **shown}, as_json)
        return
    body = authority.apply_change(change, keys=keys)
    emit({"version": body["version"], "op": body["op"], "changed": shown["changed"]}, as_json)
