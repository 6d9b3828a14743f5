"""全市办件查询 at the hub, on SQLite and PostgreSQL: every filter narrows to what it says, a
district admin finds only her district's cases, bad input is told, the Excel export holds
the same cases, and a page costs the same statements however many cases match."""
from __future__ import annotations

import datetime
import io

import openpyxl
import pytest

from hallsync.bench.stats import load, loaded
from hub.models import HubCase, database
from tests.queries import counted
from tests.staff import hub_staff

LAST_DAY = datetime.date(2026, 10, 30)


def make_hub(tmp_path, hub_db_url):
    from hub.app import create_app
    app = create_app({"data_dir": str(tmp_path / "hub-data"), "database_url": hub_db_url,
                      "TESTING": True})
    with database.connection_context():
        loaded(database.obj)
        load(database.obj, 1200, LAST_DAY)
        cases = list(HubCase.select(HubCase.number, HubCase.center, HubCase.matter_code,
                                    HubCase.state, HubCase.received_at).tuples())
    return app, cases


def test_each_filter_finds_what_it_says_within_the_scope(tmp_path, hub_db_url):
    app, cases = make_hub(tmp_path, hub_db_url)
    operator = hub_staff(app, "wangmin", ["operator"]).client
    every = operator.get("/api/cases").get_json()
    assert every["total"] == len(cases) and len(every["cases"]) == 50
    assert [c["number"] for c in every["cases"]] == sorted((c[0] for c in cases), reverse=True)[:50]

    number, center, matter, state, received = cases[len(cases) // 2]
    day = received[:10]
    expected = {c[0] for c in cases if c[1] == center and c[2] == matter and c[3] == state
                and c[4][:10] == day}
    found = operator.get(f"/api/cases?center={center}&matter={matter}&state={state}"
                         f"&from={day}&to={day}").get_json()
    assert {c["number"] for c in found["cases"]} == expected and number in expected
    prefix = number[:-3]  # the number's first characters: its center, its day, …
    by_prefix = operator.get(f"/api/cases?number={prefix}").get_json()
    assert by_prefix["total"] == sum(c[0].startswith(prefix) for c in cases)

    heping = hub_staff(app, "heping", ["district_admin"], scope="210102").client
    theirs = heping.get("/api/cases?page=1").get_json()
    assert theirs["total"] == sum(c[1].startswith("210102") for c in cases) > 0
    assert all(c["center"].startswith("210102") for c in theirs["cases"])
    assert heping.get("/api/cases?center=210103").status_code == 403
    for query, field in (("state=nope", "state"), ("from=2026/10/01", "from"),
                         ("page=0", "page"), ("number=" + "9" * 41, "number")):
        refused = operator.get(f"/api/cases?{query}")
        assert (refused.status_code, refused.get_json()["field"]) == (422, field), query
    page = operator.get(f"/cases?center={center}").get_data(as_text=True)
    assert "办件查询" in page and number[:10] in page and "导出 Excel" in page

    workbook = operator.get(f"/api/cases.xlsx?center={center}")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.data)).active
    listed = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(listed) == sorted(c[0] for c in cases if c[1] == center)


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)  # counted at SQLite's cursor
def test_a_page_costs_the_same_statements_for_few_and_many(tmp_path, hub_db_url):
    app, cases = make_hub(tmp_path, hub_db_url)
    operator = hub_staff(app, "wangmin", ["operator"]).client
    few_center = min({c[1] for c in cases}, key=lambda code: sum(c[1] == code for c in cases))
    statements = []
    for query in (f"center={few_center}", ""):
        with counted(database) as seen:
            assert operator.get(f"/cases?{query}").status_code == 200
        statements.append(len(seen))
    assert statements[0] == statements[1]
