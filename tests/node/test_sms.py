"""A case's actions tell the applicant by SMS: each message is an ``sms.requested`` event
written with its action (none without it), and the hub queues it once under its id."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import orjson
import pytest

from hub import db as hub_db
from hub.models import SmsMessage
from node import store
from node.cases import act, intake
from node.models import OutboxEvent
from sync.errors import ConflictError
from tests.processes import ROOT, child_env
from tests.test_cases import (APPROVER, CLERK, DISTRICT, ENTERPRISE, MATTER, PERSON, REVIEWER,
                              everything, keys, node)  # noqa: F401  (node: a fixture)


def events() -> list[tuple[int, str, dict]]:
    return [(seq, type_, orjson.loads(payload)) for seq, type_, payload in
            OutboxEvent.select(OutboxEvent.seq, OutboxEvent.type, OutboxEvent.payload)
            .order_by(OutboxEvent.seq).tuples()]


def sms() -> list[dict]:
    return [p for _seq, t, p in events() if t == "sms.requested"]


def test_acceptance_supplement_and_completion_are_announced(node):
    k = keys(node)
    first = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": PERSON,
                                        "materials": [], "outcome": "request_supplement"})
    number = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": PERSON,
                                         "materials": everything(), "outcome": "accept"})["number"]
    for action, actor, data in [("start_review", REVIEWER, {}),
                                ("submit_for_approval", REVIEWER, {}),
                                ("decide", APPROVER, {"outcome": "approved",
                                                      "document_number": "沈电审〔2026〕18号"})]:
        act(k, DISTRICT, number, action, actor, data)
    kinds = [(m["kind"], m["case"]) for m in sms()]
    assert kinds == [("supplement_requested", first["number"]), ("accepted", number),
                     ("completed", number), ("evaluation_link", number)]
    supplement, accepted, completed, _link = sms()
    assert supplement["phone"] == PERSON["phone"]
    assert supplement["params"]["materials"].startswith(everything()[0][:10])
    assert accepted["params"]["promised"] == act.__globals__["view"](number)["promised_date"]
    assert completed["params"]["result"] == "准予许可"
    # Each message follows its action at once: the same transaction wrote both.
    seq_of = {(t, p.get("number") or p.get("case"), p.get("action") or p.get("kind")): s
              for s, t, p in events()}
    assert seq_of[("sms.requested", number, "completed")] == seq_of[
        ("case.action", number, "decide")] + 1


def test_no_message_without_its_action_nor_to_a_landline(node):
    k = keys(node)
    number = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": ENTERPRISE,
                                         "materials": everything(), "outcome": "accept"})["number"]
    assert sms() == []  # 02423456789 is no mobile number
    person = intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": PERSON,
                                         "materials": everything(), "outcome": "accept"})
    before = events()
    with pytest.raises(ConflictError):
        act(k, DISTRICT, person["number"], "deliver", CLERK, {"method": "window"})
    assert events() == before
    assert number


def test_the_hub_queues_each_message_once_under_its_origin_and_seq(hub, node):
    k = keys(node)
    intake(k, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": PERSON,
                                "materials": everything(), "outcome": "accept"})
    (seq,) = [s for s, t, _p in events() if t == "sms.requested"]
    assert node.sync()["errors"] == []
    assert node.sync()["errors"] == []  # nothing new, nothing doubled
    database = hub_db.bind(hub.db_url)
    rows = list(SmsMessage.select())
    database.close()
    assert [(r.out_id, r.kind, r.phone, r.status) for r in rows] == [
        (f"{DISTRICT}-{seq}", "accepted", PERSON["phone"], "queued")]


WORKER = """
import sys
from node import store
from node.cases import intake
from tests.test_cases import CLERK, DISTRICT, MATTER, PERSON
store.bind(sys.argv[1])
keys = store.load_keys(sys.argv[1])
materials = sys.argv[2].split("|")
print("ready", flush=True)
while True:
    intake(keys, DISTRICT, CLERK, {"matter_code": MATTER, "applicant": PERSON,
                                   "materials": materials, "outcome": "accept"})
"""


@pytest.mark.slow
def test_a_node_killed_mid_transaction_never_leaves_a_message_without_its_change(node):
    """SIGKILL a process accepting cases as fast as it can, at many moments: every
    acceptance on disk has its message right after it, and every message its acceptance."""
    for round_ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", WORKER, str(node.data_dir),
                                 "|".join(everything())], env=child_env(), cwd=ROOT,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.3 + 0.11 * round_)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    store.bind(node.data_dir)
    written = events()
    accepts = [s for s, t, p in written if t == "case.action" and p["action"] == "accept"]
    messages = [s for s, t, p in written if t == "sms.requested"]
    assert len(accepts) > 20
    assert messages == [s + 1 for s in accepts]
