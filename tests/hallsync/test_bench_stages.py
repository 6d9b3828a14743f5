"""``hallsync bench stages``: the nodes' real pushes replayed through the hub's app in one
process, every stage of the push endpoint timed within its whole; a work directory's mix
made once and replayed into a fresh copy of its hub on every run."""
from __future__ import annotations

import gc
import importlib
import sqlite3

import pytest

from hallsync.bench import stages
from hallsync.bench.ingest import CASE_EVENT_TYPES
from hallsync.bench.stages import REST, STAGES
from tests.processes import hallsync, last_json


def _case_events_held(hub_db) -> int:
    hub = sqlite3.connect(hub_db)
    try:
        return hub.execute(f"SELECT COUNT(*) FROM event WHERE type IN "
                           f"({', '.join('?' * len(CASE_EVENT_TYPES))})",
                           CASE_EVENT_TYPES).fetchone()[0]
    finally:
        hub.close()


@pytest.mark.slow
def test_every_stage_is_timed_within_its_whole_and_a_work_dir_replays_its_mix(tmp_path):
    work = tmp_path / "mix"
    first = last_json(hallsync("bench", "stages", "--events", "200", "--nodes", "2",
                               "--batch", "50", "--work-dir", work, "--json"))
    assert first["events"] == 200 and first["nodes"] == 2 and first["cases"] > 0
    timed = first["stages"]
    assert list(timed) == [label for label, *_ in STAGES] + [REST]
    # Every stage ran and took time, and so did the rest, which no stage timed (a stage
    # timed twice would leave it at zero or below); a part is within its whole.
    assert all(s["us_per_event"] > 0 for s in timed.values()), timed
    parent = None
    for label, *_rest, depth in STAGES:
        if depth == 0:
            parent = timed[label]
        else:
            assert timed[label]["us_per_event"] <= parent["us_per_event"], label
    assert all(s["sqlite_us_per_event"] <= s["us_per_event"] for s in timed.values()), timed
    assert 0 < timed["store and apply"]["sqlite_us_per_event"] < first["sqlite_us_per_event"]
    assert first["sqlite_us_per_event"] < first["total_us_per_event"]
    assert first["events_per_s_one_core"] == pytest.approx(1e6 / first["total_us_per_event"],
                                                           rel=0.01)
    assert first["ratio"] == pytest.approx(first["events_per_s_one_core"]
                                           / first["raw_sqlite_rows_per_s"], rel=0.01)
    # The replay went into a copy: the work dir's hub still has the mix to come.
    assert _case_events_held(work / "hub" / "hub.db") == 0

    again = hallsync("bench", "stages", "--events", "999", "--work-dir", work, "--json")
    assert "replaying the mix made in" in again.stderr
    second = last_json(again)
    assert (second["events"], second["cases"]) == (200, first["cases"])

    moved = work.rename(tmp_path / "moved")  # its nodes' paths are written in it
    refused = hallsync("bench", "stages", "--work-dir", moved, check=False)
    assert refused.returncode != 0 and "no longer there" in refused.stderr


def test_the_stopwatches_put_every_function_back_even_after_a_failure():
    def found():
        return {(module, name): getattr(importlib.import_module(module), name)
                for _label, module, name, _depth in STAGES}
    before = found()
    with pytest.raises(RuntimeError):
        with stages._stopwatches({}):
            assert all(now is not before[key] for key, now in found().items())
            raise RuntimeError("a push failed")
    assert found() == before
    assert stages._Clock.on_gc not in gc.callbacks
