"""``hallsync simulate``: a small run generates cases at real nodes, syncs them to a real
hub, and the hub's figures equal what the nodes generated; a rerun only reprints them;
an interrupted run resumes to the same figures."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from tests.processes import ROOT, child_env, hallsync, last_json

# 700 cases: the article's 6,599 registrations in 4,742,000 cases scale to one.
ARGS = ("simulate", "--cases", "700", "--centers", "4", "--from", "2015-10-01",
        "--to", "2015-12-31", "--json")


@pytest.mark.slow
def test_a_small_run_ends_with_the_hubs_figures_equal_to_the_generated_ones(tmp_path):
    first = last_json(hallsync(*ARGS, "--data-dir", tmp_path / "sim"))
    assert first["generated"] == first["hub"]
    scope, streets = first["generated"]["city_district"], first["generated"]["streets"]
    assert scope["received"] == 700 and streets["received"] == 70
    assert scope["enterprises_registered"] == 1 and scope["registered_capital"] == 1868
    assert scope["projects_over_100m"] == 1 and scope["investment"] == 10_000  # ≥ 1 亿元
    live = first["generated"]["live_handoffs"]  # one per street, at the window, today
    assert (live["received"], live["handed_off"]) == (3, 3)
    assert scope["immediate_rate"] > 0.7 and scope["evaluated"] > 0
    assert 0 < scope["average_promised_days"] < 30  # the 承诺件's, 即办件 left out
    assert first["catalog"]["matters"] > 0 and first["catalog"]["average_days"] < 5  # 承诺事项
    assert first["disk"]["hub_events"] == first["disk"]["node_events"] > 770 * 2
    assert first["rates"]["generated_cases_per_s"] > 0 and first["rates"]["pushed_events_per_s"] > 0
    assert "企业设立登记（户）" in hallsync(*ARGS[:-1], "--data-dir", tmp_path / "sim").stdout
    # Two center processes, one push at a time: the other generates meanwhile.
    turns = sorted(json.loads(path.read_text())["pushed_between"]
                   for path in (tmp_path / "sim" / "progress").glob("*.json"))
    assert len(turns) == 4
    assert all(done <= next_start for (_, done), (next_start, _) in zip(turns, turns[1:]))

    again = hallsync(*ARGS, "--data-dir", tmp_path / "sim")  # reprinted, nothing generated
    rerun = last_json(again)
    assert rerun["generated"] == first["generated"] and rerun["hub"] == first["hub"]
    assert "every center generated and synced" in again.stderr
    assert "cases generated" not in again.stderr
    assert rerun["seconds"] < first["seconds"]


@pytest.mark.slow
def test_an_interrupted_run_resumes_to_the_same_figures(tmp_path):
    stopped = hallsync(*ARGS, "--data-dir", tmp_path / "sim", "--stop-after", "1",
                       "--workers", "1", check=False)
    assert stopped.returncode == 3, stopped.stderr
    assert "stopped after 1 centers" in stopped.stderr
    resumed = last_json(hallsync(*ARGS, "--data-dir", tmp_path / "sim"))
    assert resumed["generated"] == resumed["hub"]
    whole = last_json(hallsync(*ARGS, "--data-dir", tmp_path / "whole"))
    assert resumed["generated"] == whole["generated"]
    assert resumed["disk"]["hub_events"] == whole["disk"]["hub_events"]


@pytest.mark.slow
def test_a_run_killed_after_its_first_center_resumes_to_the_same_figures(tmp_path):
    data_dir = tmp_path / "sim"
    process = subprocess.Popen([sys.executable, "-m", "hallsync", *ARGS, "--data-dir", data_dir],
                               cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while "[1/4]" not in (process.stderr.readline() or "") and time.monotonic() < deadline:
        assert process.poll() is None, "finished before it could be killed"
    process.send_signal(signal.SIGKILL)  # no cleanup: its hub and center processes orphaned
    process.wait()
    process.stderr.close()
    resumed = last_json(hallsync(*ARGS, "--data-dir", data_dir))
    assert resumed["generated"] == resumed["hub"]
    assert resumed["generated"]["city_district"]["received"] == 700
    assert resumed["disk"]["hub_events"] == resumed["disk"]["node_events"]


@pytest.mark.slow
def test_a_rerun_with_other_arguments_is_refused(tmp_path):
    hallsync(*ARGS, "--data-dir", tmp_path / "sim", "--stop-after", "1", check=False)
    other = hallsync("simulate", "--cases", "800", "--centers", "4", "--data-dir",
                     tmp_path / "sim", check=False)
    assert other.returncode == 2 and "rerun with those arguments" in other.stderr


def test_a_center_killed_mid_enrollment_counts_as_not_enrolled(tmp_path):
    """A key written, the state row not yet (``node.enroll`` writes it last): the rerun
    must mint the center a token, not find it enrolled."""
    import sqlite3

    from hallsync.simulate_node import enrolled
    node_dir = tmp_path / "nodes" / "210100"
    node_dir.mkdir(parents=True)
    (node_dir / "node.key").write_text("a key from a killed enrollment")
    assert not enrolled(node_dir)
    with sqlite3.connect(node_dir / "node.db") as db:
        db.execute("CREATE TABLE node_state (id INTEGER PRIMARY KEY)")
    assert not enrolled(node_dir)
    with sqlite3.connect(node_dir / "node.db") as db:
        db.execute("INSERT INTO node_state (id) VALUES (1)")
    assert enrolled(node_dir)
