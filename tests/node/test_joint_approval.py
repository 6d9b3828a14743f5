"""联合审批 at the window: whether a silent department is deemed to consent is the center's
setting ``joint_deemed_consent``, never the closer's choice, and the event records it."""
from __future__ import annotations

import datetime
import shutil

import orjson
import pytest

from node import cases, store
from node.app import create_app
from node.case_log import Actor
from node.models import OutboxEvent, database
from node.window import FORM_FIELDS
from sync.calendar import load_calendar
from sync.case_clock import china_today
from sync.case_clock import CHINA
from tests.node.test_window import CENTER, Staff, at, counts, new_case, seed  # noqa: F401


@pytest.fixture(params=[False, True], ids=["explicit-views", "deemed-consent"])
def rule(request):
    return request.param


@pytest.fixture
def app(seed, tmp_path, rule):  # noqa: F811
    data_dir = tmp_path / "node"
    shutil.copytree(seed, data_dir)
    return create_app({"data_dir": str(data_dir), "TESTING": True,
                       "joint_deemed_consent": rule})


def in_joint_review(app, at) -> tuple[str, datetime.date]:  # noqa: F811
    """A case whose joint approval opened on a past working day, natres's deadline that day."""
    calendar, day = load_calendar(), china_today() - datetime.timedelta(days=7)
    while not calendar.is_workday(day):
        day -= datetime.timedelta(days=1)
    at(datetime.datetime.combine(day, datetime.time(9), CHINA))
    number = new_case(app)
    keys = store.load_keys(app.config["HALLSYNC"]["data_dir"])
    reviewer = Actor("reviewer", "reviewer")
    with database.connection_context():
        for action, data in (("start_review", {}),
                             ("open_joint", {"departments": {"natres": day.isoformat(),
                                                             "ecoenv": day.isoformat()}}),
                             ("joint_decide", {"department": "ecoenv", "decision": "consent"})):
            cases.act(keys, CENTER, number, action, reviewer, data)
    at(None)
    return number, day


def test_closing_applies_the_centers_rule_and_records_it(app, at, rule):  # noqa: F811
    number, _day = in_joint_review(app, at)
    reviewer = Staff(app, "reviewer")
    page = reviewer.get(f"/window/cases/{number}").get_data(as_text=True)
    rule_text = "视为同意" if rule else "各部门须明确表态"
    assert "本中心规则：" in page and rule_text in page
    assert 'name="deemed_consent"' not in page and FORM_FIELDS["close_joint"] == ()
    before = counts()
    response = reviewer.json(f"/api/cases/{number}/actions", {"action": "close_joint"})
    shown = response.get_json()
    if not rule:
        assert response.status_code == 409 and shown["code"] == "CONFLICT"
        assert "部门 natres 尚未作出意见" in shown["detail"]
        assert counts() == before
        page = reviewer.form(f"/window/cases/{number}/act", {"action": "close_joint"})
        assert page.status_code == 409 and "尚未作出意见" in page.get_data(as_text=True)
        return
    assert response.status_code == 200, shown
    assert shown["state"] == "in_approval" and shown["joint_deemed_consent"] is True
    assert {j["department"]: j["decision"] for j in shown["joint"]} == {
        "ecoenv": "consent", "natres": "deemed_consent"}
    with database.connection_context():
        event = OutboxEvent.select().order_by(OutboxEvent.seq.desc()).get()
    payload = orjson.loads(event.payload)
    assert (payload["action"], payload["data"]) == ("close_joint", {"deemed_consent": True})
    page = reviewer.get(f"/window/cases/{number}").get_data(as_text=True)
    assert "按本中心设置，逾期未表态部门视为同意：是" in page and "逾期视为同意" in page


def test_the_closer_cannot_choose_the_rule(app, at, rule):  # noqa: F811
    number, _day = in_joint_review(app, at)
    reviewer, before = Staff(app, "reviewer"), counts()
    response = reviewer.json(f"/api/cases/{number}/actions",
                             {"action": "close_joint", "data": {"deemed_consent": not rule}})
    problem = response.get_json()
    assert response.status_code == 422 and problem["field"] == "deemed_consent"
    assert "joint_deemed_consent" in problem["detail"]
    assert counts() == before
    # A form field of that name is not read at all: the rule is the setting's.
    page = reviewer.form(f"/window/cases/{number}/act", {"action": "close_joint",
                                                         "deemed_consent": "1"})
    assert page.status_code == (303 if rule else 409)
