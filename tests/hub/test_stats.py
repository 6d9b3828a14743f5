"""Drill-down sums add up: streets to their district, districts (and the rest) to the city."""
from __future__ import annotations

import datetime

from hypothesis import HealthCheck, given, settings, strategies as st

from hub import db as hub_db
from hub.models import CaseRollup, database
from hub.rollups import FIELDS
from hub.stats import report
from sync.topology import load_topology
from tests.staff import hub_staff

TOPOLOGY = load_topology()
CODES = [c.code for c in TOPOLOGY.centers]
DAY = datetime.date(2026, 10, 1)
counters = st.fixed_dictionaries({f: st.integers(0, 50) for f in FIELDS})


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.dictionaries(st.tuples(st.sampled_from(CODES), st.integers(0, 60)), counters,
                       min_size=1, max_size=40))
def test_children_add_up_to_their_parent(tmp_path_factory, rows):
    db = hub_db.bind(f"sqlite:///{tmp_path_factory.mktemp('stats')}/hub.db")
    try:
        with database.atomic():
            for (center, offset), values in rows.items():
                CaseRollup.create(center=center, day=(DAY + datetime.timedelta(days=offset))
                                  .isoformat(), matter_code="SY04001", department="x", **values)
        end = DAY + datetime.timedelta(days=60)
        city = report(TOPOLOGY.hub.code, DAY, end, TOPOLOGY)
        assert city["figures"]["received"] == sum(v["received"] for v in rows.values())
        for parent in [city] + [report(d.code, DAY, end, TOPOLOGY)
                                for d in TOPOLOGY.at_level("district")]:
            for field in FIELDS:
                assert parent["figures"][field] == parent["own"][field] + sum(
                    child["figures"][field] for child in parent["children"]), field
    finally:
        CaseRollup.delete().execute()
        db.close()


def test_previous_period_is_the_same_length_just_before(tmp_path):
    db = hub_db.bind(f"sqlite:///{tmp_path}/hub.db")
    CaseRollup.create(center="210102001", day="2026-09-15", matter_code="SY04001",
                      department="x", received=3, accepted=2, completed=2,
                      completed_immediately=1, handling_days=6)
    result = report("210102", datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    assert result["previous"]["from"] == "2026-08-31" and result["previous"]["to"] == "2026-09-30"
    assert result["previous"]["figures"]["received"] == 3
    assert result["previous"]["figures"]["immediate_rate"] == 0.5
    assert result["previous"]["figures"]["average_handling_days"] == 3
    assert result["figures"]["received"] == 0 and result["figures"]["completion_rate"] is None
    db.close()


def test_the_stats_api_answers_and_names_a_bad_date(tmp_path):
    from hub.app import create_app
    app = create_app({"data_dir": str(tmp_path / "hub"), "TESTING": True})
    client = hub_staff(app, "auditor", ["auditor"]).client
    CaseRollup.create(center="210102001", day="2026-10-08", matter_code="SY04001",
                      department="x", received=2)
    body = client.get("/api/stats?center=210102&from=2026-10-01&to=2026-10-31").get_json()
    assert body["figures"]["received"] == 2
    assert [c["figures"]["received"] for c in body["children"]
            if c["code"] == "210102001"] == [2]
    bad = client.get("/api/stats?from=2026-13-01")
    assert bad.status_code == 422 and bad.get_json()["field"] == "from"
    unknown = client.get("/api/stats?center=999999")
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "CENTER_UNKNOWN"
    heping = hub_staff(app, "heping", ["district_admin"], scope="210102").client
    assert heping.get("/api/stats").get_json()["code"] == "210102"  # its district by default
    other = heping.get("/api/stats?center=210103")
    assert other.status_code == 403 and other.get_json()["code"] == "FORBIDDEN"
