"""Coverage, handoff and consultation alerts: opened when a condition begins, cleared when it ends.

``evaluate`` compares what ``hub.coverage.centers`` finds now with the alerts that are
open, so it is idempotent: running it twice at the same moment changes
nothing, and ``began_ms`` is the first evaluation that saw the condition.
The hub runs it every ``coverage_interval_s`` in each worker; on PostgreSQL
a transaction-level advisory lock lets one worker do it and the others skip,
on SQLite the write transaction queues them and idempotence makes the
repeat harmless.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from hub.cases import handoffs, parallel
from hub.coverage.centers import assess, default_settings
from hub.models import Alert, database
from sync import envelope as env
from sync.database import is_postgresql
from sync.topology import load_topology

log = logging.getLogger("hallsync.hub.coverage.alerts")

KINDS = {"silent": "失联", "catalog_behind": "目录落后", "backlog_rising": "积压增长",
         "signature_failures": "签名校验失败", "handoff_unacked": "移交未接收",
         "handoff_due": "移交办件临近或超期", "consult_due": "并联会签临近或超期"}
# pg_try_advisory_xact_lock takes one bigint: "hallalrt" in ASCII, unlikely to collide.
LOCK_KEY = 0x68616C6C616C7274


def current(now_ms: int, settings: dict) -> dict[tuple[str, str], str]:
    """The conditions that deserve an alert now: ``(center, kind) → reason``."""
    found = {(center.code, c.kind): c.reason
             for center, _state, conditions, _refusals in assess(now_ms, settings)
             for c in conditions if c.kind in KINDS}
    return {**found, **handoffs.conditions(now_ms, settings),
            **parallel.conditions(now_ms, settings)}


def evaluate(now_ms: int, settings: dict | None = None) -> dict:
    """Open alerts for conditions that began, clear those that ended; say what changed."""
    settings = settings or default_settings()
    with database.atomic():
        if is_postgresql(database.obj) and not database.execute_sql(
                "SELECT pg_try_advisory_xact_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
            return {"skipped": True, "opened": 0, "cleared": 0}
        wanted = current(now_ms, settings)
        open_now = {(a.center, a.kind): a.id
                    for a in Alert.select().where(Alert.cleared_ms.is_null())}
        opened = [{"center": center, "kind": kind, "began_ms": now_ms, "detail": reason}
                  for (center, kind), reason in wanted.items() if (center, kind) not in open_now]
        ended = [alert_id for key, alert_id in open_now.items() if key not in wanted]
        if opened:
            Alert.insert_many(opened).execute()
        if ended:
            Alert.update(cleared_ms=now_ms).where(Alert.id.in_(ended)).execute()
    return {"skipped": False, "opened": len(opened), "cleared": len(ended)}


def _described(alert: Alert) -> dict:
    began = datetime.fromtimestamp(alert.began_ms / 1000, timezone.utc)
    center = load_topology().by_code.get(alert.center)
    return {"id": alert.id, "center": alert.center, "name": center.name if center else "",
            "kind": alert.kind, "kind_name": KINDS[alert.kind],
            "began_ms": alert.began_ms,
            "began_at": began.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "cleared_ms": alert.cleared_ms, "detail": alert.detail}


def open_alerts() -> list[dict]:
    """The open alerts, oldest first, with when each began."""
    query = Alert.select().where(Alert.cleared_ms.is_null()).order_by(Alert.began_ms, Alert.id)
    return [_described(a) for a in query]


class AlertJob:
    """``evaluate`` every ``coverage_interval_s`` in a background thread of this process."""

    def __init__(self, settings: dict):
        self.settings = settings
        self.db = database.obj  # the database this app bound
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self._lock = threading.Lock()

    def start_once(self) -> None:
        """Start the scheduler the first time this process serves a request."""
        if self.scheduler.running:
            return
        with self._lock:
            if not self.scheduler.running:
                self.scheduler.add_job(self.run, "interval", id="coverage_alerts",
                                       seconds=self.settings["coverage_interval_s"],
                                       max_instances=1, coalesce=True)
                self.scheduler.start()

    def run(self) -> None:
        # Several apps in one process (tests) share the models' proxy: evaluate only
        # while it still points at the database this app bound.
        if database.obj is not self.db:
            return
        try:
            with database.connection_context():
                evaluate(env.now_ms(), self.settings)
        except Exception:  # noqa: BLE001 — the next interval tries again; say why meanwhile
            log.exception("coverage alerts: evaluation failed")


def init_app(app: Flask) -> None:
    """Evaluate alerts periodically in every worker that serves requests (not in tests).

    The scheduler starts on the worker's first request rather than here:
    ``hallsync hub run`` also builds the app once in gunicorn's master before it
    forks the workers, and a process that forks while a thread runs can hand the
    child a held lock. The master serves nothing, so it never starts one.
    """
    if app.config["TESTING"]:
        return
    job = AlertJob(app.config["HALLSYNC"])
    app.extensions["hallsync.alerts"] = job
    app.before_request(job.start_once)
