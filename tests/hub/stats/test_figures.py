"""Figures from the rollups, on SQLite and PostgreSQL: drill-down sums add up (streets to
their district, districts and the rest to the city), any period equals the sum of its
(center, day, matter) rows, and the API names every bad parameter."""
from __future__ import annotations

import datetime
import json
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub import db as hub_db
from hub.models import ROLLUPS, CaseRollup, HubCase, database
from hub.stats import rollups
from hub.stats.figures import derive, pending, report
from hub.stats.periods import Period
from hub.stats.rollups import FIELDS
from sync.topology import load_topology
from tests.staff import hub_staff

TOPOLOGY = load_topology()
CODES = [c.code for c in TOPOLOGY.centers]
DAY = datetime.date(2026, 9, 20)
MATTERS = {"SY04001": "industry", "SY06006": "police", "SY24001": "market"}
counters = st.fixed_dictionaries({f: st.integers(0, 50) for f in FIELDS})


@pytest.fixture
def db(hub_db_url, tmp_path):
    (tmp_path / "hub-data").mkdir(exist_ok=True)  # the SQLite URL's directory
    bound = hub_db.bind(hub_db_url)
    bound.connect(reuse_if_open=True)
    yield bound
    for model in (*ROLLUPS, HubCase):
        model.delete().execute()
    bound.close()


def load(rows: dict) -> None:
    """Write {(center, day, matter): {field: n}} at every grain, as ``rollups.add`` would."""
    counts = Counter()
    for (center, day, code), values in rows.items():
        for field, value in values.items():
            counts[(center, day.isoformat(), code, MATTERS[code], field)] += value
    with database.atomic():
        rollups.insert(rollups.grain_rows(counts))


def brute_force(rows: dict, start, end, centers, matter=None) -> dict[str, int]:
    return {f: sum(v[f] for (c, d, m), v in rows.items()
                   if c in centers and start <= d <= end and matter in (None, m))
            for f in FIELDS}


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.dictionaries(st.tuples(st.sampled_from(CODES), st.integers(0, 120),
                                 st.sampled_from(sorted(MATTERS))),
                       counters, min_size=1, max_size=30),
       st.integers(0, 60), st.integers(0, 80))
def test_children_add_up_and_any_range_equals_its_rows(db, rows, first, length):
    rows = {(c, DAY + datetime.timedelta(days=offset), m): v for (c, offset, m), v in rows.items()}
    try:
        load(rows)
        # a custom range: whole months from the monthly rollups, the rest from the daily ones
        period = Period.custom(DAY + datetime.timedelta(days=first),
                               DAY + datetime.timedelta(days=first + length))
        city = report(TOPOLOGY.hub.code, period, topology=TOPOLOGY)
        every = set(CODES)
        assert city["figures"] == derive(brute_force(rows, period.start, period.end, every))
        for parent in [city] + [report(d.code, period, topology=TOPOLOGY)
                                for d in TOPOLOGY.at_level("district")]:
            for field in FIELDS:
                assert parent["figures"][field] == parent["own"][field] + sum(
                    child["figures"][field] for child in parent["children"]), field
        matter = report(TOPOLOGY.hub.code, period, matter="SY04001", topology=TOPOLOGY)
        assert matter["figures"] == derive(brute_force(rows, period.start, period.end, every,
                                                       "SY04001"))
        market = report(TOPOLOGY.hub.code, period, department="market", topology=TOPOLOGY)
        assert market["figures"] == derive(brute_force(rows, period.start, period.end, every,
                                                       "SY24001"))
    finally:
        for model in ROLLUPS:
            model.delete().execute()


def test_previous_period_is_the_same_kind_just_before(db):
    load({("210102001", datetime.date(2026, 9, 15), "SY04001"):
          {"received": 3, "accepted": 2, "completed": 2, "completed_immediately": 1,
           "handling_days": 6, "completed_on_time": 1, "days_2_3": 1, "days_0": 1}})
    custom = report("210102", Period.custom(datetime.date(2026, 10, 1),
                                            datetime.date(2026, 10, 31)))
    assert custom["previous"]["from"] == "2026-08-31" and custom["previous"]["to"] == "2026-09-30"
    october = report("210102", Period.parse("month", "2026-10"))
    assert october["previous"]["from"] == "2026-09-01" and october["label"] == "2026年10月"
    before = october["previous"]["figures"]
    assert before["received"] == 3 and before["immediate_rate"] == 0.5
    assert before["average_handling_days"] == 3 and before["on_time_rate"] == 1.0
    assert before["days_distribution"]["days_2_3"] == 0.5
    assert october["figures"]["received"] == 0 and october["figures"]["completion_rate"] is None
    child = next(c for c in october["children"] if c["code"] == "210102001")
    assert child["previous_figures"]["received"] == 3
    assert Period.parse("quarter", "2026-Q1").previous() == Period.parse("quarter", "2025-Q4")
    assert Period.parse("year", "2026").previous().label() == "2025年"


@pytest.mark.parametrize("kind, text, today, now, before, year_before", [
    # still running: cut at today, beside as many days before and a year earlier (issue 16)
    ("month", "2026-12", datetime.date(2026, 12, 2), ("2026-12-01", "2026-12-02"),
     ("2026-11-01", "2026-11-02"), ("2025-12-01", "2025-12-02")),
    ("month", "2026-03", datetime.date(2026, 3, 31), ("2026-03-01", "2026-03-31"),
     ("2026-02-01", "2026-02-28"), ("2025-03-01", "2025-03-31")),  # whole by today
    ("quarter", "2026-Q4", datetime.date(2026, 11, 15), ("2026-10-01", "2026-11-15"),
     ("2026-07-01", "2026-08-15"), ("2025-10-01", "2025-11-15")),
    ("year", "2028", datetime.date(2028, 2, 29), ("2028-01-01", "2028-02-29"),
     ("2027-01-01", "2027-03-01"), ("2027-01-01", "2027-02-28")),  # 60 days; 29 Feb
    # over: the whole period before and the whole one a year earlier
    ("month", "2026-10", datetime.date(2026, 12, 2), ("2026-10-01", "2026-10-31"),
     ("2026-09-01", "2026-09-30"), ("2025-10-01", "2025-10-31")),
    ("day", "2026-12-02", datetime.date(2026, 12, 2), ("2026-12-02", "2026-12-02"),
     ("2026-12-01", "2026-12-01"), ("2025-12-02", "2025-12-02")),
])
def test_a_period_is_compared_like_with_like(kind, text, today, now, before, year_before):
    period = Period.parse(kind, text).to_date(today)
    spans = [(p.start.isoformat(), p.end.isoformat())
             for p in (period, period.previous(), period.year_before())]
    assert spans == [now, before, year_before]


def test_a_cut_period_says_which_days_it_holds():
    period = Period.parse("month", "2026-12").to_date(datetime.date(2026, 12, 2))
    assert (period.label(), period.previous().label()) == ("2026年12月（1日至2日）",
                                                           "2026年11月（1日至2日）")
    assert Period.parse("month", "2026-10").label() == "2026年10月"


def test_completion_rate_counts_the_period_s_acceptances_and_stays_within_100_percent(db):
    """Two cases accepted on 09-28 and decided on 09-30, a third accepted on 09-30 and open:
    completed ÷ accepted on 09-30 read 200 %; of the one case accepted then, none is done."""
    from hub.cases.copies import apply_cases
    from tests.hub.stats.test_rollups import case_events
    start = datetime.datetime(2026, 9, 28, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    with database.atomic():
        for i in (0, 1):  # accept, start_review, submit, decide (09-30)
            events = case_events(i, "210102001", "SY04001", [0, 0, 0, 3], start)
            assert events[-1]["payload"]["action"] == "decide"
            apply_cases([events[0]])
            apply_cases(events[1:])
        late = case_events(2, "210102001", "SY04001", [0],
                           start + datetime.timedelta(days=2) - datetime.timedelta(hours=7))
        apply_cases(late)  # accepted 09-30 09:00
    day = report("210102001", Period.parse("day", "2026-09-30"))["figures"]
    assert (day["accepted"], day["completed"], day["completion_rate"]) == (1, 2, 0.0)
    both = report("210102001", Period.custom(datetime.date(2026, 9, 28),
                                             datetime.date(2026, 9, 30)))["figures"]
    assert (both["accepted"], both["completed"]) == (3, 2)
    assert both["completion_rate"] == round(2 / 3, 4)


def test_rates_never_pass_100_percent(db):
    """Whatever the counters, a rate divides a part by the whole it belongs to."""
    for values in ({"accepted": 1, "completed": 5, "completed_of_accepted": 1, "received": 1,
                    "not_accepted": 1, "supplemented": 1, "evaluated": 4,
                    "evaluated_of_completed": 3, "satisfied": 4, "completed_on_time": 2,
                    "completed_early": 2, "completed_immediately": 3},):
        counts = {f: 0 for f in FIELDS} | values
        shown = derive(counts)
        rates = [v for k, v in shown.items() if k.endswith(("_rate", "_share")) and v is not None]
        assert rates and max(rates) <= 1.0, shown


def test_the_average_promised_time_is_of_the_promised_cases_only(db):
    """An immediate case is accepted with a limit of 0: it must not pull the 承诺件's mean down."""
    counts = {f: 0 for f in FIELDS} | {"accepted": 10, "completed_immediately": 8,
                                        "completed": 8, "promised_days": 4 + 6}
    assert derive(counts)["average_promised_days"] == 5.0
    counts |= {"accepted": 8, "promised_days": 0}  # nothing but immediate cases
    assert derive(counts)["average_promised_days"] is None


def case_row(number, center, state, due, code="SY04001"):
    """A copy with its intake record and no action: replayed, still 已收件 (its cards judge
    the acceptance clock), whatever ``state`` the figures read."""
    matter = {"basic_code": code, "handling_type": "promised", "promised_limit_days": 3}
    received = {"number": number, "matter": matter, "at": "2026-10-01T09:00:00+08:00",
                "role": "clerk", "user": "wang"}
    HubCase.create(number=number, center=center, matter_code=code, matter_version=1,
                   matter=json.dumps(matter), applicant_kind="person", applicant_id="x",
                   state=state, received_at=received["at"], received=json.dumps(received),
                   due_date=due, department=MATTERS[code])


def test_pending_and_overdue_as_of_today(db):
    today = datetime.date(2026, 10, 20)
    case_row("A1", "210102001", "in_review", "2026-10-19")             # overdue
    case_row("A2", "210102001", "in_review", "2026-10-20")             # due today
    case_row("A3", "210102002", "suspended_supplement", "2026-10-01")  # clock stopped
    case_row("A4", "210102002", "received", None)                      # not accepted yet
    case_row("A5", "210102002", "completed", "2026-10-01")             # done
    case_row("A6", "210103001", "in_approval", "2026-09-30", "SY24001")
    assert pending(None, today) == {"210102001": (2, 1), "210102002": (2, 0),
                                    "210103001": (1, 1)}
    district = report("210102", Period.parse("month", "2026-10"), today=today)
    cards = district["now"].pop("cards")
    assert district["now"] == {"as_of": "2026-10-20", "pending": 4, "overdue": 1,
                               "overdue_rate": 0.25}
    # Each open copy, still 已收件 when replayed, is past its acceptance limit (5 working days
    # after 1 October's holiday week): one card each, the completed A5 none.
    assert sorted(cards) == ["irregular", "red", "warning", "yellow"]
    assert cards["yellow"] + cards["red"] == 4 and cards["warning"] == cards["irregular"] == 0
    street = next(c for c in district["children"] if c["code"] == "210102002")
    assert sum(street["now"]["cards"].values()) == 2  # A3 and A4
    assert district["own_now"]["cards"] == dict.fromkeys(cards, 0)
    city = report(TOPOLOGY.hub.code, Period.parse("month", "2026-10"), today=today,
                  department="market")
    assert (city["now"]["pending"], city["now"]["overdue"]) == (1, 1)
    assert sum(city["now"]["cards"].values()) == 1  # A6 alone is the market department's


def test_the_stats_api_answers_and_names_bad_parameters(tmp_path, hub_db_url):
    from hub.app import create_app
    app = create_app({"data_dir": str(tmp_path / "hub-data"), "database_url": hub_db_url,
                      "TESTING": True})
    client = hub_staff(app, "auditor", ["auditor"]).client
    with database.connection_context():
        load({("210102001", datetime.date(2026, 10, 8), "SY04001"): {"received": 2}})
    body = client.get("/api/stats?center=210102&from=2026-10-01&to=2026-10-31").get_json()
    assert body["figures"]["received"] == 2 and body["period"] == "range"
    assert [c["figures"]["received"] for c in body["children"]
            if c["code"] == "210102001"] == [2]
    month = client.get("/api/stats?center=210102001&period=month&date=2026-10"
                       "&department=industry").get_json()
    assert month["figures"]["received"] == 2 and month["filters"]["department"] == "industry"
    year = client.get("/api/stats?period=year&date=2026&matter=SY06006").get_json()
    assert year["figures"]["received"] == 0 and year["previous"]["label"] == "2025年"
    assert year["not_available"] == {}  # 好差评, capital and investment have sources now
    assert {"satisfaction_rate", "bad_review_rate", "enterprises_registered",
            "registered_capital", "projects_over_100m", "investment"} <= set(year["figures"])
    for query, status, code, field in [
        ("from=2026-13-01", 422, "VALIDATION_FAILED", "from"),
        ("start=2026-10-05&end=2026-10-01", 422, "VALIDATION_FAILED", "end"),
        ("period=week", 422, "VALIDATION_FAILED", "period"),
        ("period=month&date=2026-13", 422, "VALIDATION_FAILED", "date"),
        ("period=quarter&date=2026-Q5", 422, "VALIDATION_FAILED", "date"),
        ("department=nosuch", 422, "VALIDATION_FAILED", "department"),
        ("matter=SY99999", 422, "MATTER_UNKNOWN", "matter"),
        ("center=999999", 404, "CENTER_UNKNOWN", None),
    ]:
        answer = client.get(f"/api/stats?{query}")
        body = answer.get_json()
        assert (answer.status_code, body["code"], body.get("field")) == (status, code, field), query
    assert app.test_client().get("/api/stats").get_json()["code"] == "NOT_AUTHENTICATED"
    heping = hub_staff(app, "heping", ["district_admin"], scope="210102").client
    assert heping.get("/api/stats").get_json()["code"] == "210102"  # its district by default
    other = heping.get("/api/stats?center=210103")
    assert other.status_code == 403 and other.get_json()["code"] == "FORBIDDEN"


def test_pending_reads_the_partial_index_of_open_cases():
    """SQLite uses a partial index only for the very same literal IN list in the query."""
    from hub.models import OPEN_LITERAL, OPEN_STATES, HubCase
    from sync.case_labels import OPEN
    assert set(OPEN_STATES) == OPEN
    index = next(i for i in HubCase._meta.indexes if i._name == "hub_case_center_state_due_date")
    listed = ", ".join(f"'{state}'" for state in OPEN_STATES)
    assert index._where.rhs == OPEN_STATES and OPEN_LITERAL.sql == f"(state IN ({listed}))"


def test_the_stats_command_prints_every_headline_beside_the_previous_period(db, tmp_path,
                                                                            hub_db_url):
    from click.testing import CliRunner

    from hallsync.cli import cli
    load({("210102001", datetime.date(2026, 9, 15), "SY04001"):
          {"received": 4, "accepted": 4, "completed": 2, "completed_of_accepted": 2,
           "completed_immediately": 1, "handling_days": 2, "handed_off": 1}})
    db.close()
    result = CliRunner().invoke(cli, ["hub", "stats", "--center", "210102", "--period", "month",
                                      "--date", "2026-10", "--data-dir", str(tmp_path / "hub-data"),
                                      "--db", hub_db_url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith("2026-10-01 … 2026-10-31（上期 2026-09-01 … 2026-09-30）")
    assert "  收件数：0（上期 4）" in lines and "  办结率（本期受理件中已办结的比例）：—（上期 50.0%）" in lines
    assert "  收件后移交办理（异地代收）：0（上期 1）" in lines
    assert any(line.startswith("  当前在办") for line in lines)
