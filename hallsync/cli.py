"""The ``hallsync`` command: every group of the hub, the node and the tools."""
from __future__ import annotations

import sys

import click

from hallsync.lazy_group import LazyGroup
from sync.cli_output import emit, json_option
from sync.errors import ConfigError, HallsyncError, ValidationError


def _hub() -> click.Group:
    # Importing a command module adds its commands to its group.
    from hallsync import city_commands  # noqa: F401  (`hub run`, `hub city-node`)
    from hub.commands import (calendar, catalog, coverage, departments,  # noqa: F401  (`hub …`)
                              sms, users)
    from hub.commands.hub import hub
    return hub


def _node() -> click.Group:
    from node.cli import without_postgresql_driver
    without_postgresql_driver()  # before anything loads peewee
    from node import (appointments_cli, import_cli, licences_cli,  # noqa: F401
                      projects_cli, supervision_cli, users_cli)
    from node.cli import node
    return node


def _bench() -> click.Group:
    from hallsync.bench.appointments import appointments as bench_appointments
    from hallsync.bench.fleet import fleet as bench_fleet
    from hallsync.bench.ingest import bench
    from hallsync.bench.node import node as bench_node
    from hallsync.bench.pages import pages as bench_pages
    from hallsync.bench.progress import progress as bench_progress
    from hallsync.bench.sms import sms as bench_sms
    from hallsync.bench.soak import soak as bench_soak
    from hallsync.bench.stages import stages as bench_stages
    from hallsync.bench.stats import stats as bench_stats
    for command in (bench_appointments, bench_fleet, bench_node, bench_pages, bench_progress,
                    bench_sms, bench_soak, bench_stages, bench_stats):
        bench.add_command(command)
    return bench


def _demo() -> click.Command:
    from hallsync.demo import demo
    return demo


def _sms() -> click.Group:
    from hallsync.sms_commands import sms
    return sms


def _simulate() -> click.Command:
    from hallsync.simulate import simulate
    return simulate


# Each group is imported when named: `hallsync node run` loads no hub module.
@click.group(cls=LazyGroup, loaders={"bench": _bench, "demo": _demo, "hub": _hub,
                                     "node": _node, "simulate": _simulate,
                                     "sms": _sms})
def cli():
    """hallsync: signed, offline-first sync for a city's government service centers."""


@cli.command()
@click.option("--level", type=click.Choice(["city", "subcenter", "district", "street"]),
              default=None, help="Only centers of this level.")
@json_option
def centers(level, as_json):
    """List the city's centers (code, level, parent, name)."""
    from sync.topology import load_topology
    topology = load_topology()
    chosen = topology.at_level(level) if level else list(topology.centers)
    if not as_json:
        for c in chosen:
            click.echo(f"{c.code:<12} {c.level:<10} {c.parent or '-':<12} {c.name}")
    emit({"count": len(chosen), "centers": [c.__dict__ for c in chosen]}, as_json,
         quiet=not as_json)


@cli.group()
def audit():
    """Verify a center's tamper-evident record."""


@audit.command()
@click.option("--data-dir", required=True, type=click.Path(file_okay=False))
@click.option("--db", "db_url", default=None, help="The hub's database URL, if not in DIR.")
@click.option("--center", default=None, help="At the hub: only this center.")
@json_option
def verify(data_dir, db_url, center, as_json):
    """Check hash chains and signatures; exit 1 naming the first bad event.

    DIR is a node's data directory (node.db) or the hub's (all centers, or --center).
    """
    if _audited_site(data_dir, db_url) == "node":
        from node import store
        from node.audit import verify_node
        store.bind(data_dir)
        by_center = verify_node()
    else:
        from hub.commands.hub import open_hub
        from hub.ledger.audit import verify_hub
        open_hub(data_dir, db_url)
        by_center = verify_hub(center)
    faults = {c: r["fault"] for c, r in by_center.items() if r["fault"] is not None}
    first_bad = next((f"{c}#{f.seq}: {f.reason}" for c, f in faults.items()), None)
    if not as_json:
        for code, result in by_center.items():
            fault = result["fault"]
            click.echo(f"{code}: {result['events']} events, "
                       + (f"BAD at seq {fault.seq}: {fault.reason}" if fault else "intact"))
    emit({"intact": not faults, "centers": len(by_center),
          "events": sum(r["events"] for r in by_center.values()), "first_bad": first_bad},
         as_json, quiet=not as_json)
    if faults:
        click.echo(f"first bad event: {first_bad}", err=True)
        raise SystemExit(1)


def _audited_site(data_dir: str, db_url: str | None) -> str:
    """``node`` or ``hub``: what DIR holds. Opening a mistyped DIR as a hub would make an
    empty one there and report it intact, so a DIR holding neither is an error."""
    from pathlib import Path

    from hub.db import holds_a_hub
    from hub.settings import HUB
    from sync.settings import resolve
    if (Path(data_dir) / "node.db").exists() and not db_url:
        return "node"
    if (Path(data_dir) / "hub.db").exists() and not db_url:
        return "hub"
    url = db_url or resolve(HUB)["database_url"]
    if not url:
        raise ConfigError("data_dir", data_dir, "holds neither a node (node.db) nor a hub "
                                                "(hub.db); for a hub on PostgreSQL pass --db URL")
    if not holds_a_hub(url):  # a mistyped URL, or an empty database: tables would be made
        raise ConfigError("database_url", url, "holds no hub (no event table)")
    return "hub"


def main() -> None:
    """Console entry point: every error ends with one line ``error: CODE: detail``, exit 2.

    The one place where foreign errors become ours: click's usage errors, and a database
    that cannot be reached or read (``sync.database_errors``).
    """
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.UsageError as exc:
        if exc.ctx is not None:  # the usage line and the --help hint, as click prints them
            click.echo(f"{exc.ctx.get_usage()}\nTry '{exc.ctx.command_path} --help' for help.",
                       err=True)
        _fail(ValidationError(exc.format_message()))
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except HallsyncError as exc:
        _fail(exc)
    except Exception as exc:
        error = _database_or_disk_error(exc)
        if error is None:
            raise  # a bug (our query, say), with its traceback
        _fail(error)


def _database_or_disk_error(exc: Exception) -> HallsyncError | None:
    """Ours for a database that cannot be used or a full disk; None for anything else.

    Imported here, not at the top: loading it loads peewee, which would load the PostgreSQL
    driver before ``hallsync node`` could keep it out of a street PC's memory.
    """
    from sync.database_errors import FAILURES, database_unusable, disk_full_os_error
    if isinstance(exc, FAILURES):
        return database_unusable(exc)
    if isinstance(exc, OSError):
        return disk_full_os_error(exc)
    return None


def _fail(error: HallsyncError) -> None:
    click.echo(f"error: {error.code.value}: {error.detail}", err=True)
    sys.exit(2)


if __name__ == "__main__":
    main()
