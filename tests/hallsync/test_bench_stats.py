"""``hallsync bench stats``: its load is what the hub would have kept (a rebuild from the
loaded action logs agrees, on SQLite and PostgreSQL), and the command prints its JSON line."""
from __future__ import annotations

import datetime
import json

from click.testing import CliRunner

from hallsync.bench.stats import load, loaded, targets
from hub import db as hub_db
from hub.models import HubCase, HubCaseAction
from hub.stats import rollups
from hub.stats.figures import report
from hub.stats.periods import Period
from sync.case_clock import china_today


def test_the_load_equals_a_rebuild_from_its_events(tmp_path, hub_db_url):
    (tmp_path / "hub-data").mkdir(exist_ok=True)
    db = hub_db.bind(hub_db_url)
    with db.connection_context():
        assert loaded(db) is None
        load(db, 2000, datetime.date(2026, 11, 20), with_actions=True)
        assert loaded(db) == 2000 and HubCase.select().count() == 2000
        assert HubCaseAction.select().count() > 2000
        kept = rollups.snapshot()
        rollups.rebuild()
        assert rollups.snapshot() == kept
        city = report("210100", Period.custom(datetime.date(2023, 1, 1),
                                              datetime.date(2026, 11, 20)),
                      today=datetime.date(2026, 11, 21))
        assert city["figures"]["received"] == 2000
        assert 0.5 < city["figures"]["immediate_rate"] < 1  # most are 即办件, not all
        assert city["now"]["pending"] > 0  # the last days' cases are still open
    db.close()


def test_the_command_times_every_target_and_ends_with_json(tmp_path):
    from hallsync.cli import cli
    result = CliRunner().invoke(cli, ["bench", "stats", "--cases", "3000", "--requests", "3",
                                      "--data-dir", str(tmp_path / "bench"), "--json"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.output.strip().splitlines()[-1])
    assert line["cases"] == 3000 and line["p99_ms"] > 0 and line["db"] == "sqlite"
    assert set(line["targets"]) == {name for name, _url in targets(china_today())}
    again = CliRunner().invoke(cli, ["bench", "stats", "--cases", "3000", "--requests", "3",
                                     "--data-dir", str(tmp_path / "bench"), "--json"])
    assert json.loads(again.output.strip().splitlines()[-1])["load_seconds"] is None  # reused
