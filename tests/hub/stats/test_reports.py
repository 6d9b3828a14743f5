"""Reports per level, on SQLite and PostgreSQL: the page speaks Chinese and shows figures
from the data, the CSV's children and own row add up to the center, and nothing is made up."""
from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from click.testing import CliRunner

from hub.cases.cards import counts, hub_cards
from hub.models import database
from sync.cards import LEVELS
from sync.case_clock import china_today
from tests.loaded_hub import loaded_hub
from tests.queries import counted
from tests.staff import hub_staff

LAST_DAY = datetime.date(2026, 10, 30)


@pytest.fixture
def client(tmp_path, hub_db_url):
    return hub_staff(loaded_hub(tmp_path, hub_db_url, 1500, LAST_DAY), "auditor",
                     ["auditor"]).client


def table(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_csv_adds_up_and_the_page_shows_the_same_figures(client):
    rows = table(client.get("/api/reports/year.csv?center=210102&date=2026"))
    total, previous, own, *children = rows
    assert [r["范围"] for r in (total, previous, own)] == ["本级及下级合计", "上期（本级及下级合计）",
                                                         "本级"]
    assert children and all(r["中心编码"].startswith("210102") for r in children)
    for column in ("收件数", "受理件数", "办结件数", "即办件数", "办理时长分布：当日"):
        assert int(total[column]) == int(own[column]) + sum(int(r[column]) for r in children)
    page = client.get("/reports/year?center=210102&date=2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "和平区政务服务中心2026年政务服务年报" in html
    assert f"{int(total['受理件数']):,}" in html and "尚无数据来源" not in html
    assert "满意率" in html and "6,599 户" in html and "742 个" in html  # their figures, not a gap
    assert "满意率" in html  # listed as without a source, not given a number


def test_city_quarter_and_street_month(client):
    city = table(client.get("/api/reports/quarter.csv?date=2026-Q3"))
    assert city[0]["层级"] == "全市" and city[0]["起始日"] == "2026-07-01"
    received = int(city[0]["收件数"])
    assert received == int(city[2]["收件数"]) + sum(int(r["收件数"]) for r in city[3:])
    assert received > 0
    street = client.get("/reports/month?center=210102001&date=2026-09")
    assert street.status_code == 200 and "2026年9月政务服务月报" in street.get_data(as_text=True)


@pytest.mark.parametrize("url, field", [("/api/reports/week.csv", "period"),
                                        ("/reports/month?date=2026-13", "date"),
                                        ("/api/reports/quarter.csv?date=2026-10", "date")])
def test_bad_report_parameters_are_named(client, url, field):
    answer = client.get(url, headers={"Accept": "application/json"})
    assert answer.status_code == 422 and answer.get_json()["field"] == field
    if not url.startswith("/api/"):  # a person gets the page, naming the field in Chinese
        page = client.get(url).get_data(as_text=True)
        assert "日期：按月查看时应写作年-月" in page


def test_the_report_command_writes_csv(tmp_path, client, hub_db_url):
    from hallsync.cli import cli
    out = tmp_path / "report.csv"
    result = CliRunner().invoke(cli, ["hub", "report", "--period", "year", "--date", "2026",
                                      "--center", "210102", "--csv", str(out),
                                      "--data-dir", str(tmp_path / "hub-data"),
                                      "--db", hub_db_url])
    assert result.exit_code == 0, result.output
    assert "和平区政务服务中心2026年政务服务年报" in result.output and "即办率" in result.output
    assert out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("中心编码,中心名称")


def test_a_district_admin_reports_on_its_district_only(client):
    app = client.application
    heping = hub_staff(app, "heping", ["district_admin"], scope="210102").client
    own = table(heping.get("/api/reports/year.csv?date=2026"))
    assert own[0]["中心编码"] == "210102"  # its district by default
    for url in ("/api/reports/year.csv?center=210103&date=2026",
                "/reports/year?center=210103001&date=2026"):
        assert heping.get(url).status_code == 403
    assert app.test_client().get("/reports/year").status_code == 302  # to the login page


def test_the_excel_workbook_holds_the_csv_s_table_with_numbers_as_numbers(client):
    from openpyxl import load_workbook
    answer = client.get("/api/reports/year.xlsx?center=210102&date=2026")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    assert "report-210102-year-2026-01-01.xlsx" in answer.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    csv_rows = table(client.get("/api/reports/year.csv?center=210102&date=2026"))
    assert rows[0] == list(csv_rows[0])  # the same header
    assert len(rows) - 1 == len(csv_rows)
    received = rows[0].index("收件数")
    assert [r[received] for r in rows[1:]] == [int(r["收件数"]) for r in csv_rows]
    assert isinstance(rows[1][received], int) and sheet.freeze_panes == "A2"
    assert 'id="xlsx"' in client.get("/reports/year?center=210102&date=2026").get_data(
        as_text=True)
    assert client.get("/api/reports/week.xlsx").get_json()["field"] == "period"


CARD_COLUMNS = [f"当前{label}（在办件电子监察）" for label in LEVELS.values()]


def test_the_open_cases_cards_add_up_like_the_other_columns(client):
    """Each center's 预警, 黄牌, 红牌 and 违规办理 of open cases now: own + children = total,
    the same on the page, in the CSV and in the workbook, and equal to the cards themselves."""
    total, previous, own, *children = table(client.get("/api/reports/year.csv?date=2026"))
    for column in ("当前在办", *CARD_COLUMNS):
        assert int(total[column]) == int(own[column]) + sum(int(r[column]) for r in children)
        assert previous[column] == ""  # a count of now, not of the period before
    with database.connection_context():
        expected = counts([c for found in hub_cards(china_today(), open_only=True).values()
                           for c in found])
    assert [int(total[column]) for column in CARD_COLUMNS] == list(expected.values())
    assert expected["yellow"] + expected["red"] > 0  # the loaded cases' acceptance clocks ran out
    html = client.get("/reports/year?date=2026").get_data(as_text=True)
    rows = re.search(r'<table class="report" id="children">(.*?)</table>', html, re.S).group(1)
    *shown_children, shown_own, shown_total = [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row,
                                                                      re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", rows, re.S)[1:]]
    assert shown_own[0].startswith("本级") and shown_total[0] == "合计"
    first = 9  # 中心, six figures, 在办, 超期, then the four cards
    assert [int(v.replace(",", "")) for v in shown_total[first:first + 4]] == list(
        expected.values())
    assert [int(v.replace(",", "")) for v in shown_own[first:first + 4]] == [
        int(own[column]) for column in CARD_COLUMNS]
    assert len(shown_children) == len(children)
    red = re.search(r'<tr id="now-red"><td>在办件电子监察：红牌</td><td class="num">([\d,]+)<', html)
    assert int(red.group(1).replace(",", "")) == expected["red"]


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)  # counted at SQLite's cursor
def test_a_report_costs_the_same_statements_for_a_street_and_the_city(client):
    statements = []
    for center in ("210102001", "210102", "210100"):  # no child, 10 streets, 19 children
        with counted(database) as seen:
            assert client.get(f"/api/reports/year.csv?center={center}&date=2026"
                              ).status_code == 200
        statements.append(len(seen))
    assert statements[0] == statements[1] == statements[2], statements
