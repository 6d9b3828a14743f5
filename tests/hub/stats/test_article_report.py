"""The report beside the article (sync.article): its figures with their scope and period,
ours computed over the same days and the same levels of centers, on SQLite and PostgreSQL."""
from __future__ import annotations

import orjson
import pytest
from click.testing import CliRunner

from hub.models import HubCase, database
from hub.stats.figures import report
from hub.stats.periods import Period
from sync import article
from sync.catalog_history import load_matters
from sync.topology import load_topology
from tests.loaded_hub import loaded_hub
from tests.staff import hub_staff

ARTICLE_DAY = article.PERIOD_END  # the cases end on the article's day


@pytest.fixture
def hub_dir(tmp_path, hub_db_url):
    return loaded_hub(tmp_path, hub_db_url, 1500, ARTICLE_DAY)


def run_report(tmp_path, hub_db_url, *args) -> dict:
    from hallsync.cli import cli
    result = CliRunner().invoke(cli, ["hub", "report", "--period", "year", "--date", "2014",
                                      "--data-dir", str(tmp_path / "hub-data"),
                                      "--db", hub_db_url, *args])
    assert result.exit_code == 0, result.output
    return result


def same_scope_by_hand(code: str) -> dict:
    """Ours over the article's period and levels, added up from each center's own figures."""
    topology = load_topology()
    period = Period.custom(article.PERIOD_START, article.PERIOD_END)
    totals = {"accepted": 0, "enterprises_registered": 0, "registered_capital": 0}
    for center in topology.subtree(code):
        if topology.get(center).level in article.SCOPE_LEVELS:
            own = report(center, period)["own"]
            for key in totals:
                totals[key] += own[key]
    return totals


def test_the_city_report_prints_the_article_beside_ours_of_the_same_scope(hub_dir, tmp_path,
                                                                         hub_db_url):
    result = run_report(tmp_path, hub_db_url, "--json")
    compared = orjson.loads(result.output.splitlines()[-1])["article"]
    assert compared["scope"] == article.SCOPE and compared["levels"] == ["city", "subcenter",
                                                                           "district"]
    assert (compared["from"], compared["to"]) == ("2002-01-01", "2015-05-18")
    figures = compared["figures"]
    assert figures["accepted"]["text"] == "4,742,000 件" and figures["accepted"]["value"] == 4_742_000
    assert figures["registered_capital"]["text"].startswith("1,265.4 亿元")  # the article's 1265.4亿元
    assert figures["registered_capital"]["value"] == 12_654_000               # 万元
    with database.connection_context():
        by_hand = same_scope_by_hand("210100")
        everything = HubCase.select().where(HubCase.accepted_at.is_null(False)).count()
    for key, value in by_hand.items():
        assert figures[key]["ours"] == value, key
    assert 0 < by_hand["accepted"] < everything       # the streets' cases are left out
    assert compared["ours_scope"]["centers"] == 1 + 5 + 14
    # 承诺事项平均审批时限 is of the matters: the seed catalog's promised ones of the city and
    # district levels (no 即办件), which the article says average under 5 working days.
    limits = [m.promised_limit_days for m in load_matters() if m.handling_type != "immediate"
              and {"city", "district"} & set(m.levels)]
    assert figures["catalog_promised_days"]["ours"] == round(sum(limits) / len(limits), 2) < 5
    assert compared["ours_scope"]["catalog_label"] == f"现行目录中市区两级承诺事项 {len(limits)} 项"

    text = run_report(tmp_path, hub_db_url).output
    assert "与报道对照" in text and article.SCOPE in text
    assert f"受理件数: 报道 4,742,000 件 | 本系统同口径 {by_hand['accepted']:,}" in text
    assert "注册资本（万元）: 报道 1,265.4 亿元（12,654,000 万元）" in text


def test_a_district_compares_its_own_center_and_a_street_is_outside_the_scope(hub_dir, tmp_path,
                                                                             hub_db_url):
    district = orjson.loads(run_report(tmp_path, hub_db_url, "--center", "210102", "--json"
                                       ).output.splitlines()[-1])["article"]
    with database.connection_context():
        assert district["figures"]["accepted"]["ours"] == same_scope_by_hand("210102")["accepted"]
    assert district["ours_scope"]["centers"] == 1
    street = orjson.loads(run_report(tmp_path, hub_db_url, "--center", "210102001", "--json"
                                     ).output.splitlines()[-1])["article"]
    assert street["ours_scope"]["centers"] == 0
    assert all(f["ours"] is None for f in street["figures"].values())
    assert "不在报道的统计口径内" in street["ours_scope"]["label"]


def test_the_report_page_shows_the_article_table(hub_dir):
    client = hub_staff(hub_dir, "auditor", ["auditor"]).client
    html = client.get("/reports/year?date=2014").get_data(as_text=True)
    table = html[html.index('id="article"'):]
    assert "报道中的数字" in table and "本系统（同口径）" in table and "4,742,000 件" in table
    assert article.SCOPE in table and "1,265.4 亿元" in table
