"""``hallsync hub …``: operate the hub (``hub run``, which serves it with the city node, is in ``hallsync.city_commands``)."""
from __future__ import annotations

import click

from sync import envelope as env
from sync.case_clock import china_today
from sync.cli_output import data_dir_option, emit, json_option, progress_bar


def open_hub(data_dir: str, db_url: str | None):
    """Settings and the hub's key, its database bound and connected, for commands that do
    not serve."""
    from hub import handlers  # noqa: F401  (registers handlers for replay)
    from hub.app import initialise, load_settings
    from hub.models import database
    settings = load_settings({"data_dir": data_dir, **({"database_url": db_url} if db_url else {})})
    keys = initialise(settings).current()
    database.connect(reuse_if_open=True)
    return settings, keys


db_option = click.option("--db", "db_url", default=None,
                         help="Database URL (default sqlite:///DIR/hub.db).")


@click.group()
def hub():
    """The city hub: serve nodes, enroll centers, inspect what arrived."""


@hub.command("enroll-token")
@click.argument("center")
@data_dir_option
@db_option
def enroll_token(center, data_dir, db_url):
    """Print a one-time enrollment token for CENTER (alone on the last line)."""
    from hub.ledger.enrollment import make_token
    settings, keys = open_hub(data_dir, db_url)
    token = make_token(center, hub_keys=keys, ttl_s=settings["enroll_token_ttl_s"],
                       now_ms=env.now_ms())
    click.echo(f"token for {center}, valid {settings['enroll_token_ttl_s'] // 3600} h, "
               "usable once:", err=True)
    click.echo(token)


@hub.command()
@click.argument("center")
@data_dir_option
@db_option
def revoke(center, data_dir, db_url):
    """Revoke every key of CENTER: its messages are refused until it re-enrolls."""
    from hub.ledger.enrollment import revoke as revoke_center
    _settings, keys = open_hub(data_dir, db_url)
    revoked = revoke_center(center, hub_keys=keys, now_ms=env.now_ms())
    click.echo(f"revoked {len(revoked)} key(s) of {center}: {', '.join(revoked) or '-'}")


@hub.group()
def key():
    """The hub's own signing key."""


@key.command("rotate")
@data_dir_option
@db_option
@json_option
def key_rotate(data_dir, db_url, as_json):
    """Replace the hub's key; the old key endorses the new one, and every node follows.

    A running hub signs with the new key from its next reply on. Enrollment tokens made
    before the rotation name the old key: make new ones.
    """
    from hub.ledger.hub_keys import rotate
    open_hub(data_dir, db_url)
    emit(rotate(data_dir, now_ms=env.now_ms()), as_json)


@hub.command()
@data_dir_option
@db_option
@json_option
def status(data_dir, db_url, as_json):
    """Centers enrolled and revoked, events held, catalog version, refusals."""
    from hub.ledger.status import hub_status
    open_hub(data_dir, db_url)
    emit(hub_status(), as_json)


@hub.command()
@click.argument("title")
@click.argument("body")
@click.option("--to", "recipient", default="*", show_default=True,
              help="A center code, or * for every center.")
@data_dir_option
@db_option
def notice(title, body, recipient, data_dir, db_url):
    """Send a notice to one center or all of them, through the pull stream."""
    from hub.ledger.stream import publish
    _settings, keys = open_hub(data_dir, db_url)
    message_id = publish(keys, recipient, "notice", {"title": title, "body": body})
    click.echo(f"notice {message_id} queued for {recipient}")


@hub.command("set")
@click.argument("recipient")
@click.argument("assignments", nargs=-1, required=True)
@data_dir_option
@db_option
def set_settings(recipient, assignments, data_dir, db_url):
    """Change node settings remotely: RECIPIENT (center or *) NAME=VALUE …"""
    from hub.ledger.stream import publish
    _settings, keys = open_hub(data_dir, db_url)
    values = {}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep:
            raise click.BadParameter(f"{assignment!r} is not NAME=VALUE")
        values[name.strip()] = value.strip()
    message_id = publish(keys, recipient, "settings", {"settings": values})
    click.echo(f"settings message {message_id} queued for {recipient}")


@hub.group()
def quarantine():
    """Events the hub stored but could not apply."""


@quarantine.command("list")
@data_dir_option
@db_option
@json_option
def quarantine_list(data_dir, db_url, as_json):
    """List quarantined, held and refused events."""
    from hub.ledger.status import unapplied
    open_hub(data_dir, db_url)
    rows = unapplied()
    if not as_json:
        for row in rows:
            click.echo(f"{row['origin']}#{row['seq']} {row['type']} {row['record']} "
                       f"{row['state']} {row['code']}: {row['detail']}")
    emit({"events": rows, "count": len(rows)}, as_json, quiet=not as_json)


@quarantine.command("replay")
@click.option("--origin", default=None, help="Only this center's events.")
@data_dir_option
@db_option
@json_option
def quarantine_replay(origin, data_dir, db_url, as_json):
    """Apply quarantined and held events again (after a fix), in seq order."""
    from hub.ledger.apply import replay
    open_hub(data_dir, db_url)
    counts = replay(origin, now_ms=env.now_ms())
    emit(counts, as_json)


@hub.command("rebuild-stats")
@data_dir_option
@db_option
@json_option
def rebuild_stats(data_dir, db_url, as_json):
    """Rebuild the case rollups from the raw events; say whether they agreed."""
    from hub.models import HubCase
    from hub.stats import rollups
    open_hub(data_dir, db_url)
    before = rollups.snapshot()
    with progress_bar(HubCase.select().count(), "重算统计（办件）") as bar:
        rows = rollups.rebuild(bar.update)
    after = rollups.snapshot()
    differing = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    emit({"rows": rows, "agreed": not differing, "differing_rows": len(differing)}, as_json)


@hub.command()
@click.option("--center", default=None, help="A center code (default: the city).")
@click.option("--period", type=click.Choice(["day", "month", "quarter", "year"]), default="month",
              show_default=True)
@click.option("--date", "date_text", default=None,
              help="Which one: YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY (default: the current one).")
@click.option("--from", "start", default=None, help="Custom range: first day, YYYY-MM-DD.")
@click.option("--to", "end", default=None, help="Custom range: last day, YYYY-MM-DD.")
@click.option("--department", default=None, help="Only this department's matters.")
@click.option("--matter", default=None, help="Only this matter (basic code).")
@data_dir_option
@db_option
@json_option
def stats(center, period, date_text, start, end, department, matter, data_dir, db_url, as_json):
    """Case figures of a center and everything below it, with the previous period."""
    from hub.stats.figures import report
    from hub.stats.periods import period_from
    from sync.topology import load_topology
    open_hub(data_dir, db_url)
    args = {k: v for k, v in {"period": period, "date": date_text, "start": start,
                              "end": end}.items() if v}
    result = report(center or load_topology().hub.code,
                    period_from(args, china_today()),
                    department=department, matter=matter)
    if not as_json:
        _print_stats(result)
    emit(result, as_json, quiet=not as_json)


def _print_stats(result: dict) -> None:
    """Every figure of the report's headlines beside the previous period's, then the children."""
    from hub.stats.reports import HEADLINES, show
    from sync.cards import counts_line
    f, before = result["figures"], result["previous"]
    click.echo(f"{result['name']} {result['from']} … {result['to']}"
               f"（上期 {before['from']} … {before['to']}）")
    for label, key, kind in HEADLINES:
        click.echo(f"  {label}：{show(f[key], kind)}（上期 {show(before['figures'][key], kind)}）")
    click.echo(f"  当前在办 {result['now']['pending']} 件，其中超期 {result['now']['overdue']} 件")
    click.echo(f"  在办件电子监察：{counts_line(result['now']['cards'])}")
    for child in result["children"]:
        cf = child["figures"]
        if cf["received"] or cf["completed"]:
            click.echo(f"  {child['code']:<10} {child['name']}：收件 {cf['received']}，"
                       f"办结 {cf['completed']}")


@hub.command()
@click.option("--period", type=click.Choice(["month", "quarter", "year"]), default="month",
              show_default=True)
@click.option("--date", "date_text", default=None,
              help="YYYY-MM, YYYY-Qn or YYYY (default: the last whole period).")
@click.option("--center", default=None, help="A center code (default: the city).")
@click.option("--csv", "csv_path", default=None, type=click.Path(dir_okay=False),
              help="Write the report as CSV to this file.")
@data_dir_option
@db_option
@json_option
def report(period, date_text, center, csv_path, data_dir, db_url, as_json):
    """A monthly, quarterly or annual report of a center, as text, JSON or CSV."""
    import csv

    from hub.stats.reports import HEADLINES, article_rows, build, csv_rows, show
    from sync.cards import counts_line
    open_hub(data_dir, db_url)
    result = build(period, {"date": date_text, "center": center})
    if csv_path:
        with open(csv_path, "w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows(csv_rows(result))
    if not as_json:
        click.echo(f"{result['title']}（{result['from']} 至 {result['to']}）")
        for label, key, kind in HEADLINES:
            click.echo(f"  {label}: {show(result['figures'][key], kind)}"
                       f"（上期 {show(result['previous']['figures'][key], kind)}）")
        click.echo(f"  当前在办 {result['now']['pending']}，超期 {result['now']['overdue']}")
        click.echo(f"  在办件电子监察：{counts_line(result['now']['cards'])}")
        compared = result["article"]
        click.echo(f"与报道对照（{compared['source']}）")
        click.echo(f"  报道口径：{compared['scope']}")
        click.echo(f"  本系统同口径：{compared['ours_scope']['label']}；承诺事项按"
                   f"{compared['ours_scope']['catalog_label']}")
        for label, reported, ours in article_rows(result):
            click.echo(f"  {label}: 报道 {reported} | 本系统同口径 {ours}")
    emit(result, as_json, quiet=not as_json)


@hub.command()
@click.option("--center", default=None, help="A center code (default: the city); its cards "
                                              "and those of every center below it.")
@data_dir_option
@db_option
@json_option
def cards(center, data_dir, db_url, as_json):
    """Electronic supervision (电子监察): warnings, yellow and red cards, irregular handling."""
    from hub.cases.cards import listing
    from sync.cards import card_line, counts_line
    open_hub(data_dir, db_url)
    result = listing(center, china_today())
    if not as_json:
        click.echo(f"{result['name']} 电子监察（截至 {result['as_of']}）："
                   + counts_line(result["totals"]))
        for c in result["centers"]:
            click.echo(f"  {c['code']:<10} {c['name']}：" + counts_line(c["counts"]))
            for card in c["cards"]:
                click.echo("    " + card_line(card))
    emit(result, as_json, quiet=not as_json)
