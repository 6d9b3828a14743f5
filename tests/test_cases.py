"""A case at a node: intake, the state machine, and the hub's complete copy of it."""
from __future__ import annotations

import orjson
import pytest

from hub import db as hub_db
from hub.models import Event, HubCase
from node import case_log, store
from node.cases import act, intake, query_secret, view
from sync.case_clock import china_today
from sync.case_numbers import check_query_code
from sync.errors import ConflictError, ValidationError
from tests.catalog_changes import change, matter, write
from tests.processes import last_json

DISTRICT = "210102"  # 和平区政务服务中心
PERSON = {"kind": "person", "name": "张伟", "id_code": "210102198503150013",
          "phone": "13800000000"}
CLERK, REVIEWER, APPROVER = (case_log.Actor("wang", "clerk"), case_log.Actor("li", "reviewer"),
                             case_log.Actor("zhao", "approver"))
MATTER = "SY04001"  # 电力设施保护区内施工作业审批: promised, city and district level
ENTERPRISE = {"kind": "enterprise", "name": "沈阳某建设有限公司",
              "id_code": "91210100MA0Q123430", "phone": "02423456789"}


@pytest.fixture
def node(hub, make_node):
    node_dir = make_node(DISTRICT)
    node_dir.enroll(hub)
    node_dir.sync()  # catalog version 1
    store.bind(node_dir.data_dir)
    return node_dir


def everything(code=MATTER):
    return [m["name"] for m in matter(code)["materials"]]


def keys(node):
    store.bind(node.data_dir)
    return store.load_keys(node.data_dir)


def test_a_case_from_intake_to_delivery_reaches_the_hub(hub, node):
    k = keys(node)
    case = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                       "materials": everything(), "outcome": "accept"})
    number = case["number"]
    assert number.startswith(f"{DISTRICT}-") and case["state"] == "accepted"
    assert case["promised_date"] and case["matter"]["version"] == 1
    for action, actor, data in [("start_review", REVIEWER, {}),
                                ("submit_for_approval", REVIEWER, {}),
                                ("decide", APPROVER, {"outcome": "approved",
                                                      "document_number": "沈电审〔2026〕18号"}),
                                ("deliver", CLERK, {"method": "mail", "waybill": "SF1234567890"})]:
        case = act(k, DISTRICT, number, action, actor, data)
    assert case["state"] == "delivered" and case["document_number"] == "沈电审〔2026〕18号"
    assert [h["action"] for h in case["history"]] == [
        "receive", "accept", "start_review", "submit_for_approval", "decide", "deliver"]
    assert check_query_code(number, __import__("sync.case_numbers", fromlist=["x"]).query_code(
        number, query_secret(node.data_dir)), query_secret(node.data_dir))
    assert node.sync()["errors"] == []
    database = hub_db.bind(hub.db_url)
    copy = HubCase.get(HubCase.number == number)
    assert (copy.state, copy.center, copy.actions, copy.outcome) == (
        "delivered", DISTRICT, 5, "approved")
    assert Event.select().where(Event.state != "applied").count() == 0
    database.close()


def test_a_refused_action_changes_nothing(node):
    k = keys(node)
    case = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                       "materials": everything(), "outcome": "accept"})
    with pytest.raises(ConflictError):
        act(k, DISTRICT, case["number"], "deliver", CLERK, {"method": "window"})
    with pytest.raises(ValidationError):  # a clerk may not approve
        act(k, DISTRICT, case["number"], "decide", CLERK, {"outcome": "approved",
                                                           "document_number": "X1"})
    assert view(case["number"])["state"] == "accepted"
    assert len(view(case["number"])["history"]) == 2


def test_missing_materials_are_listed_at_once_and_reused_only_after_approval(node):
    k = keys(node)
    names = everything()
    licence = "营业执照"  # the one material of the matter the catalog lets be reused
    with pytest.raises(ValidationError) as info:
        intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                    "materials": [licence], "outcome": "accept"})
    assert info.value.field == "materials" and names[0] in info.value.detail
    first = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                        "materials": [licence], "outcome": "request_supplement"})
    assert first["state"] == "supplement_requested"
    assert set(first["missing"]) == {m["name"] for m in matter(MATTER)["materials"]
                                     if m["required"]} - {licence}
    # An open case's licence is not on file: the next application must bring it.
    with pytest.raises(ValidationError) as info:
        intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                    "materials": names[:3], "outcome": "accept"})
    assert licence in info.value.detail
    approved = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                           "materials": names, "outcome": "accept"})
    assert approved["same_matter_open"] == [first["number"]]  # flagged, not refused
    act(k, DISTRICT, approved["number"], "start_review", REVIEWER)
    act(k, DISTRICT, approved["number"], "submit_for_approval", REVIEWER, {"reason": "齐全"})
    act(k, DISTRICT, approved["number"], "decide", APPROVER,
        {"outcome": "approved", "reason": "符合条件", "document_number": "X1"})
    third = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                        "materials": names[:3], "outcome": "accept"})
    assert {m["name"]: m["reused_from"] for m in third["materials"]} == {
        name: approved["number"] if name == licence else "" for name in names}


@pytest.mark.parametrize("form, field", [
    ({"matter_code": "SY99999"}, "matter_code"),
    ({"applicant": {**PERSON, "id_code": "210102198503150014"}}, "applicant.id_code"),
    ({"applicant": {**ENTERPRISE, "id_code": "91210100MA0Q123431"}}, "applicant.id_code"),
    ({"applicant": {**PERSON, "phone": "12"}}, "applicant.phone"),
    ({"outcome": "maybe"}, "outcome"),
    ({"outcome": "not_accept", "reason": ""}, "reason"),
])
def test_bad_intake_names_the_field_and_writes_nothing(node, form, field):
    from node.models import Case, OutboxEvent
    before = (Case.select().count(), OutboxEvent.select().count())
    base = {"matter_code": MATTER, "applicant": ENTERPRISE, "materials": everything(),
            "outcome": "accept"}
    with pytest.raises(ValidationError) as info:
        intake(keys(node), DISTRICT, CLERK, {**base, **form})
    assert info.value.field == field
    assert (Case.select().count(), OutboxEvent.select().count()) == before


def test_open_cases_keep_their_version_and_cancelled_matters_are_refused(hub, node, tmp_path):
    k = keys(node)
    days = matter(MATTER)["promised_limit_days"]
    case = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                       "materials": everything(), "outcome": "accept"})
    node.sync()
    amended = write(tmp_path, "amend", change("amend", matters=[
        {**matter(MATTER), "promised_limit_days": days - 1}]))
    preview = last_json(hub.cli("catalog", "apply", amended, "--preview", "--json"))
    assert preview["impact"] == {MATTER: {DISTRICT: 1}}  # one open case, at this center
    hub.cli("catalog", "apply", amended)
    hub.cli("catalog", "apply", write(tmp_path, "cancel", change("cancel", codes=[MATTER])))
    node.sync()
    kept = view(case["number"])
    assert kept["matter"]["version"] == 1 and kept["matter"]["promised_limit_days"] == days
    with pytest.raises(ValidationError) as info:
        intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                    "materials": everything(), "outcome": "accept"})
    assert info.value.code.value == "MATTER_NOT_ACCEPTABLE"
    act(k, DISTRICT, case["number"], "start_review", REVIEWER)  # the open case goes on
    assert orjson.loads(orjson.dumps(view(case["number"])))["state"] == "in_review"


def test_the_hub_quarantines_an_action_its_state_machine_refuses(hub, node):
    from node import outbox
    from sync import case_records
    k = keys(node)
    case = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                       "materials": everything(), "outcome": "accept"})
    number = case["number"]
    # A buggy node writes an action its own state machine would refuse (deliver before 办结).
    outbox.emit(k, DISTRICT, "case.action", case_records.record_of(number),
                {"number": number, "n": 2, "action": "deliver", "role": "clerk", "user": "x",
                 "at": case["received_at"], "data": {"method": "window"}})
    moved = node.sync()
    assert [p["code"] for p in moved["problems"]] == ["APPLY_FAILED"]
    database = hub_db.bind(hub.db_url)
    assert HubCase.get(HubCase.number == number).state == "accepted"
    database.close()


def test_citations_key_project_links_and_the_joint_rule_reach_the_hub(hub, node, monkeypatch):
    import datetime
    import tomllib

    import config
    from hub.models import HubCaseAction
    from node import cases as node_cases
    from node import projects
    from sync import case_records
    from sync.calendar import load_calendar
    from sync.case_clock import CHINA
    k = keys(node)
    with open(config.path("key_projects.example.toml"), "rb") as fh:
        projects.load(tomllib.load(fh), user="test")
    base = {"matter_code": MATTER, "applicant": ENTERPRISE, "materials": everything(),
            "outcome": "accept"}
    link = {"year": 2026, "code": "ZD2026-002", "step": 5}
    cited = intake(k, DISTRICT, CLERK, {**base, "key_project": link})["number"]
    citing = intake(k, DISTRICT, CLERK, base)["number"]
    for number, data in ((cited, {}), (citing, {"precedent": {"number": cited,
                                                              "note": "同一线路，同类施工方案"}})):
        act(k, DISTRICT, number, "start_review", REVIEWER)
        act(k, DISTRICT, number, "submit_for_approval", REVIEWER)
        act(k, DISTRICT, number, "decide", APPROVER,
            {"outcome": "approved", "document_number": f"沈电审{number[-3:]}号", **data})
    # A joint approval opened a week ago, natres silent past its deadline, closed today.
    day, calendar = china_today() - datetime.timedelta(days=7), load_calendar()
    while not calendar.is_workday(day):
        day -= datetime.timedelta(days=1)
    monkeypatch.setattr(case_log, "now", lambda: datetime.datetime.combine(
        day, datetime.time(9), CHINA))
    joint = intake(k, DISTRICT, CLERK, base)["number"]
    act(k, DISTRICT, joint, "start_review", REVIEWER)
    act(k, DISTRICT, joint, "open_joint", REVIEWER, {"departments": {"natres": day.isoformat()}})
    monkeypatch.undo()
    act(k, DISTRICT, joint, "close_joint", REVIEWER, deemed_consent=True)
    assert node.sync()["errors"] == []

    database = hub_db.bind(hub.db_url)
    assert Event.select().where(Event.state != "applied").count() == 0

    def replayed(number):
        row = HubCase.get(HubCase.number == number)
        log = [{"n": a.n, "action": a.action, "role": a.role, "user": a.user, "at": a.at,
                "data": orjson.loads(a.data)}
               for a in HubCaseAction.select().where(HubCaseAction.number == number)
               .order_by(HubCaseAction.n)]
        return row, case_records.replay(orjson.loads(row.received), log)

    row, _case = replayed(cited)
    assert row.green_channel and orjson.loads(row.received)["key_project"]["step"] == 5
    _row, case = replayed(citing)
    assert case.decision.precedent.number == cited
    assert case.decision.precedent.note == "同一线路，同类施工方案"
    _row, case = replayed(joint)
    assert case.state == "in_approval" and case.joint[0].decision == "deemed_consent"
    database.close()


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_the_cli_loads_and_lists_key_projects(node, tmp_path):
    import config
    from tests.processes import hallsync
    example = config.path("key_projects.example.toml")
    loaded = last_json(hallsync("node", "projects", "load", example, "--data-dir",
                                node.data_dir, "--json"))
    assert (loaded["year"], loaded["projects"]) == (2026, 2)
    assert loaded["codes"] == ["ZD2026-001", "ZD2026-002"]
    listed = last_json(hallsync("node", "projects", "list", "--year", "2026", "--data-dir",
                                node.data_dir, "--json"))
    assert [(p["code"], p["done"], p["total"]) for p in listed["projects"]] == [
        ("ZD2026-001", 0, 7), ("ZD2026-002", 0, 6)]
    text = hallsync("node", "projects", "list", "--year", "2026", "--data-dir",
                    node.data_dir).stdout
    assert "ZD2026-001" in text and "0/7" in text
    bad = tmp_path / "bad.toml"
    bad.write_text(example.read_text(encoding="utf-8").replace(
        'matter = "SY13001"', 'matter = "SY13099"', 1), encoding="utf-8")
    refused = hallsync("node", "projects", "load", bad, "--data-dir", node.data_dir,
                       check=False)
    assert refused.returncode == 2
    assert "projects[0].steps[6].matter: 事项 SY13099 不在现行事项目录中" in refused.stderr


def test_an_online_application_counts_in_the_online_share(hub, node):
    k = keys(node)
    with pytest.raises(ValidationError) as err:
        intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                    "materials": everything(), "outcome": "accept",
                                    "channel": "pigeon"})
    assert err.value.field == "channel"
    for channel in ("online", None):
        intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                    "materials": everything(), "outcome": "accept",
                                    **({"channel": channel} if channel else {})})
    assert node.sync()["errors"] == []
    import datetime

    from hub.stats.figures import report
    from hub.stats.periods import Period
    database = hub_db.bind(hub.db_url)
    today = china_today()
    figures = report(DISTRICT, Period.current("day", today), today=today)["own"]
    database.close()
    assert (figures["received"], figures["received_online"], figures["online_share"]) == (2, 1, 0.5)


def test_ratings_and_registered_capital_reach_the_hubs_figures(hub, node):
    k = keys(node)
    registration = "SY24001"  # 企业设立登记: its approval registers an enterprise
    done = []
    for applicant, capital in ((ENTERPRISE, 5000), (PERSON, None)):
        number = intake(k, DISTRICT, CLERK, {"matter_code": registration, "applicant": applicant,
                                             "materials": everything(registration),
                                             "outcome": "accept"})["number"]
        for action, actor, data in [("start_review", REVIEWER, {}),
                                    ("submit_for_approval", REVIEWER, {})]:
            act(k, DISTRICT, number, action, actor, data)
        decision = {"outcome": "approved", "document_number": f"沈市监登〔2026〕{len(done) + 1}号",
                    **({"registered_capital": capital} if capital else {})}
        if capital is None:
            with pytest.raises(ValidationError) as err:  # an approval registers with its capital
                act(k, DISTRICT, number, "decide", APPROVER, decision)
            assert err.value.field == "registered_capital"
            decision["registered_capital"] = 300
        act(k, DISTRICT, number, "decide", APPROVER, decision)
        act(k, DISTRICT, number, "deliver", CLERK, {"method": "window"})
        done.append(number)
    from node import evaluation  # the applicant rates on the window's pad (never the clerk)

    def rate(number, data):
        token = evaluation.open_pad(number, DISTRICT)
        evaluation.submit(k, DISTRICT, evaluation.token_hash(token), data)
    rate(done[0], {"level": "very_satisfied"})
    with pytest.raises(ValidationError) as err:  # a 差评 says why
        rate(done[1], {"level": "dissatisfied"})
    assert err.value.field == "comment"
    rate(done[1], {"level": "dissatisfied", "comment": "等候太久"})
    with pytest.raises(ConflictError):  # one case, one rating
        rate(done[1], {"level": "satisfied"})
    assert node.sync()["errors"] == []
    import datetime

    from hub.stats.figures import report
    from hub.stats.periods import Period
    database = hub_db.bind(hub.db_url)
    today = china_today()
    figures = report(DISTRICT, Period.current("day", today), today=today)["own"]
    database.close()
    assert (figures["enterprises_registered"], figures["registered_capital"]) == (2, 5300)
    assert (figures["evaluated"], figures["satisfied"], figures["bad_reviews"]) == (2, 1, 1)
    assert (figures["satisfaction_rate"], figures["bad_review_rate"]) == (0.5, 0.5)
