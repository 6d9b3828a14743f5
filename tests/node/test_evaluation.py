"""好差评 by the applicant, never the clerk: a one-time link by SMS at completion, the
window's evaluation pad, five levels, once per case, a comment for 差评."""
from __future__ import annotations

import orjson
import pytest

from node.models import Case, CaseAction, EvaluationInvite, OutboxEvent, database
from tests.node.test_window import (CENTER, Staff, act, app, everything, new_case,  # noqa: F401
                                    seed, staff)

PERSON = {"kind": "person", "name": "张伟", "id_code": "210102198503150013",
          "phone": "13800000000"}


def completed(app, applicant=PERSON) -> str:
    number = new_case(app, applicant=applicant)
    for action, role, data in [("start_review", "reviewer", {}),
                               ("submit_for_approval", "reviewer", {}),
                               ("decide", "approver", {"outcome": "approved",
                                                       "document_number": "沈审〔2026〕1号"})]:
        act(app, number, action, role, data)
    return number


def link_token(number: str) -> str:
    with database.connection_context():
        for (payload,) in OutboxEvent.select(OutboxEvent.payload).where(
                OutboxEvent.type == "sms.requested").tuples():
            message = orjson.loads(payload)
            if message["kind"] == "evaluation_link" and message["case"] == number:
                return message["params"]["token"]
    raise AssertionError("no evaluation link sent")


def rating(number: str):
    with database.connection_context():
        return (CaseAction.select().where((CaseAction.number == number)
                                          & (CaseAction.action == "evaluate")).first())


def test_the_applicant_rates_once_by_the_link_sent_at_completion(app):
    number = completed(app)
    token = link_token(number)
    with database.connection_context():
        assert EvaluationInvite.get().token_hash != token  # only its hash is kept
    applicant = Staff(app, None)
    page = applicant.get(f"/e/{token}")
    assert page.status_code == 200 and "非常不满意" in page.get_data(as_text=True)
    bad = applicant.form(f"/e/{token}", {"level": "dissatisfied"})
    assert bad.status_code == 422 and "必须填写评价意见" in bad.get_data(as_text=True)
    assert rating(number) is None
    done = applicant.form(f"/e/{token}", {"level": "dissatisfied", "comment": "等候太久"})
    assert done.status_code == 201 and "感谢您的评价" in done.get_data(as_text=True)
    row = rating(number)
    assert (row.role, row.user, orjson.loads(row.data)) == (
        "applicant", "申请人", {"level": "dissatisfied", "comment": "等候太久"})
    again = applicant.form(f"/e/{token}", {"level": "satisfied"})
    assert again.status_code == 404 and "无效或已使用" in again.get_data(as_text=True)
    assert applicant.get(f"/e/{token}").status_code == 404
    assert applicant.get("/e/not-a-token").status_code == 404


def test_the_clerk_cannot_choose_the_level(app, staff):
    number = completed(app)
    clerk = staff("clerk")
    reply = clerk.json(f"/api/cases/{number}/actions", {"action": "evaluate",
                                                        "data": {"level": "very_satisfied"}})
    assert (reply.status_code, reply.get_json()["field"]) == (422, "action")
    page = clerk.get(f"/window/cases/{number}").get_data(as_text=True)
    assert 'name="level"' not in page and "打开评价器" in page
    assert rating(number) is None


def test_the_window_pad_lets_the_applicant_rate_there(app, staff):
    number = completed(app, applicant={**PERSON, "phone": "02423456789"})  # no SMS link
    clerk = staff("clerk")
    opened = clerk.form(f"/window/cases/{number}/evaluation-pad", {})
    assert opened.status_code == 303 and "/e/" in opened.headers["Location"]
    token = opened.headers["Location"].rsplit("/", 1)[-1]
    reply = clerk.json(f"/api/evaluations/{token}", {"level": "very_satisfied"})
    assert reply.status_code == 201 and reply.get_json() == {"number": number,
                                                             "level": "very_satisfied"}
    assert rating(number).role == "applicant"
    with database.connection_context():
        assert Case.get(Case.number == number).state == "completed"
    second = clerk.json(f"/api/cases/{number}/evaluation-pad", {})
    assert (second.status_code, second.get_json()["code"]) == (409, "CONFLICT")


@pytest.mark.parametrize("body, field", [({}, "level"), ({"level": "great"}, "level")])
def test_a_bad_level_is_refused_and_the_link_still_works(app, body, field):
    number = completed(app)
    token = link_token(number)
    applicant = Staff(app, None)
    reply = applicant.json(f"/api/evaluations/{token}", body)
    assert (reply.status_code, reply.get_json()["field"]) == (422, field)
    assert applicant.json(f"/api/evaluations/{token}", {"level": "satisfied"}).status_code == 201
