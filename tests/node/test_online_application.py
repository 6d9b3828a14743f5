"""网上申请 and 网上预审 at a node: a logged-in citizen applies with files checked by content,
the clerk gives each material a coded verdict, every defect is told at once (with an SMS in
the same transaction), an unchanged material is never rejected for a new reason, and a
pre-review that passes receives and accepts the case with channel ``online``."""
from __future__ import annotations

import io

import orjson
import pytest

from node import store
from node.app import create_app
from node.models import Case, OnlineApplication, OnlineMaterial, OutboxEvent, User, database
from node.prereview import uploads_dir
from node.users import STAFF
from sync import uploads
from tests.staff import PASSWORD, Staff
from tests.test_cases import DISTRICT, MATTER, PERSON, everything, keys, node  # noqa: F401

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NOT_A_PDF = b"MZ\x90\x00" + b"\x00" * 64  # a Windows program, named .pdf by the client
DEPTH_TWO = "SY06011"  # 居民身份证申领: online depth 2, must be applied for at a window


def sms_of(kind: str) -> list[dict]:
    with database.connection_context():
        return [p for p in (orjson.loads(p) for (p,) in OutboxEvent.select(OutboxEvent.payload)
                            .where(OutboxEvent.type == "sms.requested")
                            .order_by(OutboxEvent.seq).tuples()) if p["kind"] == kind]


def citizen_of(app, person=PERSON) -> Staff:
    """A browser logged in as the citizen with the SMS code the node wrote."""
    citizen = Staff(app.test_client())
    assert citizen.post("/api/citizen/code", json={"phone": person["phone"]}).status_code == 202
    code = sms_of("verification_code")[-1]["params"]["code"]
    assert citizen.post("/api/citizen/session", json={
        "phone": person["phone"], "code": code, "id_code": person["id_code"]}).status_code == 201
    return citizen


def clerk_of(app) -> Staff:
    with database.connection_context():
        if User.get_or_none(User.username == "wang") is None:
            STAFF.add_user("wang", PASSWORD, ["clerk"], now_ms=1)
    clerk = Staff(app.test_client())
    assert clerk.login("wang").status_code == 302
    return clerk


def files(contents: dict[str, bytes]) -> dict:
    return {f"file:{name}": (io.BytesIO(content), f"{n}.pdf")
            for n, (name, content) in enumerate(contents.items())}


def apply(citizen: Staff, contents: dict[str, bytes], matter=MATTER, **form):
    data = {"name": PERSON["name"], "consent": "yes", **form, **files(contents)}
    return citizen.client.post(f"/citizen/apply/{matter}", data={**data,
                                                                  "csrf_token": citizen.token()},
                               content_type="multipart/form-data")


def verdicts(application: str, given: dict[str, tuple]) -> dict:
    """The review form: each material → (verdict, reason, note)."""
    form = {}
    for name, (verdict, reason, note) in given.items():
        form.update({f"verdict:{name}": verdict, f"reason:{name}": reason, f"note:{name}": note})
    return form


@pytest.fixture
def app(node):
    return create_app({"data_dir": str(node.data_dir), "TESTING": True})


def only_application() -> OnlineApplication:
    with database.connection_context():
        return OnlineApplication.get()


def test_a_citizen_applies_online_and_the_pre_review_is_told_at_once_then_accepted(node, app):
    citizen, clerk = citizen_of(app), clerk_of(app)
    names = everything()
    reply = apply(citizen, {n: PDF for n in names[:-1]} | {names[-1]: PNG})
    assert reply.status_code == 302
    number = only_application().id
    assert number.startswith("WS")
    with database.connection_context():
        stored = OnlineMaterial.get(OnlineMaterial.name == names[-1])
        assert stored.content_type == "image/png"
        # Kept under its digest, never the client's name.
        assert uploads.stored_path(uploads_dir(node.data_dir), stored.sha256).read_bytes() == PNG
    mine = clerk.client.get("/window/").get_data(as_text=True)  # the clerk's own queue says so
    assert "另有 <b>1</b> 件网上申请等待预审" in mine
    queue = clerk.client.get("/window/prereview/").get_data(as_text=True)
    assert number in queue and PERSON["name"] in queue
    page = clerk.client.get(f"/window/prereview/{number}").get_data(as_text=True)
    assert "R01 材料不清晰、无法辨认" in page

    # Two defects, told at once, with one SMS written by the same review.
    first = {names[0]: ("reject", "R01", "第2页模糊"), names[1]: ("reject", "R04", "未盖公章"),
             names[2]: ("pass", "", ""), names[3]: ("pass", "", "")}
    assert clerk.submit(f"/window/prereview/{number}",
                        verdicts(number, first)).status_code == 302
    assert only_application().state == "returned"
    (sms,) = sms_of("prereview_returned")
    assert sms["params"] == {"application": number, "matter": "电力设施保护区内施工作业审批",
                             "count": "2"}
    mine = citizen.client.get(f"/citizen/applications/{number}").get_data(as_text=True)
    assert "以下 2 项材料需补正" in mine
    assert "R01 材料不清晰、无法辨认" in mine and "第2页模糊" in mine
    assert "R04 未按要求签字或盖章" in mine and "未盖公章" in mine

    # The citizen replaces only the first; the second is unchanged since the notice.
    fixed = PDF + b"% rescanned\n"
    reply = citizen.client.post(f"/citizen/applications/{number}/resubmit",
                                data={**files({names[0]: fixed}), "csrf_token": citizen.token()},
                                content_type="multipart/form-data")
    assert reply.status_code == 302
    assert (only_application().state, only_application().round) == ("resubmitted", 2)
    # The unchanged, passed material cannot now be rejected; the unchanged rejected one
    # not for a new reason. Nothing changes.
    for material, reason in ((names[2], "R02"), (names[1], "R03")):
        again = {**first, names[0]: ("pass", "", ""), material: ("reject", reason, "")}
        reply = clerk.submit(f"/window/prereview/{number}", verdicts(number, again))
        assert reply.status_code == 409
        assert "未更改" in reply.get_data(as_text=True)
        assert only_application().state == "resubmitted"
    # Rejected again for the same reason: allowed (the defect is still there).
    same = {**first, names[0]: ("pass", "", "")}
    assert clerk.submit(f"/window/prereview/{number}", verdicts(number, same)).status_code == 302
    assert len(sms_of("prereview_returned")) == 2
    citizen.client.post(f"/citizen/applications/{number}/resubmit",
                        data={**files({names[1]: PDF + b"% sealed\n"}),
                              "csrf_token": citizen.token()}, content_type="multipart/form-data")

    passed = {n: ("pass", "", "") for n in names}
    reply = clerk.submit(f"/window/prereview/{number}", verdicts(number, passed))
    assert reply.status_code == 302
    application = only_application()
    assert application.state == "passed" and application.case_number
    assert 'id="prereviews"' not in clerk.client.get("/window/").get_data(as_text=True)
    with database.connection_context():
        case = Case.get(Case.number == application.case_number)
        received = orjson.loads(case.received)
    assert case.state == "accepted" and received["channel"] == "online"
    assert received["applicant"]["id_code"] == PERSON["id_code"]
    assert [m["name"] for m in received["materials"] if m["provided"]] == names
    assert len(sms_of("accepted")) == 1  # the result of the pre-review, by SMS
    store.bind(node.data_dir)
    assert node.sync()["errors"] == []  # the hub takes the case like any other


@pytest.mark.parametrize("contents, message", [
    ({"施工作业申请书": NOT_A_PDF}, "只接受 PDF、JPG、PNG 文件"),
    ({"施工作业申请书": b""}, "文件为空"),
    # Over the limit (lowered below: the test client leaks a large body's spool file).
    ({"施工作业申请书": PDF + b"\x00" * 4096}, "文件超过"),
    ({"营业执照副本": PDF}, "不是该事项的申请材料"),
])
def test_a_refused_upload_says_why_and_keeps_nothing(node, app, contents, message,
                                                    monkeypatch):
    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 4096)
    citizen = citizen_of(app)
    complete = {n: PDF for n in everything()} | contents
    reply = apply(citizen, complete)
    assert reply.status_code == 422
    assert message in reply.get_data(as_text=True)
    with database.connection_context():
        assert OnlineApplication.select().count() == 0


def test_only_matters_of_online_depth_three_or_more_are_applied_for_online(node, app):
    citizen = citizen_of(app)
    missing = {n: PDF for n in everything()[1:]}
    assert "请上传必备材料：施工作业申请书" in apply(citizen, missing).get_data(as_text=True)
    listed = citizen.client.get("/citizen/apply/").get_data(as_text=True)
    assert MATTER in listed and DEPTH_TWO not in listed
    assert apply(citizen, {"居民身份证申领登记表": PDF}, matter=DEPTH_TWO).status_code == 404
    assert apply(citizen, {n: PDF for n in everything()}, consent="").status_code == 422


def test_an_application_is_its_applicants_and_the_window_only_the_clerks(node, app):
    citizen = citizen_of(app)
    apply(citizen, {n: PDF for n in everything()})
    number = only_application().id
    other = citizen_of(app, {**PERSON, "phone": "13700000000"})
    assert other.client.get(f"/citizen/applications/{number}").status_code == 404
    with database.connection_context():
        digest = OnlineMaterial.get().sha256
    assert other.client.get(f"/citizen/applications/{number}/files/{digest}").status_code == 404
    with citizen.client.get(f"/citizen/applications/{number}/files/{digest}") as shown:
        assert shown.status_code == 200 and shown.mimetype == "application/pdf"
        assert shown.get_data() == PDF
    assert citizen.client.get("/window/prereview/").status_code == 302  # the staff login
    assert citizen.client.get(f"/window/prereview/{number}/files/{digest}").status_code == 302
