"""No generated history uses a matter before the day it was established (sync.matter_dates):
``hallsync simulate``'s cases (hallsync.simulate_mix) and ``bench stats``'s load."""
from __future__ import annotations

import datetime

import pytest

from hallsync.simulate_mix import History, Quota
from hub.models import HubCase, database
from sync.catalog_history import load_matters
from sync.catalog_schema import matter_to_dict
from sync.matter_dates import Eras, established_on, exists_on
from tests.loaded_hub import loaded_hub

MATTERS = [matter_to_dict(m) for m in load_matters()]
DATED = {m["basic_code"]: established_on(m) for m in MATTERS if m.get("established")}


def test_eras_give_the_matters_that_existed_that_day():
    eras = Eras(MATTERS)
    assert {m["basic_code"] for m in eras.on(datetime.date(2015, 3, 1))}.isdisjoint(DATED)
    on_2016_11_01 = {m["basic_code"] for m in eras.on(datetime.date(2016, 11, 1))}
    assert {"SY24901", "SY18011", "SY26001", "SY16011"} <= on_2016_11_01
    assert not {"SY03001", "SY11001"} & on_2016_11_01
    assert len(eras.on(datetime.date(2026, 1, 1))) == len(MATTERS)
    assert exists_on(MATTERS[0], datetime.date(2002, 1, 1))   # no date recorded: always


def test_simulate_generates_no_case_of_a_matter_before_its_date():
    immediate = [m for m in MATTERS if m["handling_type"] == "immediate"]
    promised = [m for m in MATTERS if m["handling_type"] == "promised"]
    start, end = datetime.date(2014, 1, 1), datetime.date(2017, 12, 31)
    history = History(Quota("210100", 6000, seed=1), immediate, promised, start, end)
    used: dict[str, datetime.date] = {}
    for raw, _counts in history.cases(0, 6000):
        day = datetime.date.fromisoformat(raw["received_at"][:10])
        code = raw["matter_code"]
        assert code not in DATED or day >= DATED[code], (code, day)
        used.setdefault(code, day)
    assert {"SY24901", "SY26001"} <= used.keys()   # generated, from their dates on


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_the_bench_load_uses_no_matter_before_its_date(tmp_path, hub_db_url):
    loaded_hub(tmp_path, hub_db_url, 3000, datetime.date(2017, 6, 30))  # 2014-07 … 2017-06
    with database.connection_context():
        rows = list(HubCase.select(HubCase.matter_code, HubCase.received_at)
                    .where(HubCase.matter_code.in_(list(DATED))).tuples())
    for code, received_at in rows:
        assert datetime.date.fromisoformat(received_at[:10]) >= DATED[code], (code, received_at)
    assert {code for code, _ in rows} & {"SY24901", "SY26001"}
