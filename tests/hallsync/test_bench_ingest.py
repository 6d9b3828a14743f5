"""``hallsync bench ingest``: a small run pushes the real case mix through real node
processes and a real hub, which holds exactly what was pushed, all applied."""
from __future__ import annotations

import sqlite3

import pytest

from hallsync.bench.case_mix import LIFE_SHARES
from hallsync.bench.ingest import CASE_EVENT_TYPES
from tests.processes import hallsync, last_json

KEYS = {"events_per_s", "record_events_per_s", "raw_sqlite_rows_per_s", "ratio", "events",
        "cases", "pg_events_per_s", "mix", "hub_cpu_us_per_event", "nodes_cpu_us_per_event"}
# The actions each life of the mix leaves at the hub.
MIX_ACTIONS = {"complete_immediate", "accept", "start_review", "submit_for_approval", "decide",
               "deliver", "request_supplement", "supplement_in", "suspend_supplement",
               "hand_off", "evaluate"}


@pytest.mark.slow
def test_a_small_run_pushes_the_mix_and_the_hub_applies_all_of_it(tmp_path):
    work = tmp_path / "bench"
    result = hallsync("bench", "ingest", "--events", "300", "--pg-url", "", "--work-dir", work,
                      "--json")
    line = last_json(result)
    assert KEYS <= set(line)
    assert line["events"] == 300 and line["pg_events_per_s"] is None
    assert line["ratio"] == pytest.approx(line["events_per_s"] / line["raw_sqlite_rows_per_s"],
                                          rel=0.01)
    assert line["hub_cpu_us_per_event"] > 0 and line["nodes_cpu_us_per_event"] > 0
    assert set(line["mix"]) == {*LIFE_SHARES, "evaluated"}
    assert all(line["mix"].values()) and line["cases"] == sum(
        line["mix"][life] for life in LIFE_SHARES)
    assert line["mix"]["immediate"] / line["cases"] > 0.7  # 即办件 are most of the cases
    assert "raw SQLite" in result.stdout and "PostgreSQL" not in result.stderr

    hub = sqlite3.connect(work / "sqlite" / "hub" / "hub.db")
    held = dict(((kind, state), n) for kind, state, n in hub.execute(
        "SELECT type, state, COUNT(*) FROM event GROUP BY type, state"))
    # The mix's cases, the SMS they announce to a person's mobile (node.sms) and the
    # rectification orders a bad review opens, which some seeds draw and some do not.
    assert sum(held.get((kind, "applied"), 0) for kind in CASE_EVENT_TYPES) == 300
    assert held[("sms.requested", "applied")] > 0
    assert held[("record.put", "applied")] == 300  # the synthetic records, as many
    assert all(state == "applied" for _kind, state in held), held  # nothing quarantined
    assert hub.execute("SELECT COUNT(*) FROM hub_case").fetchone()[0] == line["cases"]
    actions = {a for (a,) in hub.execute("SELECT DISTINCT action FROM hub_case_action")}
    assert actions == MIX_ACTIONS
    assert hub.execute("SELECT COUNT(*) FROM case_handoff").fetchone()[0] == line["mix"][
        "handoff"]
    hub.close()
