"""``hallsync bench appointments``: a small run races citizens for slots through the hub's
real booking path; no slot is overbooked and no abandoned hold is left."""
from __future__ import annotations

from tests.processes import hallsync, last_json


def test_a_small_run_books_each_slots_online_places_and_no_more():
    result = hallsync("bench", "appointments", "--runs", "3", "--clients", "8",
                      "--abandoned", "50", "--pg-url", "", "--json")
    line = last_json(result)
    assert line["ok"] is True and set(line) == {"sqlite", "ok"}
    sqlite = line["sqlite"]
    assert sqlite["overbooked_runs"] == 0 and sqlite["holds_left"] == 0
    assert sqlite["booked"] == 3 * sqlite["online_places"] == 6  # 8 citizens, 2 places each
    assert sqlite["raw_inserts_per_s"] > 0 and "raw single-row inserts/s" in result.stdout
