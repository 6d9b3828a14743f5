"""Sending rounds against the fake gateway process: exactly once through faults, quiet
hours, rate limits, expiry, refusals, and a fixed number of queries per round."""
from __future__ import annotations

import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest

from hub import db as hub_db
from hub.models import SmsMessage, database
from hub.sms import queue
from hub.sms.gateway import HttpGateway
from hub.sms.sender import Sender, run_round
from sync.case_clock import CHINA
from sync.database import insert_sizes
from tests.queries import counted
from tests.sms import FakeGateway, sms_settings

NOON = int(datetime.datetime(2026, 12, 2, 12, 0, tzinfo=CHINA).timestamp() * 1000)


@pytest.fixture
def hub_database(hub_db_url, tmp_path):
    (tmp_path / "hub-data").mkdir(exist_ok=True)
    db = hub_db.bind(hub_db_url)
    db.connect(reuse_if_open=True)
    yield db
    db.close()


@pytest.fixture
def gateway():
    fake = FakeGateway().start()
    yield fake
    fake.stop()


class Clock:
    def __init__(self, now_ms: int):
        self.now = now_ms

    def __call__(self) -> int:
        return self.now


def code(i: int, now_ms: int = NOON, **kw) -> str:
    return queue.enqueue("verification_code", f"139{i:08d}", {"code": f"{i % 1000000:06d}",
                                                              "minutes": "5"}, now_ms, **kw)


def accepted(phone: str, now_ms: int = NOON, **kw) -> str:
    return queue.enqueue("accepted", phone, {"number": "210102-20261202-00001",
                                             "matter": "电力设施保护区内施工作业审批",
                                             "date": "2026-12-02", "promised": "2026-12-16"},
                         now_ms, **kw)


def statuses() -> dict:
    return dict(SmsMessage.select(SmsMessage.out_id, SmsMessage.status).tuples())


def sender(fake, clock, **settings):
    settings = sms_settings(fake.url, **settings)
    return Sender(HttpGateway.from_settings(settings), settings, now_ms=clock)


def test_every_message_goes_out_exactly_once_through_timeouts_and_errors(hub_database, gateway):
    gateway.set_faults(timeout=0.15, error=0.15, delay_s=0.5)
    ids = [code(i) for i in range(300)]
    clock = Clock(NOON)
    send = sender(gateway, clock, sms_timeout_s=0.25)
    rounds = 0
    done = {"sent", "delivered"}  # delivered: found at the gateway after a timeout
    while set(statuses().values()) - done and rounds < 40:
        send.drain()
        clock.now += 1000  # past the recheck (2 × the timeout): doubts are asked about
        rounds += 1
    send.close()
    state = gateway.state()
    assert set(statuses().values()) <= done, statuses()
    assert state["delivered"] == state["messages"] == 300 and state["duplicates"] == []
    assert state["timeouts_injected"] > 0 and state["errors_injected"] > 0
    assert set(ids) == set(gateway.state(full=True)["deliveries"])
    # The timed-out ones were found at the gateway, not sent again.
    resends = sum(a - 1 for (a,) in SmsMessage.select(SmsMessage.attempts).tuples())
    assert resends == state["errors_injected"]


def test_a_message_in_doubt_is_asked_about_before_any_resend(hub_database, gateway):
    gateway.set_faults(timeout=1.0, delay_s=0.6)
    out_id = code(1)
    clock = Clock(NOON)
    send = sender(gateway, clock, sms_timeout_s=0.2)
    assert send.drain()["unknown"] == 1
    assert SmsMessage.get(SmsMessage.out_id == out_id).status == "sending"
    gateway.set_faults(timeout=0.0)
    assert send.drain()["claimed"] == 0  # not yet due for its check
    clock.now += 500
    assert send.drain()["found"] == 1
    send.close()
    row = SmsMessage.get(SmsMessage.out_id == out_id)
    assert (row.status, row.attempts) == ("delivered", 1)  # the gateway says it arrived
    assert gateway.state()["delivered"] == 1


def test_quiet_hours_hold_all_but_verification_codes(hub_database, gateway):
    night = int(datetime.datetime(2026, 12, 2, 23, 30, tzinfo=CHINA).timestamp() * 1000)
    notice, otp = accepted("13900000001", night), code(2, night)
    clock = Clock(night)
    send = sender(gateway, clock, sms_quiet_hours="22:00-08:00")
    counts = send.drain()
    assert (counts["sent"], counts["deferred"]) == (1, 1)
    assert statuses() == {otp: "sent", notice: "queued"}
    morning = int(datetime.datetime(2026, 12, 3, 8, 0, tzinfo=CHINA).timestamp() * 1000)
    assert SmsMessage.get(SmsMessage.out_id == notice).not_before_ms == morning
    clock.now = morning - 1
    assert send.drain()["claimed"] == 0
    clock.now = morning
    assert send.drain()["sent"] == 1
    send.close()


def test_per_number_rate_limit_defers_the_excess(hub_database, gateway):
    ids = [accepted("13900000009") for _ in range(4)]
    clock = Clock(NOON)
    send = sender(gateway, clock, sms_per_number_hour=3)
    assert send.drain()["sent"] == 3
    assert [statuses()[i] for i in ids] == ["sent", "sent", "sent", "queued"]
    assert SmsMessage.get(SmsMessage.out_id == ids[3]).not_before_ms == NOON + 3_600_000
    clock.now = NOON + 3_600_000
    assert send.drain()["sent"] == 1
    send.close()
    assert gateway.state()["delivered"] == 4


def test_a_reminder_whose_moment_passed_is_dropped_never_sent(hub_database, gateway):
    late = accepted("13900000010", expires_ms=NOON - 1)
    in_time = accepted("13900000011", expires_ms=NOON + 60_000)
    send = sender(gateway, Clock(NOON))
    send.drain()
    send.close()
    assert statuses() == {late: "dropped", in_time: "sent"}
    assert gateway.state()["messages"] == 1


def test_a_message_in_doubt_past_its_moment_is_dropped_if_never_sent(hub_database, gateway):
    gateway.set_faults(error=1.0)
    out_id = accepted("13900000012", expires_ms=NOON + 1000)
    clock = Clock(NOON)
    send = sender(gateway, clock, sms_timeout_s=0.2)
    assert send.drain()["unknown"] == 1
    gateway.set_faults(error=0.0)
    clock.now += 5000
    send.drain()
    send.close()
    assert statuses() == {out_id: "dropped"} and gateway.state()["delivered"] == 0


def test_a_message_the_provider_refuses_for_good_is_failed_not_retried(hub_database, gateway):
    # A number the provider does not take (no such template check at our side would pass it).
    SmsMessage.create(out_id="hub-bad", kind="accepted", phone="13900000013",
                      params='{"number":"1","matter":"x","date":"d","promised":"p"}',
                      created_ms=NOON)
    SmsMessage.update(params='{"number":"http://x.cn","matter":"x","date":"d","promised":"p"}'
                      ).execute()
    send = sender(gateway, Clock(NOON))
    send.drain()
    send.drain()
    send.close()
    row = SmsMessage.get(SmsMessage.out_id == "hub-bad")
    assert (row.status, row.attempts) == ("failed", 1) and "LINK_NOT_IN_TEMPLATE" in row.error


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_round_asks_the_database_a_fixed_number_of_times(hub_database, gateway):
    settings = sms_settings(gateway.url)
    gateway_client = HttpGateway.from_settings(settings)
    pool = ThreadPoolExecutor(4)
    asked = {}
    for n in (5, 60):
        for i in range(n):
            code(n * 1000 + i)
        with counted(database.obj) as statements:
            counts = run_round(gateway_client, settings, NOON, pool)
        assert counts["sent"] == n
        asked[n] = len(statements)
    pool.shutdown()
    assert asked[5] == asked[60], asked


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_queueing_a_push_of_messages_asks_the_database_a_fixed_number_of_times(hub_database):
    from hallsync.bench.sms import _events
    made = _events(45)
    asked = {}
    for start, n in ((0, 5), (5, 40)):  # either takes an insert two statements: 4 + 1, 32 + 8
        assert len(insert_sizes(n)) == 2
        with counted(database.obj) as statements, database.atomic():
            queue.queue_requested(made[start:start + n])
        asked[n] = len(statements)
    assert asked[5] == asked[40], asked
    assert queue.counts()["queued"] == 45
    with database.atomic():
        queue.queue_requested(made[:10])  # a replay queues nothing twice
    assert queue.counts()["queued"] == 45


def test_hub_sms_status_counts_the_queue(tmp_path):
    from tests.processes import hallsync, last_json
    counts = last_json(hallsync("hub", "sms", "status", "--data-dir", tmp_path / "hub",
                                "--json"))
    assert counts == {"queued": 0, "sending": 0, "sent": 0, "delivered": 0, "undelivered": 0,
                      "failed": 0, "dropped": 0}
