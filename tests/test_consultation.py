"""在线咨询: a question at the hub's online hall goes to the chosen center, whose staff
answer it (a signed event); past its one working day an unanswered question shows as
overdue (escalated); an operator publishes the answer to the matter's FAQ, which
reaches every center's guide page."""
from __future__ import annotations

import orjson
import pytest

from hub import db as hub_db
from hub.app import create_app as create_hub
from hub.models import HubConsultation
from node import consultation, store
from node.app import create_app
from node.catalog import matters_in_force
from node.models import Consultation, OutboxEvent, database
from node.users import add_user
from sync import consultation as rules
from sync.envelope import now_ms
from sync.errors import ValidationError
from tests.staff import PASSWORD, Staff, hub_staff
from tests.test_cases import DISTRICT, MATTER, keys, node  # noqa: F401
from tests.web.test_citizens import ID, PHONE, last_code


def hub_citizen(hub_app) -> Staff:
    citizen = Staff(hub_app.test_client())
    assert citizen.post("/api/citizen/code", json={"phone": PHONE}).status_code == 202
    with hub_app.app_context():
        from hub.models import database as hub_database
        with hub_database.connection_context():
            code = last_code()
    assert citizen.post("/api/citizen/session", json={"phone": PHONE, "code": code,
                                                      "id_code": ID}).status_code == 201
    return citizen


def test_a_question_is_checked_and_a_refusal_writes_nothing(node):
    k = keys(node)
    with pytest.raises(ValidationError, match="请选择咨询的事项"):
        consultation.ask(k, DISTRICT, "NOPE", "能否代办？")
    with pytest.raises(ValidationError, match="请填写咨询内容"):
        consultation.ask(k, DISTRICT, MATTER, "   ")
    with database.connection_context():
        assert Consultation.select().count() == 0
        assert OutboxEvent.select().where(OutboxEvent.type == rules.ASKED).count() == 0


def test_a_question_at_the_hub_is_answered_by_its_center_and_published_to_the_faq(hub, node):
    hub_app = create_hub({"data_dir": str(hub.data_dir), "database_url": hub.db_url,
                          "TESTING": True})
    citizen = hub_citizen(hub_app)
    form = citizen.client.get(f"/consult?matter={MATTER}").get_data(as_text=True)
    assert "和平区政务服务中心" in form and f'value="{MATTER}" selected' in form
    empty = citizen.submit("/consult", {"matter_code": MATTER, "center": DISTRICT,
                                        "question": ""})
    assert empty.status_code == 422 and "请填写咨询内容" in empty.get_data(as_text=True)
    question = "施工作业审批需要提前多少天申请？"
    assert citizen.submit("/consult", {"matter_code": MATTER, "center": DISTRICT,
                                       "question": question}).status_code == 303
    assert "待答复" in citizen.client.get("/consult/mine").get_data(as_text=True)

    assert node.sync()["errors"] == []  # pull: the question; push: the center's event
    k = keys(node)
    consultation.ask(k, DISTRICT, MATTER, "可以委托他人办理吗？", phone="13800000000")
    with database.connection_context():
        forwarded = Consultation.get(Consultation.channel == "hub")
        asked = [orjson.loads(p) for (p,) in OutboxEvent.select(OutboxEvent.payload).where(
            OutboxEvent.type == rules.ASKED).tuples()]
        add_user("desk", PASSWORD, ["clerk"], now_ms=now_ms())
        # The one working day passed for the window's own question: it is escalated.
        Consultation.update(due="2026-01-05").where(Consultation.channel == "node").execute()
    assert forwarded.question == question and forwarded.asker_phone == ""
    assert all(PHONE not in orjson.dumps(a).decode() and "13800000000" not in
               orjson.dumps(a).decode() for a in asked)  # no event says who asked
    app = create_app({"data_dir": str(node.data_dir), "TESTING": True})
    desk = Staff(app.test_client())
    assert desk.login("desk").status_code == 302
    page = desk.client.get("/consultations/").get_data(as_text=True)
    assert question in page and "已超期（已上报中心管理员）" in page and "网上大厅" in page
    refused = desk.submit(f"/consultations/{forwarded.id}/answer", {"answer": ""})
    assert refused.status_code == 422 and "请填写答复内容" in refused.get_data(as_text=True)
    answer = "一般应在施工前 10 个工作日提出申请。"
    assert desk.submit(f"/consultations/{forwarded.id}/answer",
                       {"answer": answer}).status_code == 303
    assert desk.submit(f"/consultations/{forwarded.id}/answer",
                       {"answer": "再答"}).status_code == 409

    assert node.sync()["errors"] == []
    assert answer in citizen.client.get("/consult/mine").get_data(as_text=True)
    operator = hub_staff(hub_app)
    listed = operator.client.get("/consultations").get_data(as_text=True)
    assert "发布为常见问题" in listed and "已超期" in listed
    heping = hub_staff(hub_app, "heping", ["district_admin"], scope=DISTRICT)
    assert heping.submit(f"/consultations/{forwarded.id}/publish", {}).status_code == 403
    assert operator.submit(f"/consultations/{forwarded.id}/publish", {}).status_code == 303
    again = operator.submit(f"/consultations/{forwarded.id}/publish", {})
    assert again.status_code == 409 and "已发布" in again.get_data(as_text=True)
    db = hub_db.bind(hub.db_url)
    try:
        assert HubConsultation.get(HubConsultation.id == forwarded.id).published_version == 2
    finally:
        db.close()

    assert node.sync()["errors"] == []  # catalog version 2 reaches the center
    store.bind(node.data_dir)
    with database.connection_context():
        faq = matters_in_force()[MATTER]["faq"]
    assert faq[-1] == {"q": question, "a": answer}
    guide = app.test_client().get(f"/catalog/{MATTER}").get_data(as_text=True)
    assert question in guide and answer in guide
    assert f'href="/consult?matter={MATTER}"' in guide  # the guide page leads to the form
