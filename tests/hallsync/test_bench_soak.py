"""``hallsync bench soak``: a short run of a few nodes through the fault proxy meets faults,
counts them, samples memory, and ends with nothing lost, doubled or different."""
from __future__ import annotations

import pytest

from hallsync.bench.fault_proxy import FAULTS
from hallsync.bench.soak import compare
from tests.processes import hallsync, last_json


@pytest.mark.slow
def test_a_short_soak_with_faults_loses_and_doubles_nothing():
    result = hallsync("bench", "soak", "--nodes", "4", "--minutes", "0.3", "--fault-rate",
                      "0.25", "--processes", "1", "--json")
    line = last_json(result)
    assert line["faults_total"] > 0 and set(line["faults"]) <= set(FAULTS)
    assert line["events"] > 0 and line["pushes"] > 0 and line["p50_ms"] <= line["p99_ms"]
    assert (line["lost"], line["doubled"], line["different"], line["unapplied"]) == (0, 0, 0, 0)
    assert line["events_held"] >= line["events"]
    for name in ("hub_memory", "node_memory"):
        assert line[name]["start_mb"] > 0 and line[name]["max_mb"] >= line[name]["end_mb"]


def test_the_check_counts_lost_doubled_and_different_events():
    nodes = [("a", 10, "h10"), ("b", 5, "h5"), ("c", 3, "h3")]
    hub = {"a": (8, 8, "h8", 0), "b": (6, 5, "h5", 1), "c": (3, 3, "other", 0)}
    assert compare(nodes, hub) == {"lost": 2, "doubled": 1, "different": 1, "unapplied": 1}
