"""Coverage from simulated heartbeats and silences: colours, reasons, levels, alerts.

In process and fast: the hub's tables are bound here (SQLite and PostgreSQL),
heartbeats go through ``record_heartbeat`` with a controlled clock, enrollment
is a ``CenterState`` row as ``hub.ledger.enrollment`` writes it, and refused
signatures are security-log rows as ``hub.ledger.security.log_refusal`` writes them.
"""
from __future__ import annotations

from datetime import datetime, timezone

import orjson
import psycopg2
import pytest
from click.testing import CliRunner

from hub import db as hub_db
from hub.app import create_app
from hub.cases import supervision
from hub.coverage.alerts import LOCK_KEY, evaluate, open_alerts
from hub.coverage.centers import center_status, coverage, default_settings, record_heartbeat
from hub.models import Alert, CatalogVersion, CenterState, SecurityEvent
from sync import envelope as env
from sync.topology import load_topology
from tests.conftest import BACKENDS
from tests.hub.views.test_openapi import DOC, check, resolve
from tests.staff import hub_staff

T0 = 1_750_000_000_000  # a fixed "now" in ms; every test counts from here
MIN = 60_000
SETTINGS = default_settings()
STREET, STREET2, DISTRICT = "210102001", "210102002", "210102"


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    """The hub's database URL, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/hub.db"
    return request.getfixturevalue("pg_database")


@pytest.fixture
def store(store_url):
    """The hub's tables bound and connected, with catalog versions 1–3 published a day,
    two hours and one hour before T0."""
    database = hub_db.bind(store_url)
    database.connect()
    for version, age in ((1, 24 * 60 * MIN), (2, 120 * MIN), (3, 60 * MIN)):
        publish_version(version, T0 - age)
    yield database
    database.close()


def publish_version(version: int, at_ms: int) -> None:
    created = datetime.fromtimestamp(at_ms / 1000, timezone.utc).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")
    CatalogVersion.create(version=version, op="amend", author="测试", reason="测试",
                          effective_date="2025-06-15", created_at=created, body="{}")


def enroll(center: str, at_ms: int = T0 - 60 * MIN) -> None:
    CenterState.insert(code=center, enrolled_at=at_ms).execute()


def beat(center: str, at_ms: int, *, catalog: int = 3, backlog: int = 0,
         clock_offset_ms: int = 0) -> dict:
    body = {"app_version": "0.1.0", "catalog_version": catalog, "backlog": backlog,
            "last_seq": 0, "acked_seq": 0, "clock_ms": at_ms + clock_offset_ms,
            "last_error": ""}
    return record_heartbeat(center, body, now_ms=at_ms)


def refuse(center: str, at_ms: int, code: str = "SIGNATURE_INVALID") -> None:
    SecurityEvent.create(at_ms=at_ms, center=center, code=code, detail="test")


def status_of(center: str, at_ms: int) -> tuple[str, list[str]]:
    found = next(c for c in coverage(at_ms, SETTINGS)["centers"] if c["code"] == center)
    return found["status"], found["reasons"]


# -- colours and reasons -----------------------------------------------------------------

def test_a_fresh_heartbeat_is_green(store):
    enroll(STREET)
    beat(STREET, T0)
    assert status_of(STREET, T0 + 30_000) == ("green", [])
    row = next(c for c in coverage(T0 + 30_000, SETTINGS)["centers"] if c["code"] == STREET)
    assert (row["last_contact_ms"], row["lag_s"], row["catalog_version"], row["app_version"],
            row["backlog"], row["refusals_24h"]) == (T0, 30, 3, "0.1.0", 0, 0)


@pytest.mark.parametrize("silent_min, colour, reason", [
    (4, "green", None),
    (10, "yellow", "超过 10 分钟未联系"),
    (60, "red", "超过 60 分钟未联系"),
    (5 * 60, "red", "超过 5 小时未联系"),
])
def test_silence_turns_yellow_then_red(store, silent_min, colour, reason):
    enroll(STREET)
    beat(STREET, T0)
    assert status_of(STREET, T0 + silent_min * MIN) == (colour, [reason] if reason else [])


def test_enrolled_but_never_heard_from_is_silent_since_enrollment(store):
    enroll(STREET, at_ms=T0 - 12 * MIN)
    assert status_of(STREET, T0) == ("yellow", ["超过 12 分钟未联系", "事项目录落后 3 个版本"])


def test_catalog_behind_is_yellow_once_the_version_had_time_to_arrive(store):
    enroll(STREET)
    beat(STREET, T0, catalog=1)
    publish_version(4, T0)  # just published: no center can be blamed for it yet
    assert status_of(STREET, T0) == ("yellow", ["事项目录落后 2 个版本"])
    assert status_of(STREET, T0 + 4 * MIN)[1] == ["事项目录落后 2 个版本"]
    beat(STREET, T0 + 6 * MIN, catalog=1)
    assert status_of(STREET, T0 + 6 * MIN) == ("yellow", ["事项目录落后 3 个版本"])
    beat(STREET, T0 + 7 * MIN, catalog=4)
    assert status_of(STREET, T0 + 7 * MIN) == ("green", [])


def test_a_backlog_rising_for_20_minutes_is_yellow_until_it_drains(store):
    enroll(STREET)
    for minute in range(21):
        beat(STREET, T0 + minute * MIN, backlog=10 * (minute + 1))
    assert CenterState.get_by_id(STREET).backlog_rising_since_ms == T0
    assert status_of(STREET, T0 + 20 * MIN) == ("yellow", ["待发送积压持续增长 20 分钟（210 条）"])
    beat(STREET, T0 + 21 * MIN, backlog=150)  # pushes got through: draining
    assert CenterState.get_by_id(STREET).backlog_rising_since_ms is None
    assert status_of(STREET, T0 + 21 * MIN) == ("green", [])


def test_backlog_rising_since_is_set_on_growth_kept_while_held_cleared_on_shrink(store):
    enroll(STREET)
    since = []
    for minute, backlog in enumerate((0, 5, 5, 9, 3, 4, 0)):
        beat(STREET, T0 + minute * MIN, backlog=backlog)
        since.append(CenterState.get_by_id(STREET).backlog_rising_since_ms)
    assert since == [None, T0 + MIN, T0 + MIN, T0 + MIN, None, T0 + 5 * MIN, None]


def test_repeated_signature_failures_are_red(store):
    enroll(STREET)
    beat(STREET, T0)
    refuse(STREET, T0 - 20 * MIN)  # too old to count
    refuse(STREET, T0 - MIN, code="CLOCK_SKEW")  # not an authentication failure
    refuse(STREET, T0 - MIN)
    refuse(STREET, T0 - MIN, code="KEY_UNKNOWN")
    assert status_of(STREET, T0) == ("green", [])
    refuse(STREET, T0, code="NONCE_REUSED")
    assert status_of(STREET, T0) == ("red", ["15 分钟内 3 次签名校验失败"])
    row = next(c for c in coverage(T0, SETTINGS)["centers"] if c["code"] == STREET)
    assert row["refusals_24h"] == 5


def test_never_enrolled_revoked_and_needing_recovery_are_red(store):
    enroll(STREET)
    enroll(STREET2)
    beat(STREET, T0)
    beat(STREET2, T0)
    CenterState.update(revoked_at=T0).where(CenterState.code == STREET).execute()
    CenterState.update(needs_recovery=True).where(CenterState.code == STREET2).execute()
    assert status_of(STREET, T0) == ("red", ["密钥已吊销"])
    assert status_of(STREET2, T0)[0] == "red"
    assert status_of("210102003", T0) == ("red", ["从未注册接入"])


def test_clock_skew_over_a_minute_is_yellow(store):
    enroll(STREET)
    beat(STREET, T0, clock_offset_ms=-90_000)
    assert status_of(STREET, T0) == ("yellow", ["时钟偏差 90 秒"])


def test_center_status_reads_one_state_with_the_given_latest_version(store):
    enroll(STREET)
    beat(STREET, T0, catalog=2)
    state = CenterState.get_by_id(STREET)
    assert center_status(state, T0, 2, SETTINGS) == ("green", [])
    assert center_status(state, T0 + 40 * MIN, 5, SETTINGS) == (
        "red", ["超过 40 分钟未联系", "事项目录落后 3 个版本"])
    assert center_status(None, T0, 2, SETTINGS) == ("red", ["从未注册接入"])
    assert center_status(state, T0, 2, SETTINGS, auth_failures=3)[0] == "red"


# -- levels, totals, tree ----------------------------------------------------------------

def test_coverage_per_level_counts_yellow_as_online_and_red_as_offline(store):
    for center in (STREET, STREET2, "210102003", DISTRICT):
        enroll(center)
        beat(center, T0)
    beat(STREET2, T0, catalog=2)  # yellow: online, not current
    beat("210102003", T0 - 60 * MIN)  # red: offline
    view = coverage(T0, SETTINGS)
    assert view["levels"]["street"] == {
        "centers": 189, "online": 2, "current": 2, "green": 1, "yellow": 1, "red": 187,
        "percent_online": 1.1, "percent_current": 1.1}
    assert view["levels"]["district"]["online"] == 1
    assert view["levels"]["district"]["percent_online"] == 7.1
    assert view["levels"]["subcenter"]["percent_online"] == 0.0
    assert view["totals"]["centers"] == 208 and view["totals"]["online"] == 3
    assert view["catalog_version"] == 3


def test_full_coverage_is_100_percent_of_every_level(store):
    codes = [c["code"] for c in coverage(T0, SETTINGS)["centers"]]
    CenterState.insert_many([{"code": code, "enrolled_at": T0 - MIN} for code in codes]).execute()
    for code in codes:
        beat(code, T0)
    view = coverage(T0, SETTINGS)
    assert {level: f["percent_online"] for level, f in view["levels"].items()} == {
        "subcenter": 100.0, "district": 100.0, "street": 100.0}
    assert view["totals"]["percent_current"] == 100.0


def test_the_tree_is_city_then_subcenters_and_districts_then_streets(store):
    enroll(STREET)
    beat(STREET, T0)
    root = coverage(T0, SETTINGS)["tree"]
    assert root["level"] == "city" and root["status"] is None
    assert {child["level"] for child in root["children"]} == {"subcenter", "district"}
    assert root["below"] == {"green": 1, "yellow": 0, "red": 207}
    district = next(child for child in root["children"] if child["code"] == DISTRICT)
    assert district["status"] == "red"  # the district itself never enrolled
    assert district["below"]["green"] == 1
    assert all(s["level"] == "street" and "children" not in s for s in district["children"])


# -- alerts ------------------------------------------------------------------------------

def alerts_table() -> list[tuple]:
    return list(Alert.select().order_by(Alert.id).tuples())


def test_alerts_open_when_a_condition_begins_and_clear_when_it_ends(store):
    enroll(STREET)
    beat(STREET, T0)
    assert evaluate(T0, SETTINGS)["opened"] == 0
    assert evaluate(T0 + 6 * MIN, SETTINGS)["opened"] == 1
    evaluate(T0 + 40 * MIN, SETTINGS)  # silent got worse (red): still the same alert
    [alert] = open_alerts()
    assert (alert["center"], alert["kind"], alert["began_ms"]) == (STREET, "silent", T0 + 6 * MIN)
    assert alert["detail"] == "超过 6 分钟未联系" and alert["name"]
    beat(STREET, T0 + 41 * MIN)
    assert evaluate(T0 + 41 * MIN, SETTINGS)["cleared"] == 1
    assert open_alerts() == []
    assert Alert.get().cleared_ms == T0 + 41 * MIN


def test_each_kind_opens_its_own_alert(store):
    enroll(STREET)
    enroll(STREET2)
    for minute in range(17):
        beat(STREET, T0 + minute * MIN, catalog=1, backlog=minute + 1)
    beat(STREET2, T0 + 16 * MIN)
    for _ in range(3):
        refuse(STREET2, T0 + 15 * MIN)
    evaluate(T0 + 16 * MIN, SETTINGS)
    assert sorted((a["center"], a["kind"]) for a in open_alerts()) == [
        (STREET, "backlog_rising"), (STREET, "catalog_behind"), (STREET2, "signature_failures")]
    # 15 minutes later the refusals have aged out of the window; nothing else changed.
    beat(STREET2, T0 + 31 * MIN)
    beat(STREET, T0 + 31 * MIN, catalog=1, backlog=17)
    result = evaluate(T0 + 31 * MIN, SETTINGS)
    assert (result["opened"], result["cleared"]) == (0, 1)
    assert {a["kind"] for a in open_alerts()} == {"backlog_rising", "catalog_behind"}


def test_never_enrolled_and_revoked_centers_raise_no_alerts(store):
    enroll(STREET)
    CenterState.update(revoked_at=T0 - MIN).where(CenterState.code == STREET).execute()
    evaluate(T0 + 60 * MIN, SETTINGS)
    assert open_alerts() == []


def test_evaluating_twice_changes_nothing(store):
    enroll(STREET)
    enroll(STREET2)
    beat(STREET, T0, catalog=1)
    beat(STREET2, T0)
    evaluate(T0 + 10 * MIN, SETTINGS)
    before = alerts_table()
    assert len(before) == 3  # both silent, and STREET's catalog behind
    assert evaluate(T0 + 10 * MIN, SETTINGS) == {"skipped": False, "opened": 0, "cleared": 0}
    assert alerts_table() == before
    beat(STREET2, T0 + 11 * MIN)
    evaluate(T0 + 11 * MIN, SETTINGS)
    after = alerts_table()
    evaluate(T0 + 11 * MIN, SETTINGS)
    assert alerts_table() == after


@pytest.mark.postgresql
def test_on_postgresql_a_second_evaluator_skips_while_one_holds_the_lock(pg_database):
    database = hub_db.bind(pg_database)
    database.connect()
    enroll(STREET, at_ms=T0 - 60 * MIN)
    other = psycopg2.connect(pg_database)
    try:
        with other.cursor() as cur:  # another worker, in the middle of its run
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            assert evaluate(T0, SETTINGS)["skipped"] is True
            assert alerts_table() == []
        other.rollback()
        assert evaluate(T0, SETTINGS) == {"skipped": False, "opened": 1, "cleared": 0}
    finally:
        other.close()
        database.close()


# -- the JSON API, the job and the CLI ---------------------------------------------------

@pytest.fixture
def hub_dir(tmp_path, store_url):
    """A hub data directory on each backend, with one street enrolled and heard from now."""
    app = create_app({"data_dir": str(tmp_path / "hub"), "database_url": store_url,
                      "TESTING": True})
    with hub_db.database.connection_context():
        enroll(STREET, at_ms=env.now_ms() - MIN)
        beat(STREET, env.now_ms(), catalog=1, backlog=0)
    return app, tmp_path / "hub", store_url


def test_the_api_serves_coverage_and_open_alerts(hub_dir):
    app, _data_dir, _url = hub_dir
    client = hub_staff(app, "auditor", ["auditor"]).client
    view = client.get("/api/coverage").get_json()
    assert view["levels"]["street"]["online"] == 1
    assert next(c for c in view["centers"] if c["code"] == STREET)["status"] == "green"
    assert view["tree"]["level"] == "city"
    assert client.get("/api/coverage/alerts").get_json() == {"alerts": []}
    assert "hallsync.jobs" not in app.extensions  # TESTING: no background job


def test_the_job_starts_on_the_first_request_and_evaluates(tmp_path):
    url = f"sqlite:///{tmp_path}/hub.db"
    app = create_app({"data_dir": str(tmp_path / "hub"), "database_url": url})
    from hub.scheduler import JOBS
    job = app.extensions["hallsync.jobs"]
    assert not job.scheduler.running  # not in the process that built the app
    try:
        app.test_client().get("/__heartbeat__")
        assert job.scheduler.running
        with hub_db.database.connection_context():
            enroll(STREET, at_ms=env.now_ms() - 10 * MIN)
        job.run(next(j for j in JOBS if j.name == "coverage_alerts"))
        with hub_db.database.connection_context():
            assert {(a["center"], a["kind"]) for a in open_alerts()} == {
                (STREET, "silent"), (STREET, "catalog_behind")}  # it never said which it runs
    finally:
        job.scheduler.shutdown(wait=True)


def test_the_cli_prints_levels_and_alerts(hub_dir):
    from hallsync.cli import cli
    _app, data_dir, url = hub_dir
    runner = CliRunner()
    result = runner.invoke(cli, ["hub", "coverage", "--data-dir", str(data_dir), "--db", url])
    assert result.exit_code == 0, result.output
    assert "街道 189：在线 1（0.5%），目录最新 1（0.5%）；绿 1 黄 0 红 188" in result.output
    assert "从未注册接入：207 个中心" in result.output
    with hub_db.database.connection_context():
        CenterState.update(last_contact_ms=env.now_ms() - 40 * MIN).execute()
    result = runner.invoke(cli, ["hub", "coverage", "--data-dir", str(data_dir), "--db", url])
    assert f"红 {STREET:<10} " in result.output and "超过 40 分钟未联系" in result.output
    result = runner.invoke(cli, ["hub", "alerts", "--data-dir", str(data_dir), "--db", url,
                                 "--json"])
    assert result.exit_code == 0, result.output
    listed = orjson.loads(result.output.strip().splitlines()[-1])
    assert [(a["center"], a["kind"]) for a in listed["alerts"]] == [(STREET, "silent")]
    assert listed["opened"] == 1


def test_the_coverage_page_shows_the_scope_of_the_login(hub_dir):
    app, _data_dir, _url = hub_dir
    with hub_db.database.connection_context():
        enroll(STREET2, at_ms=env.now_ms() - 120 * MIN)  # enrolled, never heard from since
    city = hub_staff(app, "auditor", ["auditor"]).client
    page = city.get("/coverage").get_data(as_text=True)
    assert "210102002" in page and "超过 2 小时未联系" in page  # red, listed with its reason
    assert "210102001" not in page  # green: only in the full list
    assert '<p class="bad" id="never">另有 206 个中心尚未接入' in page
    assert 'id="calm"' not in page  # one enrolled center is red: it is listed instead
    full = "".join(city.get(f"/coverage?show=all&page={n}").get_data(as_text=True)
                   for n in range(1, 6))  # 50 a page: the green ones come last
    assert "210102001" in full and "210103001" in full
    shenhe = hub_staff(app, "shenhe", ["district_admin"], scope="210103").client
    theirs = shenhe.get("/coverage?show=all").get_data(as_text=True)
    assert "210103001" in theirs and "210102001" not in theirs and "210102002" not in theirs
    assert city.get("/coverage?show=everything").status_code == 422
    assert app.test_client().get("/coverage").status_code == 302  # to the login page


def test_the_coverage_page_never_calls_a_city_of_unenrolled_centers_calm(hub_dir):
    """Issue 16: 没有需要关注的中心 stood above 206 centers in red (never enrolled)."""
    app, _data_dir, _url = hub_dir  # one street enrolled and heard from now: green
    page = hub_staff(app, "auditor", ["auditor"]).client.get("/coverage").get_data(as_text=True)
    assert "没有需要关注的中心" not in page
    assert '<p class="ok" id="calm">已接入的 1 个中心都运行正常。</p>' in page
    assert '<p class="bad" id="never">另有 207 个中心尚未接入' in page
    assert "onchange=" not in page and "hallsync node" not in page  # CSP-safe, no commands


def test_the_full_list_of_centers_comes_fifty_a_page(hub_dir):
    app, _data_dir, _url = hub_dir
    city = hub_staff(app, "auditor", ["auditor"]).client

    def rows(query):
        page = city.get(f"/coverage?show=all{query}").get_data(as_text=True)
        table = page.split('<table id="centers">', 1)[1].split("</table>", 1)[0]
        return table.count("<tr class="), page

    first, page = rows("")
    assert first == 50 and "第 1–50 条，共 208 条" in page
    assert 'href="/coverage?show=all&amp;page=2" rel="next"' in page
    last, page = rows("&page=5")
    assert last == 8 and "第 201–208 条，共 208 条" in page and 'rel="next"' not in page
    for bad in ("6", "0", "x"):
        refused = city.get(f"/coverage?show=all&page={bad}")
        assert refused.status_code == 422
        assert "页码：页码应为 1 到 5 之间的整数" in refused.get_data(as_text=True)


def test_the_list_of_centers_downloads_as_an_excel_workbook(hub_dir):
    import io

    from openpyxl import load_workbook
    app, _data_dir, _url = hub_dir
    city = hub_staff(app, "auditor", ["auditor"]).client
    answer = city.get("/api/coverage.xlsx")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(answer.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("状态", "中心编码", "中心名称") and len(rows) == 1 + 208
    green = next(r for r in rows if r[1] == STREET)
    assert green[0] == "绿" and green[3] == "街道" and isinstance(green[5], int)
    assert 'id="xlsx"' in city.get("/coverage").get_data(as_text=True)
    heping = hub_staff(app, "heping", ["district_admin"], scope=DISTRICT).client
    theirs = list(load_workbook(io.BytesIO(heping.get("/api/coverage.xlsx").data))
                  .active.iter_rows(values_only=True))
    assert {r[1][:6] for r in theirs[1:]} == {DISTRICT}


# -- districts that supervise their streets (督导) ------------------------------------------

def subscribe(district: str, on: bool, at_ms: int, monkeypatch, seq: int = 1) -> None:
    """The district's ``supervision.subscribe`` event, applied as the hub applies it."""
    monkeypatch.setattr(supervision, "now_ms", lambda: at_ms)
    with hub_db.database.atomic():
        supervision.subscribe([{"origin": district, "seq": seq, "payload": {"on": on}}])


def supervising(root: str | None = None) -> dict:
    return {c["code"]: c["supervision"] for c in coverage(T0, SETTINGS, root)["centers"]
            if c["supervision"]}


def test_a_supervising_district_shows_since_when_and_its_streets_to_its_scope(store,
                                                                             monkeypatch):
    streets = len(load_topology().children(DISTRICT))
    assert supervising() == {}
    subscribe(DISTRICT, True, T0 - 60 * MIN, monkeypatch)
    subscribe(DISTRICT, True, T0 - 5 * MIN, monkeypatch, seq=2)  # a repeat changes nothing
    assert supervising() == {DISTRICT: {"since_ms": T0 - 60 * MIN, "streets": streets}}
    assert supervising(root=DISTRICT) == supervising()  # its own admin sees it
    assert supervising(root="210103") == {}  # another district's admin does not
    subscribe(DISTRICT, False, T0 - 2 * MIN, monkeypatch, seq=3)
    assert supervising() == {}
    subscribe(DISTRICT, True, T0 - MIN, monkeypatch, seq=4)
    assert supervising() == {DISTRICT: {"since_ms": T0 - MIN, "streets": streets}}


def test_the_coverage_page_and_api_show_the_supervising_districts_in_scope(hub_dir,
                                                                          monkeypatch):
    app, data_dir, url = hub_dir
    since = datetime(2026, 1, 5, 1, 30, tzinfo=timezone.utc)  # 09:30 in China
    with hub_db.database.connection_context():
        subscribe(DISTRICT, True, int(since.timestamp() * 1000), monkeypatch)
    city = hub_staff(app, "auditor", ["auditor"]).client
    view = city.get("/api/coverage").get_json()
    check(resolve(DOC["paths"]["/api/coverage"]["get"]["responses"]["200"])
          ["content"]["application/json"]["schema"], view, "/api/coverage")
    assert [(c["code"], c["supervision"]) for c in view["centers"] if c["supervision"]] == [
        (DISTRICT, {"since_ms": int(since.timestamp() * 1000), "streets": 12})]
    page = city.get("/coverage").get_data(as_text=True)
    assert "街道督导（1 个区县）" in page and "2026-01-05 09:30" in page and "12 个" in page
    assert page.count("督导中") == 2  # the list and the tree (not enrolled: not in the table)
    assert city.get("/coverage?show=all").get_data(as_text=True).count("督导中") == 3
    heping = hub_staff(app, "heping", ["district_admin"], scope=DISTRICT).client
    assert "街道督导（1 个区县）" in heping.get("/coverage").get_data(as_text=True)
    shenhe = hub_staff(app, "shenhe", ["district_admin"], scope="210103").client
    theirs = shenhe.get("/coverage").get_data(as_text=True)
    assert "没有区县在督导其街道" in theirs and "督导中" not in theirs
    assert not any(c["supervision"] for c in shenhe.get("/api/coverage").get_json()["centers"])
    from hallsync.cli import cli
    printed = CliRunner().invoke(cli, ["hub", "coverage", "--data-dir", str(data_dir),
                                       "--db", url]).output
    assert "督导中：和平区政务服务中心（210102，12 个街道）" in printed

    with hub_db.database.connection_context():
        subscribe(DISTRICT, False, env.now_ms(), monkeypatch, seq=2)
    page = city.get("/coverage?show=all").get_data(as_text=True)
    assert "没有区县在督导其街道" in page and "督导中" not in page
