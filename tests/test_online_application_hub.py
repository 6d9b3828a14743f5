"""网上申请 at the hub's online hall: the application is forwarded to the chosen center, which
fetches its files by digest over the signed sync API (no other center may), pre-reviews
it, and reports each review back, so the citizen follows it, resubmits and sees the case
accepted at the hub — on SQLite and PostgreSQL. Bad files are refused and forward nothing;
an application the center cannot take is declined, and the citizen is told."""
from __future__ import annotations

import orjson

from hub.ledger.stream import send
from hub.models import (HubApplication, HubApplicationMaterial, HubCase, HubMessage, SmsMessage,
                        database as hub_database)
from node import prereview as node_prereview
from node.case_log import Actor
from node.models import OnlineApplication, OnlineMaterial, database
from node.prereview import uploads_dir
from sync import prereview, uploads
from sync.errors import Code
from tests.node.test_online_application import NOT_A_PDF, PDF, PNG, files
from tests.protocol import post, problem
from tests.test_appointments_online import hub_app
from tests.test_cases import DISTRICT, MATTER, everything, keys, node  # noqa: F401
from tests.test_consultation import hub_citizen

CLERK = Actor("wang", "clerk")
STREET = "210102001"


def apply(citizen, contents: dict[str, bytes], center=DISTRICT):
    return citizen.client.post(f"/citizen/apply/{MATTER}", data={
        "name": "张伟", "center": center, "consent": "yes", **files(contents),
        "csrf_token": citizen.token()}, content_type="multipart/form-data")


def at_node(number: str) -> OnlineApplication:
    with database.connection_context():
        return OnlineApplication.get_by_id(number)


def at_hub(app, number: str) -> HubApplication:
    with app.app_context(), hub_database.connection_context():
        return HubApplication.get_by_id(number)


def review(node, number: str, given: dict[str, tuple[str, str, str]]) -> dict:  # noqa: F811
    node_keys = keys(node)
    with database.connection_context():
        return node_prereview.review(node_keys, DISTRICT, CLERK, number, {
            name: {"verdict": v, "reason": r, "note": n} for name, (v, r, n) in given.items()})


def test_an_application_at_the_online_hall_is_pre_reviewed_at_its_center_and_followed_at_the_hub(
        hub, node):  # noqa: F811
    app, names = hub_app(hub), everything()
    citizen = hub_citizen(app)
    form = citizen.client.get(f"/citizen/apply/{MATTER}").get_data(as_text=True)
    assert 'name="center"' in form and "和平区政务服务中心" in form
    reply = apply(citizen, {n: PDF for n in names[:-1]} | {names[-1]: PNG})
    assert reply.status_code == 302, reply.get_data(as_text=True)
    number = reply.headers["Location"].rsplit("/", 1)[-1]
    assert at_hub(app, number).state == "submitted"

    # The center records it, fetches each file by digest, checks it, and queues it.
    moved = node.sync()
    assert moved["errors"] == [] and moved["uploads"] == 2  # PDF once (same bytes), PNG
    row = at_node(number)
    assert (row.source, row.state) == ("hub", "submitted")
    with database.connection_context():
        kept = {m.name: m.sha256 for m in OnlineMaterial.select().where(
            OnlineMaterial.application == number)}
        assert [a["id"] for a in node_prereview.waiting()] == [number]
    assert uploads.stored_path(uploads_dir(node.data_dir), kept[names[-1]]).read_bytes() == PNG

    # Returned with a coded defect: the hub shows it to the citizen, and texts them.
    first = {n: ("pass", "", "") for n in names} | {names[0]: ("reject", "R01", "第2页模糊")}
    assert review(node, number, first)["state"] == "returned"
    assert node.sync()["errors"] == []
    assert at_hub(app, number).state == "returned"
    page = citizen.client.get(f"/citizen/applications/{number}").get_data(as_text=True)
    assert "以下 1 项材料需补正" in page and "R01 材料不清晰、无法辨认" in page
    assert "第2页模糊" in page and "和平区政务服务中心" in page
    with app.app_context(), hub_database.connection_context():
        assert SmsMessage.select().where(SmsMessage.kind == "prereview_returned").count() == 1

    # Resubmitted at the hub: the new file travels the same way; passed, the case exists.
    fixed = PDF + b"% rescanned\n"
    reply = citizen.client.post(f"/citizen/applications/{number}/resubmit", data={
        **files({names[0]: fixed}), "csrf_token": citizen.token()},
        content_type="multipart/form-data")
    assert reply.status_code == 302
    assert (at_hub(app, number).state, at_hub(app, number).round) == ("resubmitted", 2)
    assert node.sync()["errors"] == []
    assert (at_node(number).state, at_node(number).round) == ("resubmitted", 2)
    done = review(node, number, {n: ("pass", "", "") for n in names})
    assert done["state"] == "passed"
    assert node.sync()["errors"] == []
    passed = at_hub(app, number)
    assert (passed.state, passed.case_number) == ("passed", done["case"])
    with app.app_context(), hub_database.connection_context():
        case = HubCase.get_by_id(done["case"])
        assert orjson.loads(case.received)["channel"] == "online"
    page = citizen.client.get(f"/citizen/applications/{number}").get_data(as_text=True)
    assert done["case"] in page and "预审通过，已受理" in page
    listing = citizen.client.get("/citizen/apply/").get_data(as_text=True)
    assert number in listing
    # The online hall lists the citizen's cases of the whole city, with their centers.
    home = citizen.client.get("/citizen/").get_data(as_text=True)
    assert done["case"] in home and "和平区政务服务中心" in home
    me = citizen.client.get("/api/citizen/me").get_json()
    assert [c["number"] for c in me["cases"]] == [done["case"]]


def test_only_the_center_it_was_forwarded_to_may_fetch_a_file(hub, node, make_node):  # noqa: F811
    app = hub_app(hub)
    citizen = hub_citizen(app)
    assert apply(citizen, {n: PDF for n in everything()}).status_code == 302
    street = make_node(STREET)
    street.enroll(hub)
    sha = uploads.digest(PDF)
    street_keys = keys(street)
    for body, status, code in (({"sha256": sha}, 404, Code.NOT_FOUND),
                               ({"sha256": "../hub.db"}, 400, Code.BODY_MALFORMED)):
        reply = post(hub.url, "upload", body, keys=street_keys, sender=STREET)
        assert (reply.status_code, problem(reply)["code"]) == (status, code.value)
    assert node.sync()["uploads"] == 1  # its own center gets it


def test_a_refused_file_forwards_nothing_and_a_center_that_cannot_take_it_declines(
        hub, node):  # noqa: F811
    app, names = hub_app(hub), everything()
    citizen = hub_citizen(app)
    refused = apply(citizen, {n: PDF for n in names[:-1]} | {names[-1]: NOT_A_PDF})
    assert refused.status_code == 422 and "只接受 PDF、JPG、PNG" in refused.get_data(as_text=True)
    nowhere = apply(citizen, {n: PDF for n in names}, center="")
    assert nowhere.status_code == 422 and "请选择受理该事项" in nowhere.get_data(as_text=True)
    with app.app_context(), hub_database.connection_context():
        assert HubApplication.select().count() == 0
        assert HubApplicationMaterial.select().count() == 0
        assert HubMessage.select().where(HubMessage.type == prereview.FORWARDED).count() == 0

    # The catalog changed on the way, say: the center is told of a matter it does not take.
    with app.app_context(), hub_database.connection_context():
        HubApplication.create(id="WS20261204ABCDEF01", center=DISTRICT, matter_code=MATTER,
                              applicant="{}", applicant_id="x", applicant_phone="1",
                              state="submitted", submitted_at="2026-12-04T09:00:00+08:00")
        send(DISTRICT, prereview.FORWARDED, {"id": "WS20261204ABCDEF01",
                                             "matter_code": "SY06011", "applicant": {},
                                             "materials": []})
    assert node.sync()["errors"] == []
    with database.connection_context():
        assert OnlineApplication.get_or_none(OnlineApplication.id == "WS20261204ABCDEF01") is None
    declined = at_hub(app, "WS20261204ABCDEF01")
    assert declined.state == "declined" and "网上申请" in declined.declined
