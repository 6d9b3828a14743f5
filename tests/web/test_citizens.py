"""Citizens' logins at the hub's online hall: a code by SMS (queued for the gateway, only
its hash kept), expiry, rate limits, wrong codes, and sessions apart from staff's."""
from __future__ import annotations

import orjson
import pytest

from hub.app import create_app
from hub.models import CitizenCode, CitizenSession, HubCase, SmsMessage, database
from tests.staff import Staff, hub_staff

PHONE, ID = "13912345678", "210102198503150013"
T0 = 1_800_000_000_000


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


@pytest.fixture
def app(tmp_path):
    app = create_app({"data_dir": str(tmp_path / "hub"), "TESTING": True,
                      "database_url": f"sqlite:///{tmp_path}/hub.db"})
    app.extensions["auth"].now_ms = Clock()
    return app


def clock(app) -> Clock:
    return app.extensions["auth"].now_ms


def last_code(phone: str = PHONE) -> str:
    with database.connection_context():
        row = (SmsMessage.select().where((SmsMessage.phone == phone)
                                         & (SmsMessage.kind == "verification_code"))
               .order_by(SmsMessage.id.desc()).first())
    return orjson.loads(row.params)["code"]


def ask(citizen: Staff, phone: str = PHONE):
    return citizen.post("/api/citizen/code", json={"phone": phone})


def log_in(citizen: Staff, code: str, id_code: str = ID, phone: str = PHONE):
    return citizen.post("/api/citizen/session", json={"phone": phone, "code": code,
                                                      "id_code": id_code})


def test_a_code_by_sms_and_the_id_number_log_a_citizen_in(app):
    citizen = Staff(app.test_client())
    assert citizen.client.get("/api/citizen/me").status_code == 401
    assert ask(citizen).status_code == 202
    code = last_code()
    with database.connection_context():
        stored = CitizenCode.get()
        message = SmsMessage.get()
    assert code not in stored.code_hash and len(stored.code_hash) == 64  # only a keyed hash
    assert (message.status, message.expires_ms) == ("queued", T0 + 300_000)
    reply = log_in(citizen, code)
    assert reply.status_code == 201
    assert reply.get_json() == {"phone": "139****5678", "id_code": "210102********0013"}
    me = citizen.client.get("/api/citizen/me").get_json()
    assert me["phone"] == "139****5678"
    with database.connection_context():
        assert CitizenSession.select().count() == 1
    assert log_in(citizen, code).get_json()["code"] == "CODE_INVALID"  # used once


def test_a_wrong_code_counts_and_enough_of_them_void_it(app):
    citizen = Staff(app.test_client())
    ask(citizen)
    code = last_code()
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for _ in range(5):
        reply = log_in(citizen, wrong)
        assert (reply.status_code, reply.get_json()["code"]) == (422, "CODE_INVALID")
    reply = log_in(citizen, code)  # right, but too late: five wrong tries voided it
    assert (reply.status_code, reply.get_json()["code"]) == (422, "CODE_EXPIRED")
    assert citizen.client.get("/api/citizen/me").status_code == 401


def test_a_code_expires(app):
    citizen = Staff(app.test_client())
    ask(citizen)
    clock(app).now += 300_000
    reply = log_in(citizen, last_code())
    assert (reply.status_code, reply.get_json()["code"]) == (422, "CODE_EXPIRED")


@pytest.mark.parametrize("body, field", [
    ({"phone": "1391234567"}, "phone"), ({"phone": "02423456789"}, "phone"), ({}, "phone"),
])
def test_a_bad_number_gets_a_clear_error_and_no_code(app, body, field):
    citizen = Staff(app.test_client())
    reply = citizen.post("/api/citizen/code", json=body)
    assert (reply.status_code, reply.get_json()["field"]) == (422, field)
    with database.connection_context():
        assert CitizenCode.select().count() == SmsMessage.select().count() == 0


def test_a_bad_id_number_is_refused_and_the_code_stays_usable(app):
    citizen = Staff(app.test_client())
    ask(citizen)
    reply = log_in(citizen, last_code(), id_code="210102198503150014")  # check digit wrong
    assert (reply.status_code, reply.get_json()["field"]) == (422, "id_code")
    assert log_in(citizen, last_code()).status_code == 201


def test_codes_are_rate_limited_per_number_and_per_address(app):
    citizen = Staff(app.test_client())
    assert ask(citizen).status_code == 202
    again = ask(citizen)
    assert (again.status_code, again.get_json()["code"]) == (429, "TOO_MANY_REQUESTS")
    assert again.get_json()["retry_after"] == 60 and again.headers["Retry-After"] == "60"
    for _ in range(9):
        clock(app).now += 61_000
        assert ask(citizen).status_code == 202
    clock(app).now += 61_000
    eleventh = ask(citizen)
    assert eleventh.status_code == 429 and "今日" in eleventh.get_json()["detail"]
    clock(app).now += 86_400_000  # a day later the number may ask again
    assert ask(citizen).status_code == 202
    # One address asking for many numbers: 20 in an hour, then no more.
    for i in range(19):
        assert ask(citizen, f"1380000{i:04d}").status_code == 202
    assert ask(citizen, "13800009999").status_code == 429
    with database.connection_context():
        assert SmsMessage.select().count() == CitizenCode.select().count() == 30


def test_a_citizen_session_is_no_staff_session_and_staff_are_no_citizens(app):
    citizen = Staff(app.test_client())
    ask(citizen)
    assert log_in(citizen, last_code()).status_code == 201
    assert citizen.client.get("/api/coverage").status_code == 401  # a staff API
    assert citizen.client.get("/dashboard").status_code == 302  # → the staff login
    assert citizen.client.get("/citizen/").status_code == 200
    operator = hub_staff(app)
    assert operator.client.get("/citizen/").headers["Location"].endswith("/citizen/login")
    assert operator.client.get("/api/citizen/me").status_code == 401
    # The citizen's token put in the staff cookie is no staff login either.
    token = citizen.client.get_cookie(app.extensions["citizen"].cookie).value
    intruder = app.test_client()
    intruder.set_cookie(f"hallsync_hub_{app.config['HALLSYNC']['port']}", token)
    assert intruder.get("/api/coverage").status_code == 401


def test_a_session_ends_when_idle_and_at_log_out(app):
    citizen = Staff(app.test_client())
    ask(citizen)
    log_in(citizen, last_code())
    clock(app).now += 1_800_001
    assert citizen.client.get("/api/citizen/me").status_code == 401
    clock(app).now += 61_000
    ask(citizen)
    log_in(citizen, last_code())
    assert citizen.submit("/citizen/logout", {}).status_code == 302
    assert citizen.client.get("/api/citizen/me").status_code == 401
    with database.connection_context():
        assert CitizenSession.select().where(CitizenSession.ended_ms.is_null(False)).count() == 1


def test_the_login_pages_speak_chinese_and_say_what_is_wrong(app):
    citizen = Staff(app.test_client())
    page = citizen.client.get("/citizen/login").get_data(as_text=True)
    assert "获取验证码" in page and "市民登录" in page
    sent = citizen.submit("/citizen/code", {"phone": PHONE})
    assert sent.status_code == 200 and "验证码已发送至 139****5678" in sent.get_data(as_text=True)
    wrong = citizen.submit("/citizen/login", {"phone": PHONE, "code": "000000" if last_code()
                                              != "000000" else "111111", "id_code": ID})
    assert wrong.status_code == 422 and "验证码不正确" in wrong.get_data(as_text=True)
    bad_id = citizen.submit("/citizen/login", {"phone": PHONE, "code": last_code(),
                                               "id_code": "123"})
    assert bad_id.status_code == 422 and "身份证号码" in bad_id.get_data(as_text=True)
    done = citizen.submit("/citizen/login", {"phone": PHONE, "code": last_code(),
                                             "id_code": ID})
    assert done.status_code == 302 and done.headers["Location"].endswith("/citizen/")
    home = citizen.client.get("/citizen/").get_data(as_text=True)
    assert "我的办件" in home and "139****5678" in home


@pytest.mark.parametrize("id_type, id_code, masked", [
    ("passport", "E12345678", "E1*****78"),
    ("hk_macao_permit", "H12345678", "H1*****78"),
])
def test_a_citizen_without_a_resident_id_logs_in_with_their_own_document(app, id_type, id_code,
                                                                        masked):
    citizen = Staff(app.test_client())
    ask(citizen)
    wrong_type = citizen.post("/api/citizen/session", json={
        "phone": PHONE, "code": last_code(), "id_code": id_code, "id_type": ["passport"]})
    assert (wrong_type.status_code, wrong_type.get_json()["field"]) == (422, "id_type")
    as_resident = log_in(citizen, last_code(), id_code=id_code)  # not a resident ID's number
    assert (as_resident.status_code, as_resident.get_json()["field"]) == (422, "id_code")
    reply = citizen.post("/api/citizen/session", json={
        "phone": PHONE, "code": last_code(), "id_code": id_code, "id_type": id_type})
    assert reply.status_code == 201 and reply.get_json()["id_code"] == masked
    with database.connection_context():
        assert (CitizenSession.get().id_type, CitizenSession.get().id_code) == (id_type, id_code)
    session = app.extensions["citizen"].citizens.session(
        citizen.client.get_cookie(app.extensions["citizen"].cookie).value, T0, 900)
    assert session.as_applicant("Ann Lee") == {"kind": "person", "name": "Ann Lee",
                                               "id_code": id_code, "phone": PHONE,
                                               "id_type": id_type}


def test_the_login_page_offers_every_identity_document(app):
    page = Staff(app.test_client()).submit("/citizen/code", {"phone": PHONE}).get_data(
        as_text=True)
    for label in ("居民身份证", "港澳台居民居住证", "外国人永久居留身份证", "护照"):
        assert f">{label}</option>" in page


def test_the_online_hall_lists_the_citizens_cases_of_every_center_by_id_and_mobile(app):
    def case(number: str, center: str, phone: str, id_code: str = ID) -> None:
        HubCase.create(number=number, center=center, matter_code="SY24006", matter_version=1,
                       matter=orjson.dumps({"name": "企业变更登记"}).decode(),
                       applicant_kind="person", applicant_id=id_code, green_channel=False,
                       state="received", received_at=number[-14:-6], department="market",
                       received=orjson.dumps({"applicant": {"phone": phone}}).decode(),
                       actions=0)
    with database.connection_context():
        case("210102-20261201-00001", "210102", PHONE)
        case("210102001-20261202-00001", "210102001", PHONE)
        case("210103-20261203-00001", "210103", "13800000000")  # same ID, another mobile
        case("210103-20261203-00002", "210103", PHONE, "11010519491231002X")  # another person
    citizen = Staff(app.test_client())
    ask(citizen)
    log_in(citizen, last_code())
    cases = citizen.client.get("/api/citizen/me").get_json()["cases"]
    assert [c["number"] for c in cases] == ["210102001-20261202-00001", "210102-20261201-00001"]
    assert cases[0]["center_name"] != cases[1]["center_name"]
    home = citizen.client.get("/citizen/").get_data(as_text=True)
    assert "210103-" not in home and "办理中心" in home
