"""The dashboard adds up: the center's own row beside its children's, and the two make
the total; it compares like with like, ranks the districts, and its statements do not
grow with the centers it lists."""
from __future__ import annotations

import datetime
import re
from collections import Counter

import pytest

from hub.app import create_app
from hub.models import database
from hub.stats import rollups
from tests.queries import counted
from tests.staff import hub_staff
from sync.case_clock import china_today

DAY = datetime.date(2026, 10, 8)
# (center, received, accepted, completed, completed_on_time): the city center's own cases,
# two districts' and a street's (in 和平区). Before issue 16 the city's own 30 were missing.
ROWS = (("210100", 30, 30, 20, 18), ("210102", 10, 9, 8, 4), ("210102001", 5, 5, 5, 5),
        ("210103", 7, 7, 6, 6), ("210104", 4, 4, 4, 1))


def load(rows=ROWS, day=DAY) -> None:
    counts = Counter()
    for center, received, accepted, completed, on_time in rows:
        key = (center, day.isoformat(), "SY04001", "industry")
        for field, value in (("received", received), ("accepted", accepted),
                             ("completed", completed), ("completed_of_accepted", completed),
                             ("completed_on_time", on_time)):
            counts[key + (field,)] += value
    with database.atomic():
        rollups.insert(rollups.grain_rows(counts))


@pytest.fixture
def operator(tmp_path):
    app = create_app({"data_dir": str(tmp_path / "hub"), "TESTING": True})
    with database.connection_context():
        load()
    return hub_staff(app, "wangmin", ["operator"]).client


def table(html: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)[1:]  # the header row aside
    return [[re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def number(text: str) -> int:
    return int(text.replace(",", ""))


def test_children_and_own_add_up_to_the_total(operator):
    html = operator.get("/dashboard?period=month&date=2026-10").get_data(as_text=True)
    rows = table(html, "children")
    *children, own, whole = rows
    assert own[0].startswith("本级") and whole[0].startswith("合计")
    for column in (1, 2, 3):  # 收件, 受理, 办结
        assert sum(number(r[column]) for r in children) + number(own[column]) == number(
            whole[column])
    assert [number(own[1]), number(whole[1])] == [30, 56]
    received = re.search(r'<div class="label">收件</div>\s*<div class="value">([\d,]+)', html)
    assert number(received.group(1)) == 56  # the tile is the total, own cases included


def test_the_districts_are_ranked_by_the_chosen_figure(operator):
    html = operator.get("/dashboard?period=month&date=2026-10&rank=on_time_rate").get_data(
        as_text=True)
    assert "区县排名" in html
    ranking = table(html, "ranking")
    named = [(place, name) for place, name, *_ in ranking if place != "—"]
    # on time (none immediate here): 沈河区 6/6, 和平区 (own 4 + its street's 5) 9/13,
    # 大东区 1/4; districts without cases come last, unranked
    assert named[:3] == [("1", "沈河区政务服务中心"), ("2", "和平区政务服务中心"),
                         ("3", "大东区政务服务中心")]
    assert all(name.endswith("区政务服务中心") or "县" in name or "市" in name
               for _place, name, *_ in ranking)
    assert ranking[3][0] == "—"
    by_received = table(operator.get("/dashboard?period=month&date=2026-10&rank=received")
                        .get_data(as_text=True), "ranking")
    assert [r[1] for r in by_received[:3]] == ["和平区政务服务中心", "沈河区政务服务中心",
                                               "大东区政务服务中心"]


def test_the_page_compares_with_the_days_before_and_a_year_earlier(operator):
    with database.connection_context():
        load((("210102001", 3, 3, 3, 3),), datetime.date(2025, 10, 20))
    html = operator.get("/dashboard?center=210102001&period=month&date=2026-10").get_data(
        as_text=True)
    assert "对比上期 2026年9月、去年同期 2025年10月" in html
    assert "去年同期 3 +2" in html  # 5 received now, 3 a year before
    today = china_today()
    running = operator.get("/dashboard?period=month").get_data(as_text=True)
    if today.day < 28:  # a month still running is cut at today and compared as such
        assert f"（1日至{today.day}日）" in running


# 13: the login, the rollups of the period, the one before and a year earlier (2 each: the
# months and the days left over), open cases, coverage, alerts, the catalog version …, and
# 3 for the supervision cards (the open copies, their actions, their 督办 orders), 1 for
# satisfaction per window, 1 for the period's 投诉 per center, 1 for the bookings' 到场 and
# 未到场 per center, and the calendar in force (its version where it is read, its body once)
@pytest.mark.parametrize("center, pinned", [("210100", 21), ("210102", 21)])
def test_the_dashboard_costs_the_same_statements_whatever_it_lists(operator, center, pinned):
    # the city lists 19 children, 和平区 its 10 streets: the count does not follow them
    with counted(database) as statements:
        assert operator.get(f"/dashboard?center={center}&period=month&date=2026-10"
                            ).status_code == 200
    assert len(statements) == pinned, statements


def test_breadcrumbs_lead_back_up_to_the_login_s_scope(operator, tmp_path):
    html = operator.get("/dashboard?center=210102001&period=month&date=2026-10").get_data(
        as_text=True)
    crumbs = re.search(r'<nav class="crumbs" id="crumbs"[^>]*>(.*?)</nav>', html, re.S).group(1)
    names = re.findall(r">([^<>›]+)<", crumbs)
    assert [n.strip() for n in names if n.strip()] == [
        "沈阳市政务服务中心", "和平区政务服务中心", "和平区太原街街道便民服务中心"]
    assert 'href="/dashboard?center=210102&amp;period=month&amp;date=2026-10"' in crumbs
