"""``hallsync bench fleet``: a short run of a few nodes ticking against a real hub prints
its JSON line, has no errors, and leaves the hub holding exactly what was acknowledged;
a second run on the same ``--work-dir`` reuses the enrolled nodes."""
from __future__ import annotations

import sqlite3

import pytest

from hallsync.bench.fleet import fleet_centers
from sync.topology import load_topology
from tests.processes import hallsync, last_json

KEYS = {"p50_ms", "p99_ms", "pushes", "events", "errors", "refusals", "nodes", "seconds"}


def _hub_events(work, centers) -> int:
    hub = sqlite3.connect(work / "hub" / "hub.db")
    marks = ", ".join("?" * len(centers))
    try:
        return hub.execute(f"SELECT COUNT(*) FROM event WHERE origin IN ({marks})",
                           centers).fetchone()[0]
    finally:
        hub.close()


@pytest.mark.slow
def test_a_short_run_pushes_without_errors_and_the_hub_holds_what_was_acknowledged(tmp_path):
    work = tmp_path / "fleet"
    centers = fleet_centers()[:6]
    result = hallsync("bench", "fleet", "--nodes", "6", "--seconds", "5", "--work-dir", work,
                      "--json")
    line = last_json(result)
    assert KEYS <= set(line)
    assert line["nodes"] == 6 and line["seconds"] == 5
    assert line["errors"] == 0, line["errors_by_kind"]
    assert line["pushes"] > 0 and line["events"] >= line["pushes"]
    assert 0 < line["p50_ms"] <= line["p99_ms"] <= line["max_ms"]
    # Measured, not made up: a round costs CPU at both ends, and no more than the machine has.
    assert line["hub_cpu_ms_per_round"] > 0 and line["node_cpu_ms_per_round"] > 0
    assert line["cpu_share"] > 0
    assert "CPU a round: hub" in result.stdout
    assert line["events_at_hub"] == line["events"] and line["unapplied"] == 0
    assert line["held_wrong"] == [] and line["reacknowledged"] == 0
    held = _hub_events(work, centers)  # every event from these centers came in the ticks
    assert held == line["events"] <= 50 * line["pushes"]
    assert "enrolling 6 nodes" in result.stderr

    again = hallsync("bench", "fleet", "--nodes", "6", "--seconds", "2", "--work-dir", work,
                     "--json")
    assert "already enrolled" in again.stderr
    second = last_json(again)
    assert second["errors"] == 0 and second["events"] > 0
    assert _hub_events(work, centers) == held + second["events"]

    # What each push dirties, measured on a copy: the work directory stays as it was.
    pages = last_json(hallsync("bench", "pages", "--work-dir", work, "--pushes", "3", "--json"))
    assert pages["pushes"] == 3 and pages["events"] >= 3
    assert 0 < pages["event_table_pages_per_push"] < pages["pages_per_push"]
    assert 0 < pages["by_table"]["event"] <= pages["event_table_pages_per_push"]
    assert "origin_head" in pages["by_table"]  # the ack's row: every push writes it
    assert _hub_events(work, centers) == held + second["events"]


def test_pages_needs_a_fleets_work_dir(tmp_path):
    result = hallsync("bench", "pages", "--work-dir", tmp_path, check=False)
    assert result.returncode == 2 and "bench fleet" in result.stderr


def test_the_fleet_is_every_center_but_the_hub_a_district_first():
    topology = load_topology()
    centers = fleet_centers()
    assert len(centers) == len(topology.centers) - 1 == len(set(centers))
    assert topology.hub.code not in centers
    first = topology.get(centers[0])
    assert first.level == "district"
    assert all(topology.get(c).parent == first.code for c in centers[1:6])


def test_more_nodes_than_centers_is_a_usage_error():
    result = hallsync("bench", "fleet", "--nodes", "500", check=False)
    assert result.returncode == 2 and "--nodes" in result.stderr


@pytest.mark.slow
def test_runs_with_the_same_start_begin_where_the_first_began(tmp_path):
    """``--same-start``: the first run keeps its start beside the work directory; the next
    begins from it, with the same events pending (none to make) and the hub as it was."""
    work, start = tmp_path / "fleet", tmp_path / "fleet.start"
    centers = fleet_centers()[:3]
    args = ("bench", "fleet", "--nodes", "3", "--seconds", "2", "--work-dir", work,
            "--same-start", "--json")
    first = hallsync(*args)
    assert "keeping this start" in first.stderr and start.is_dir()
    assert not (tmp_path / "fleet.start.partial").exists()
    made = last_json(first)["events_made"]
    assert made > 0 and _hub_events(start, centers) == 0
    assert not list(start.rglob("*-shm"))

    again = hallsync(*args)
    assert "beginning from the start" in again.stderr
    second = last_json(again)
    assert second["events_made"] == 0  # the start's pending events, not new ones
    assert second["errors"] == 0 and second["held_wrong"] == []
    assert _hub_events(work, centers) == second["events"]


def test_the_same_start_needs_a_work_dir():
    result = hallsync("bench", "fleet", "--same-start", check=False)
    assert result.returncode == 2 and "--same-start" in result.stderr
