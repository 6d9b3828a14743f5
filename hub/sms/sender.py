"""Sending rounds: each queued message goes out once, through the one gateway account.

Exactly once, as a rule on our own id (``out_id``, the provider's ``OutId``):

1. A round *claims* its messages with one compare-and-set update (queued and
   due, or in doubt for longer than twice ``sms_timeout_s``), so two workers or
   two rounds never hold the same message.
2. Before the first send call, ``attempts`` is raised and committed. From then on
   the message is *in doubt* until the provider answers clearly: a timeout, a
   5xx or an unreadable reply may hide a message that went out.
3. A message in doubt is never sent again blind: the next round asks the
   provider for it by our id (``query``) first, and sends only if the provider
   never took it. A receipt that arrives meanwhile settles it too.

Quiet hours, the per-number rate limits and expiry (``hub.sms.policy``) gate a
message's first attempt; a message whose moment has passed is dropped, never
sent late. The database is asked a fixed number of times per round, however
many messages it takes; the gateway calls run ``sms_concurrency`` at a time.
"""
from __future__ import annotations

import logging
import secrets
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import orjson
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from peewee import Case, fn

from hub.models import SmsMessage, database
from hub.sms import policy
from hub.sms.gateway import Answer, Found, Gateway, GatewayUnavailable, HttpGateway, Outgoing
from sync import envelope as env
from sync import sms_api
from sync.sms_templates import TEMPLATES

log = logging.getLogger("hallsync.hub.sms")
QUEUED, SENDING, SENT, DELIVERED, UNDELIVERED, FAILED, DROPPED = (
    "queued", "sending", "sent", "delivered", "undelivered", "failed", "dropped")
LATE = "过期未发送：时限已过，不再补发"


@dataclass
class Result:
    """What became of one claimed message in this round."""

    message: SmsMessage
    outcome: str  # sent | found | refused | unknown | dropped
    called: bool = False  # a send call was made in this round
    answer: Answer | None = None
    found: Found | None = None
    error: str = ""


def _claim(settings: dict, now_ms: int) -> list[SmsMessage]:
    """Take the round's messages (compare-and-set: never two rounds on one message)."""
    recheck_ms = int(2 * settings["sms_timeout_s"] * 1000)
    claim = secrets.token_hex(8)
    due = (((SmsMessage.status == QUEUED) & (SmsMessage.not_before_ms <= now_ms))
           | ((SmsMessage.status == SENDING) & (SmsMessage.attempt_ms <= now_ms - recheck_ms)))
    with database.atomic():
        SmsMessage.update(status=DROPPED, error=LATE).where(
            (SmsMessage.status == QUEUED) & SmsMessage.expires_ms.is_null(False)
            & (SmsMessage.expires_ms < now_ms)).execute()
        ids = [i for (i,) in SmsMessage.select(SmsMessage.id).where(due)
               .order_by(SmsMessage.id).limit(settings["sms_batch"]).tuples()]
        if not ids:
            return []
        SmsMessage.update(status=SENDING, claim=claim, attempt_ms=now_ms).where(
            SmsMessage.id.in_(ids) & due).execute()
    return list(SmsMessage.select().where(SmsMessage.claim == claim).order_by(SmsMessage.id))


def _windows(phones: set[str], since_ms: int) -> dict[str, policy.Window]:
    rows = (SmsMessage.select(SmsMessage.phone, fn.COUNT(SmsMessage.id),
                              fn.MIN(SmsMessage.first_attempt_ms))
            .where(SmsMessage.phone.in_(sorted(phones))
                   & (SmsMessage.first_attempt_ms > since_ms))
            .group_by(SmsMessage.phone).tuples())
    found = {phone: policy.Window(count, oldest) for phone, count, oldest in rows}
    return defaultdict(policy.Window, found)


def _gate(fresh: list[SmsMessage], settings: dict, now_ms: int):
    """Split never-tried messages into (to send, deferred {id: until}, dropped ids)."""
    to_send, deferred, dropped = [], {}, []
    quiet = policy.quiet_until(settings["sms_quiet_hours"], now_ms)
    phones = {m.phone for m in fresh}
    hours = _windows(phones, now_ms - policy.HOUR_MS) if phones else {}
    days = _windows(phones, now_ms - policy.DAY_MS) if phones else {}
    for m in fresh:
        if m.expires_ms is not None and m.expires_ms < now_ms:
            dropped.append(m.id)
            continue
        if quiet and not TEMPLATES[m.kind].quiet_hours_exempt:
            deferred[m.id] = quiet
            continue
        wait = policy.rate_limited_until(hours[m.phone], days[m.phone],
                                         settings["sms_per_number_hour"],
                                         settings["sms_per_number_day"], now_ms)
        if wait is not None:
            deferred[m.id] = wait
            continue
        hours[m.phone].take(now_ms)
        days[m.phone].take(now_ms)
        to_send.append(m)
    return to_send, deferred, dropped


def _deliver(gateway: Gateway, m: SmsMessage, now_ms: int) -> Result:
    """Ask first when the message is in doubt; send only what the provider never took."""
    called = False
    try:
        if m.attempts > 0:
            found = gateway.query(m.out_id, m.phone)
            if found is not None:
                return Result(m, "found", found=found)
            if m.expires_ms is not None and m.expires_ms < now_ms:
                return Result(m, "dropped", error=LATE)
        called = True
        answer = gateway.send(Outgoing(m.out_id, m.phone, TEMPLATES[m.kind].code,
                                       orjson.loads(m.params)))
    except GatewayUnavailable as exc:
        return Result(m, "unknown", called=called, error=exc.detail)
    if answer.accepted:
        return Result(m, "sent", called=True, answer=answer)
    if answer.permanent:
        return Result(m, "refused", called=True, answer=answer,
                      error=f"{answer.code}: {answer.message}")
    # Any other refusal (throttled, busy) is treated as doubt: asked about, then resent.
    return Result(m, "unknown", called=True, error=f"{answer.code}: {answer.message}")


def _record(results: list[Result], now_ms: int) -> None:
    """Write every outcome of the round: one update per kind of outcome. A resend of a
    message in doubt counts as an attempt here (a first send was counted before its call)."""
    mine = lambda rs: SmsMessage.id.in_([r.message.id for r in rs]) & (  # noqa: E731
        SmsMessage.status == SENDING)
    by = defaultdict(list)
    for r in results:
        by[r.outcome].append(r)
    with database.atomic():
        settled = by["sent"] + by["found"]
        if settled:
            status = {r.message.id: (SENT if r.answer else {
                sms_api.DELIVERED: DELIVERED, sms_api.FAILED: UNDELIVERED}.get(
                    r.found.send_status, SENT)) for r in settled}
            biz = {r.message.id: (r.answer or r.found).biz_id for r in settled}
            SmsMessage.update(
                status=Case(SmsMessage.id, list(status.items())),
                biz_id=Case(SmsMessage.id, list(biz.items())), sent_ms=now_ms, error="",
                attempts=SmsMessage.attempts + Case(SmsMessage.id, [
                    (r.message.id, int(r.called and r.message.attempts > 0)) for r in settled]),
            ).where(mine(settled)).execute()
        for outcome, status in (("refused", FAILED), ("dropped", DROPPED), ("unknown", SENDING)):
            if by[outcome]:
                SmsMessage.update(
                    status=status, error=Case(SmsMessage.id, [(r.message.id, r.error[:500])
                                                              for r in by[outcome]]),
                    attempts=SmsMessage.attempts + Case(SmsMessage.id, [
                        (r.message.id, int(r.called and r.message.attempts > 0))
                        for r in by[outcome]]),
                ).where(mine(by[outcome])).execute()


def run_round(gateway: Gateway, settings: dict, now_ms: int, pool: ThreadPoolExecutor) -> dict:
    """One round: claim, gate, send (asking first where in doubt), record. Returns counts."""
    claimed = _claim(settings, now_ms)
    fresh = [m for m in claimed if m.attempts == 0]
    to_send, deferred, dropped = _gate(fresh, settings, now_ms)
    doubtful = [m for m in claimed if m.attempts > 0]
    with database.atomic():
        if deferred:
            SmsMessage.update(status=QUEUED, not_before_ms=Case(
                SmsMessage.id, list(deferred.items()))).where(
                SmsMessage.id.in_(list(deferred)) & (SmsMessage.status == SENDING)).execute()
        if dropped:
            SmsMessage.update(status=DROPPED, error=LATE).where(
                SmsMessage.id.in_(dropped) & (SmsMessage.status == SENDING)).execute()
        if to_send:
            # Committed before any call: from here a crash leaves them in doubt, never unsent.
            SmsMessage.update(attempts=SmsMessage.attempts + 1,
                              first_attempt_ms=fn.COALESCE(SmsMessage.first_attempt_ms, now_ms)
                              ).where(SmsMessage.id.in_([m.id for m in to_send])).execute()
    results = list(pool.map(lambda m: _deliver(gateway, m, now_ms), to_send + doubtful))
    _record(results, now_ms)
    counts = defaultdict(int, claimed=len(claimed), deferred=len(deferred),
                         dropped=len(dropped))
    for r in results:
        counts[r.outcome] += 1
    return dict(counts)


def check_unreported(gateway: Gateway, settings: dict, now_ms: int,
                     pool: ThreadPoolExecutor) -> int:
    """Ask the provider about sent messages whose delivery report never came (lost)."""
    wait_ms = settings["sms_receipt_wait_s"] * 1000
    stale = list(SmsMessage.select().where(
        (SmsMessage.status == SENT) & (SmsMessage.sent_ms <= now_ms - wait_ms)
        & (SmsMessage.checked_ms.is_null() | (SmsMessage.checked_ms <= now_ms - wait_ms)))
        .order_by(SmsMessage.id).limit(settings["sms_batch"]))

    def ask(m):
        try:
            return m, gateway.query(m.out_id, m.phone)
        except GatewayUnavailable:
            return m, None
    answers = list(pool.map(ask, stale))
    final = {m.id: {sms_api.DELIVERED: DELIVERED, sms_api.FAILED: UNDELIVERED}[f.send_status]
             for m, f in answers if f is not None and f.send_status != sms_api.WAITING}
    with database.atomic():
        if stale:
            SmsMessage.update(checked_ms=now_ms).where(
                SmsMessage.id.in_([m.id for m in stale])).execute()
        if final:
            SmsMessage.update(status=Case(SmsMessage.id, list(final.items())),
                              delivered_ms=now_ms).where(
                SmsMessage.id.in_(list(final)) & (SmsMessage.status == SENT)).execute()
    return len(final)


class Sender:
    """Rounds until the queue has nothing due, with one gateway and one thread pool."""

    def __init__(self, gateway: Gateway, settings: dict, now_ms=env.now_ms):
        self.gateway = gateway
        self.settings = settings
        self.now_ms = now_ms
        self.pool = ThreadPoolExecutor(settings["sms_concurrency"], thread_name_prefix="sms")

    def drain(self, max_rounds: int = 50) -> dict:
        total: dict[str, int] = defaultdict(int)
        for _ in range(max_rounds):
            counts = run_round(self.gateway, self.settings, self.now_ms(), self.pool)
            for key, value in counts.items():
                total[key] += value
            if counts["claimed"] < self.settings["sms_batch"]:
                break
        total["confirmed"] = check_unreported(self.gateway, self.settings, self.now_ms(),
                                              self.pool)
        return dict(total)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class SmsJob:
    """``Sender.drain`` every ``sms_interval_s`` in a background thread of this worker."""

    def __init__(self, settings: dict):
        self.settings = settings
        self.db = database.obj
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self._lock = threading.Lock()
        self.sender: Sender | None = None

    def start_once(self) -> None:
        if self.scheduler.running:
            return
        with self._lock:
            if not self.scheduler.running:
                self.sender = Sender(HttpGateway.from_settings(self.settings), self.settings)
                self.scheduler.add_job(self.run, "interval", id="sms",
                                       seconds=self.settings["sms_interval_s"],
                                       max_instances=1, coalesce=True)
                self.scheduler.start()

    def run(self) -> None:
        if database.obj is not self.db:  # several apps in one process (tests)
            return
        try:
            with database.connection_context():
                self.sender.drain()
        except Exception:  # noqa: BLE001 — the next interval tries again; say why meanwhile
            log.exception("sms: sending round failed")


def init_app(app: Flask) -> None:
    """Send in every worker that serves requests, once a gateway is configured (not in tests;
    the scheduler starts on the first request, after gunicorn forks: ``hub.coverage.alerts``)."""
    settings = app.config["HALLSYNC"]
    if app.config["TESTING"] or not settings["sms_gateway_url"]:
        return
    job = SmsJob(settings)
    app.extensions["hallsync.sms"] = job
    app.before_request(job.start_once)
