"""``hallsync bench sms``: N messages through the fake gateway with faults: exactly N sent.

A hub database (SQLite in the work directory, or ``--db`` PostgreSQL) takes N
``sms.requested`` events, signed and chained as a center writes them, through the
hub's own apply handler (``hub.sms.queue``); then the hub's sender
(``hub.sms.sender.Sender``, the rounds the hub's workers run) sends them through
a ``hallsync sms fake-gateway`` process that answers some sends late (after the
sender gave up: the message went out, the sender cannot know) and fails others
with a 5xx. The bench runs rounds until every message is settled and checks,
at the gateway, that each of our ids was delivered exactly once. It prints the
seconds and messages per second; the last line is JSON with ``messages``,
``delivered``, ``duplicates``, ``exactly_once`` (else exit 1).

Delivery reports are not part of it (no hub process to post them to): the
end-to-end test ``tests/hub/sms/test_receipts.py`` covers lost and doubled ones.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from hallsync.bench.node import _env
from sync import events, sms_events
from sync.cli_output import emit, json_option
from sync.signing import KeyPair

SECRET = "bench-sms-secret-0123456789abcdef"
CENTER = "210102"  # 和平区政务服务中心


def _events(n: int) -> list[dict]:
    """N acceptances' SMS as the center writes them: signed, chained, one number each."""
    keys, made, prev = KeyPair.generate(), [], events.GENESIS
    for seq in range(1, n + 1):
        number = f"{CENTER}-20261202-{seq:05d}"
        params = {"number": number, "matter": "电力设施保护区内施工作业审批",
                  "date": "2026-12-02", "promised": "2026-12-16"}
        event = events.make(keys, origin=CENTER, seq=seq, prev_hash=prev,
                            type_=sms_events.REQUESTED, record="", payload=sms_events.payload(
                                "accepted", f"139{seq:08d}", params, case=number))
        prev = event["hash"]
        made.append(event)
    return made


def _gateway(faults: str, seed: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hallsync", "sms", "fake-gateway", "--port", "0",
         "--access-key-secret", SECRET, "--faults", faults, "--seed", str(seed)],
        env=_env(), stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise click.ClickException(f"the fake gateway did not start: {line!r}")
    return proc, line.strip().rsplit(" ", 1)[-1]


@click.command("sms")
@click.option("--messages", "n", default=10_000, show_default=True, type=click.IntRange(1))
@click.option("--faults", default="timeout=0.02,error=0.05,delay_s=1", show_default=True,
              help="The fake gateway's faults (hallsync sms fake-gateway --faults).")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--db", "db_url", default=None, help="A postgresql:// URL (default: SQLite).")
@click.option("--work-dir", default=None, type=click.Path(file_okay=False),
              help="Keep the hub database here (default: a temporary directory, removed).")
@json_option
def sms(n, faults, seed, db_url, work_dir, as_json):
    """N messages through the fake gateway with faults injected: exactly N delivered."""
    import requests

    from hub import db as hub_db
    from hub.models import SmsMessage, database
    from hub.sms import queue
    from hub.sms.gateway import HttpGateway
    from hub.sms.sender import Sender

    work = Path(work_dir or tempfile.mkdtemp(prefix="hallsync-bench-sms-"))
    work.mkdir(parents=True, exist_ok=True)
    proc, url = _gateway(faults, seed)
    db = hub_db.bind(db_url or f"sqlite:///{work / 'hub.db'}")
    try:
        with db.connection_context():
            if SmsMessage.select().count():
                raise click.ClickException(f"{work}: the queue is not empty; use a new --work-dir")
            made = _events(n)
            for start in range(0, n, 1000):
                with database.atomic():
                    queue.queue_requested(made[start:start + 1000])
            settings = {"sms_gateway_url": url, "sms_access_key_id": "hallsync",
                        "sms_access_key_secret": SECRET, "sms_sign_name": "沈阳政务服务",
                        "sms_batch": 500, "sms_concurrency": 8, "sms_timeout_s": 0.5,
                        "sms_per_number_hour": n, "sms_per_number_day": n,
                        "sms_quiet_hours": "", "sms_receipt_wait_s": 3600}
            sender = Sender(HttpGateway.from_settings(settings), settings)
            started, rounds = time.monotonic(), 0
            while True:
                counts = queue.counts()
                if counts["sent"] + counts["delivered"] + counts["failed"] >= n:
                    break
                if time.monotonic() - started > 600:
                    raise click.ClickException(f"not settled after 600 s: {counts}")
                done = sender.drain(max_rounds=1000)
                rounds += 1
                if not done.get("claimed"):
                    time.sleep(0.1)  # in doubt: asked about after twice the timeout
            seconds = time.monotonic() - started
            sender.close()
        state = requests.get(url + "/_fake/state", timeout=30).json()
    finally:
        db.close()
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        if not work_dir:
            shutil.rmtree(work, ignore_errors=True)
    exact = (state["delivered"] == state["messages"] == n and not state["duplicates"]
             and counts["failed"] == 0)
    click.echo(f"{n} messages in {seconds:.1f} s ({n / seconds:.0f}/s), {rounds} rounds; "
               f"gateway: {state['delivered']} delivered, {len(state['duplicates'])} duplicates, "
               f"{state['timeouts_injected']} answered late, {state['errors_injected']} 5xx",
               err=True)
    emit({"messages": n, "delivered": state["delivered"], "duplicates": len(state["duplicates"]),
          "timeouts_injected": state["timeouts_injected"],
          "errors_injected": state["errors_injected"], "seconds": round(seconds, 2),
          "per_s": round(n / seconds, 1), "exactly_once": exact}, as_json, quiet=not as_json)
    if not exact:
        raise SystemExit(1)
